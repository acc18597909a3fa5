import { z } from 'zod';
import { BadUserInputError, toProblems, type Problem } from '../common/errors';
import { MAX_PAGE_SIZE } from '../common/pagination';
import { VISIBILITIES } from '../modules/package/package.entity';
import type { PackageOrder } from '../modules/package/package-search';
import type { PackageView } from '../modules/package/package.view';
import type { InstallResult } from '../modules/package/use-cases/install-package';
import type { InstallBody, PackageSummary, PublishAnswer } from './rest-shapes';

/*
 * The legacy snake_case shapes (docs/API.md, "REST"). These schemas only check shape and types
 * and refuse unknown fields; the rules (slugs, versions, limits, "exactly one of") stay in the use
 * cases, whose problem paths are renamed to snake_case on the way out (field-names.ts).
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
  tags: z.array(z.string()).nullish(),
  changelog: nullableText,
  parameters: z.array(z.record(z.string(), z.unknown())).nullish(),
  runtime: nullableText,
});

/** `POST /{package_id}/install`: the version and the values to stamp into the copy. */
export const installValuesBodySchema = z.strictObject({
  version: nullableText,
  parameters: z.record(z.string(), z.unknown()).nullish(),
  credential_bindings: z.array(z.strictObject({ slot: z.string(), credential: z.string() })).nullish(),
});

export const visibilityBodySchema = z.strictObject({
  visibility: z.enum(VISIBILITIES),
  visibility_group_ids: z.array(z.string()).nullish(),
});

/** `PATCH /{package_id}`: the metadata fields to set (the use case checks them as GraphQL's input). */
export const metadataBodySchema = z.strictObject({
  name: z.string().optional(),
  description: z.string().nullish(),
  readme: z.string().nullish(),
  tags: z.array(z.string()).optional(),
});

/** A query parameter given once; `?a=1&a=2` is refused rather than silently picking one. */
const single = z.string({ error: 'must be given once, as a string' });

/** `sort` values and the order each one names. */
const SORTS = {
  newest: 'NEWEST',
  updated: 'RECENTLY_UPDATED',
  name: 'NAME',
  installs: 'MOST_INSTALLED',
  relevance: 'RELEVANCE',
} as const satisfies Record<string, PackageOrder>;
// Every order has a REST name: an order added to PACKAGE_ORDERS does not compile until it has one.
true satisfies Exclude<PackageOrder, (typeof SORTS)[keyof typeof SORTS]> extends never ? true : never;

export const listQuerySchema = z.strictObject({
  limit: single
    .regex(/^\d+$/, `must be an integer between 1 and ${MAX_PAGE_SIZE}`)
    .transform(Number)
    .pipe(z.number().int().min(1, `must be between 1 and ${MAX_PAGE_SIZE}`).max(MAX_PAGE_SIZE, `must be between 1 and ${MAX_PAGE_SIZE}`))
    .optional(),
  cursor: single.min(1).optional(),
  ...searchQueryShape(),
});

/** Search parameters, the same semantics as GraphQL's filter: `tag` and `node_type` comma-separated. */
function searchQueryShape() {
  const commaList = single.transform((value) => value.split(',').filter((item) => item !== ''));
  return {
    q: single.optional(),
    tag: commaList.optional(),
    author_id: single.min(1).optional(),
    node_type: commaList.optional(),
    sort: z.enum(Object.keys(SORTS) as [keyof typeof SORTS], { error: `must be one of ${Object.keys(SORTS).join(', ')}` }).optional(),
  };
}

/** The filter and order of a parsed list query, as the use case takes them. */
export function searchOf(query: z.infer<typeof listQuerySchema>) {
  return {
    filter: { query: query.q ?? null, tags: query.tag ?? null, authorId: query.author_id ?? null, nodeTypes: query.node_type ?? null },
    orderBy: query.sort ? SORTS[query.sort] : null,
  };
}

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

/** CatalogPackageSummary: the use case already redacted what this caller may not read. */
export function toSummary(pkg: PackageView): PackageSummary {
  return {
    package_id: pkg.packageId,
    tenant_id: pkg.tenantId,
    name: pkg.name,
    description: pkg.description,
    version: pkg.version,
    author_id: pkg.authorId,
    author_email: pkg.authorEmail,
    visibility: pkg.visibility,
    visibility_group_ids: pkg.visibilityGroupIds ?? [],
    created_at: pkg.createdAt.toISOString(),
    updated_at: pkg.updatedAt.toISOString(),
  };
}

/** A publish's answer: the summary, and `policy_violations` only when the policy let it through with some (DRY_RUN). */
export function toPublishAnswer(pkg: PackageView): PublishAnswer {
  const violations = pkg.policyViolations;
  return { ...toSummary(pkg), ...(violations.length > 0 ? { policy_violations: violations.map(({ rule, path, message }) => ({ rule, path, message })) } : {}) };
}

/** Install metadata carries the lineage (`tenant_id`, `sha256`) a copy keeps for update checks. */
export function toInstallBody(result: InstallResult): InstallBody {
  const { tenantId, packageId, name, version, sha256, authorEmail, deprecation, parameters, credentialBindings } = result.metadata;
  // An install given no values answers exactly as it always did: no keys for values.
  const values = parameters === undefined ? {} : { parameters, credential_bindings: credentialBindings ?? [] };
  return {
    flow: result.flow,
    metadata: { tenant_id: tenantId, package_id: packageId, name, version, sha256, author_email: authorEmail, deprecation, ...values },
  };
}
