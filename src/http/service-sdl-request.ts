import type { Request } from 'express';
import { Kind, parse, type DocumentNode } from 'graphql';
import type { Caller } from '../common/caller';

/**
 * Gateways compose the supergraph from the live subgraph with `{ _service { sdl } }` and send no
 * caller token with it. The SDL is the same for every caller, so exactly that query may pass
 * without a token (the router secret still applies); anything else, even one more root field,
 * still needs one.
 */
export function isServiceSdlRequest(req: Request): boolean {
  const query = req.method === 'POST' ? (req.body as { query?: unknown } | undefined)?.query : undefined;
  // Short by nature: anything longer is not it, and is not parsed for a caller without a token.
  if (typeof query !== 'string' || query.length > 1_000 || !query.includes('_service')) return false;
  let document: DocumentNode;
  try {
    document = parse(query, { noLocation: true });
  } catch {
    return false;
  }
  if (document.definitions.length !== 1) return false;
  const [operation] = document.definitions;
  if (operation?.kind !== Kind.OPERATION_DEFINITION || operation.operation !== 'query') return false;
  if (operation.variableDefinitions?.length || operation.directives?.length) return false;
  const selections = operation.selectionSet.selections;
  if (selections.length !== 1) return false;
  const [field] = selections;
  return field?.kind === Kind.FIELD && field.name.value === '_service' && !field.alias && !field.arguments?.length && !field.directives?.length;
}

/**
 * The caller of such a request: no tenant, no permission. Nothing it could reach besides the SDL
 * would resolve, and the rate limiter counts all such requests in one bucket.
 */
export const SERVICE_SDL_CALLER: Caller = {
  tenantId: '',
  userId: '',
  email: null,
  groups: [],
  permissions: new Set(),
  roles: new Set(),
};
