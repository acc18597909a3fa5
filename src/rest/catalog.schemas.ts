import { z } from 'zod';
import type { Caller } from '../common/caller';
import { BadUserInputError, toProblems, type Problem } from '../common/errors';
import { MAX_PAGE_SIZE } from '../common/pagination';
import type { PackageRecord } from '../modules/package/package.model';
import { mayReadAuthorEmail, mayReadGroupIds } from '../modules/package/package.policy';
import type { InstallResult } from '../modules/package/package.service';

/*
 * The legacy snake_case shapes (reference/000-scaicore-catalog-rest-api.md). These schemas only
 * check shape and types and refuse unknown fields; the rules (slugs, versions, limits, "exactly
 * one of") stay in the service, whose problem paths are renamed to snake_case on the way out.
 */

const nullableText = z.string().nullish();

export const publishBodySchema = z.strictObject({
  package_id: z.string(),
  name: z.string(),
  description: nullableText,
  version: z.string(),
  readme: nullableText,
  flow_id: nullableText,
  content: z.unknown().optional(),
});

export const visibilityBodySchema = z.strictObject({
  visibility: z.enum(['tenant', 'groups']),
  visibility_group_ids: z.array(z.string()).nullish(),
});

/** A query parameter given once; `?a=1&a=2` is refused rather than silently picking one. */
const single = z.string({ error: 'must be given once, as a string' });

export const listQuerySchema = z.strictObject({
  limit: single
    .regex(/^\d+$/, `must be an integer between 1 and ${MAX_PAGE_SIZE}`)
    .transform(Number)
    .pipe(z.number().int().min(1, `must be between 1 and ${MAX_PAGE_SIZE}`).max(MAX_PAGE_SIZE, `must be between 1 and ${MAX_PAGE_SIZE}`))
    .optional(),
  cursor: single.min(1).optional(),
});

/** `tenant_id`: super admins acting on another tenant (the service refuses it for anyone else). */
export const tenantQuerySchema = z.strictObject({ tenant_id: single.min(1).optional() });

export const installQuerySchema = z.strictObject({ tenant_id: single.min(1).optional(), version: single.min(1).optional() });

/** Parses a body or query with a REST schema: every issue becomes one problem, located in snake_case. */
export function parseRest<T>(schema: z.ZodType<T>, value: unknown, what: 'body' | 'query'): T {
  const result = schema.safeParse(value ?? (what === 'query' ? {} : undefined));
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue): Problem[] =>
    // strictObject reports every unknown key in one issue: list each as its own problem.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ ...toProblems([{ path: [...issue.path, key], message: 'is not a known field' }])[0]! }))
      : toProblems([issue]),
  );
  const message = what === 'body' ? 'Invalid request body' : 'Invalid query parameters';
  throw new BadUserInputError(message, problems);
}

/** The service speaks GraphQL's camelCase; REST callers sent snake_case, so their problems say so. */
const SNAKE_BY_CAMEL: Record<string, string> = {
  packageId: 'package_id',
  flowId: 'flow_id',
  visibilityGroupIds: 'visibility_group_ids',
  tenantId: 'tenant_id',
  authorEmail: 'author_email',
};
/** Pagination arguments have other names in REST; only renamed in paths, where they cannot be prose. */
const REST_NAME_BY_ARGUMENT: Record<string, string> = { ...SNAKE_BY_CAMEL, first: 'limit', after: 'cursor' };
const CAMEL_WORDS = new RegExp(`\\b(${Object.keys(SNAKE_BY_CAMEL).join('|')})\\b`, 'g');

export function toSnakeCase(text: string): string {
  return text.replace(CAMEL_WORDS, (word) => SNAKE_BY_CAMEL[word] ?? word);
}

/** `$.visibilityGroupIds[0]` → `$.visibility_group_ids[0]`. */
export function toRestPath(path: string): string {
  return path.replace(/\.([A-Za-z]+)/g, (segment, name: string) => (REST_NAME_BY_ARGUMENT[name] ? `.${REST_NAME_BY_ARGUMENT[name]}` : segment));
}

export function toRestProblems(problems: readonly Problem[]): Problem[] {
  return problems.map((problem) => ({ path: toRestPath(problem.path), message: toSnakeCase(problem.message) }));
}

/** CatalogPackageSummary. Field rules of package.policy.ts: unreadable fields are null. */
export interface PackageSummary {
  package_id: string;
  name: string;
  description: string | null;
  version: string;
  author_id: string;
  /** null unless the caller is in the package's tenant or a super admin. */
  author_email: string | null;
  visibility: 'tenant' | 'groups';
  /** null unless the caller is the author, an admin of the package's tenant or a super admin. */
  visibility_group_ids: string[] | null;
  created_at: string;
  updated_at: string;
}

export function toSummary(caller: Caller, pkg: PackageRecord): PackageSummary {
  return {
    package_id: pkg.packageId,
    name: pkg.name,
    description: pkg.description,
    version: pkg.latestVersion,
    author_id: pkg.authorId,
    author_email: mayReadAuthorEmail(caller, pkg) ? pkg.authorEmail : null,
    visibility: pkg.visibility,
    visibility_group_ids: mayReadGroupIds(caller, pkg) ? [...pkg.visibilityGroupIds] : null,
    created_at: pkg.createdAt.toISOString(),
    updated_at: pkg.updatedAt.toISOString(),
  };
}

export function toInstallBody(result: InstallResult): {
  flow: Record<string, unknown>;
  metadata: { package_id: string; name: string; version: string; author_email: string | null };
} {
  const { packageId, name, version, authorEmail } = result.metadata;
  return { flow: result.flow, metadata: { package_id: packageId, name, version, author_email: authorEmail } };
}
