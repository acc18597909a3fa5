import { CatalogError } from '../common/errors';

/**
 * Use cases locate input problems by GraphQL's argument names (`$.visibilityGroupIds[0]`); REST
 * callers sent snake_case, so their problems are renamed by this table, path segments only.
 */
const REST_NAME_BY_FIELD: Record<string, string> = {
  packageId: 'package_id',
  flowId: 'flow_id',
  visibilityGroupIds: 'visibility_group_ids',
  tenantId: 'tenant_id',
  authorEmail: 'author_email',
  authorId: 'author_id',
  nodeTypes: 'node_type',
  first: 'limit',
  after: 'cursor',
  credentialBindings: 'credential_bindings',
};

/** `$.visibilityGroupIds[0]` → `$.visibility_group_ids[0]`. */
function toRestPath(path: string): string {
  return path.replace(/\.([A-Za-z]+)/g, (segment, name: string) => (REST_NAME_BY_FIELD[name] ? `.${REST_NAME_BY_FIELD[name]}` : segment));
}

/** A use case's error, its problems located in REST's names; everything else passes unchanged. */
export function inRestNames(error: unknown): unknown {
  if (!(error instanceof CatalogError) || !error.problems) return error;
  const renamed = error.problems.map((problem) => ({ ...problem, path: toRestPath(problem.path) }));
  return new CatalogError(error.code, error.message, renamed);
}
