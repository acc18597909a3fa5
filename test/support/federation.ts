import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

/**
 * Helpers for the end-to-end federation tests. The flows and users subgraphs and the gateway
 * (Hive Gateway) are the ones `npm run supergraph` runs: scripts/lib/.
 */
export { startFlowsSubgraph, startUsersSubgraph, type FlowFixture, type RunningServer, type UserFixture } from '../../scripts/lib/example-subgraphs';
export { startHiveGateway, type RunningGateway } from '../../scripts/lib/hive-gateway';

export interface GqlResult<TData> {
  status: number;
  data?: TData | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** POSTs a typed document: the result is typed by the operation, the variables checked by it. */
export async function postTyped<TData, TVariables>(
  url: string,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  headers: Record<string, string> = {},
): Promise<GqlResult<TData>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as Omit<GqlResult<TData>, 'status'>;
  return { status: response.status, ...body };
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
