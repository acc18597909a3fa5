import { z } from 'zod';
import { HTTP_STATUS_BY_CODE, QUOTA_NAMES, type ErrorCode } from '../common/errors';
import type { ProblemDocument } from '../http/problem';
import { VISIBILITIES } from '../modules/package/package.entity';

/*
 * What the REST shim answers, as zod schemas: the handlers' return types are inferred from them
 * (catalog.schemas.ts) and the OpenAPI document is generated from them (openapi.ts), so neither
 * can drift from the other.
 */

export const packageSummarySchema = z
  .object({
    package_id: z.string(),
    tenant_id: z.string().meta({ description: 'Super admins see several tenants: every summary says which one it belongs to.' }),
    name: z.string(),
    description: z.string().nullable(),
    version: z.string().meta({
      description:
        'The default version (semver): what install gives without a version, the highest installable release, else prerelease; not necessarily the highest version published.',
    }),
    author_id: z.string(),
    author_email: z.string().nullable().meta({ description: "null unless the caller is in the package's tenant or a super admin." }),
    visibility: z.enum(VISIBILITIES),
    visibility_group_ids: z
      .array(z.string())
      .meta({ description: "Empty unless the caller is the author, an admin of the package's tenant or a super admin." }),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .meta({ description: 'A package as this caller may see it (CatalogPackageSummary).' });

const policyViolationSchema = z.object({
  rule: z.string().meta({ description: '`allowedNodeTypes`, `allowedHosts` or `maxNodes`.' }),
  path: z.string().meta({ description: 'JSON pointer into the flow: `/nodes/3/type`, `/nodes/2/config/url`, `/nodes`.' }),
  message: z.string(),
});

export const publishAnswerSchema = packageSummarySchema
  .extend({
    policy_violations: z.array(policyViolationSchema).optional().meta({
      description: "Only when the tenant's publish policy let the publish through with violations of rules in DRY_RUN mode: each of them.",
    }),
  })
  .meta({ description: 'The published package (a PackageSummary), with the dry-run violations of the publish policy when there are any.' });

export const installBodySchema = z
  .object({
    flow: z.record(z.string(), z.unknown()).meta({ description: 'The flow document of the installed version.' }),
    metadata: z
      .object({
        tenant_id: z.string(),
        package_id: z.string(),
        name: z.string(),
        version: z.string(),
        sha256: z
          .string()
          .meta({ description: 'sha256 of the installed archive: with tenant_id, package_id and version, what a copy keeps to check for updates.' }),
        author_email: z.string().nullable(),
        deprecation: z
          .object({ reason: z.string().nullable() })
          .nullable()
          .meta({ description: 'Set when the installed version is deprecated: it still works, but a newer one is advised.' }),
        parameters: z
          .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
          .optional()
          .meta({ description: 'Only for an install given values (POST): the parameter values stamped into the copy, defaults included.' }),
        credential_bindings: z
          .array(z.object({ slot: z.string(), credential: z.string() }))
          .optional()
          .meta({ description: 'Only for an install given values (POST): the credential bindings applied.' }),
      })
      .meta({ description: 'What was installed (the lineage of the copy).' }),
  })
  .meta({ description: 'One version of a package, ready to import.' });

const ERROR_CODES = Object.keys(HTTP_STATUS_BY_CODE) as [ErrorCode, ...ErrorCode[]];

const reportedProblemSchema = z.union([
  z.object({ path: z.string().meta({ description: 'Where, in snake_case: `$.package_id`, `$.nodes[2].id`.' }), message: z.string() }),
  z.object({ path: z.string().meta({ description: 'JSON pointer into the flow, or `/readme`, `/description`, `/name`.' }), rule: z.string() }),
]);

export const problemDocumentSchema = z
  .object({
    type: z.url(),
    title: z.string(),
    status: z.int().min(400).max(599),
    detail: z.string(),
    code: z.enum(ERROR_CODES),
    instance: z.string(),
    request_id: z.string().nullable(),
    problems: z.array(reportedProblemSchema).optional().meta({ description: 'BAD_USER_INPUT, FLOW_COMPILE_FAILED, FLOW_CONTAINS_SECRETS: each problem.' }),
    quota: z
      .object({ name: z.enum(QUOTA_NAMES), limit: z.int().min(0), used: z.int().min(0) })
      .optional()
      .meta({ description: 'QUOTA_EXCEEDED: which limit, its value and what is used.' }),
    violations: z
      .array(policyViolationSchema)
      .optional()
      .meta({ description: "POLICY_VIOLATION: every rule of the tenant's publish policy the publish breaks." }),
    current_revision: z.int().min(0).optional().meta({ description: "REVISION_MISMATCH, PRECONDITION_FAILED: the package's current revision (its ETag)." }),
  })
  .meta({ description: 'An RFC 9457 problem document with the catalog error `code`.' });

export type PackageSummary = z.infer<typeof packageSummarySchema>;
export type PublishAnswer = z.infer<typeof publishAnswerSchema>;
export type InstallBody = z.infer<typeof installBodySchema>;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
/** The problem document the OpenAPI document describes is the one the edge sends (src/http/problem.ts). */
export const PROBLEM_SCHEMA_MATCHES_DOCUMENT: Same<z.infer<typeof problemDocumentSchema>, ProblemDocument> = true;
