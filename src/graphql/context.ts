import type { Caller } from '../common/caller';
import type { Catalog, RequestMeta } from '../modules/package/catalog';
import { createLoaders, type Loaders } from './loaders';

/** Built once per GraphQL request, after the caller has been authenticated. */
export interface GraphQLContext {
  caller: Caller;
  requestId: string;
  request: RequestMeta;
  catalog: Catalog;
  loaders: Loaders;
}

export function createContext(catalog: Catalog, caller: Caller, requestId: string, request: RequestMeta): GraphQLContext {
  return { caller, requestId, request, catalog, loaders: createLoaders(catalog, caller) };
}
