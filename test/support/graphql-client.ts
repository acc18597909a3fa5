import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

/**
 * How tests reach a GraphQL endpoint: `request` sends a typed document from test/generated (the
 * result is typed by the operation, the variables checked by it); `postQuery` sends a raw string,
 * for tests whose point is a malformed or hostile query.
 */
export interface GqlError {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, any>;
}

export interface GqlResponse<T> {
  status: number;
  body: { data?: T | null; errors?: GqlError[] };
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

export async function postQuery<T = any>(url: string, query: string, variables?: unknown, headers: Record<string, string> = {}): Promise<GqlResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as GqlResponse<T>['body'] };
}

/** Sends `document` to `url` as `token` (none when null); `headers` add to or override the defaults. */
export function request<TData, TVariables>(
  url: string,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  token: string | null,
  headers: Record<string, string> = {},
): Promise<GqlResponse<TData>> {
  return postQuery<TData>(url, print(document), variables, { ...(token ? bearer(token) : {}), ...headers });
}

/** A result with `data` and `errors` beside `status`, as the federation and gateway tests read it. */
export type GqlResult<TData> = { status: number } & GqlResponse<TData>['body'];

/** `request` with explicit headers only and a flat result (the router's view: no token handling). */
export async function postTyped<TData, TVariables>(
  url: string,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  headers: Record<string, string> = {},
): Promise<GqlResult<TData>> {
  const { status, body } = await request(url, document, variables, null, headers);
  return { status, ...body };
}
