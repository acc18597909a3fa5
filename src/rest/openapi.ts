import { z } from 'zod';
import { HTTP_STATUS_BY_CODE } from '../common/errors';
import { MAX_PAGE_SIZE } from '../common/pagination';
import {
  installValuesBodySchema,
  installQuerySchema,
  listQuerySchema,
  metadataBodySchema,
  publishBodySchema,
  tenantQuerySchema,
  visibilityBodySchema,
} from './catalog.schemas';
import { PROBLEM_CONTENT_TYPE } from '../http/problem';
import { installBodySchema, packageSummarySchema, problemDocumentSchema, publishAnswerSchema } from './rest-shapes';

/*
 * The OpenAPI 3.1 document of the REST shim, built from the zod schemas that parse its requests
 * (catalog.schemas.ts) and type its answers (rest-shapes.ts). OpenAPI 3.1 schemas are JSON Schema
 * 2020-12, which is what zod writes.
 */

type JsonSchema = Record<string, unknown>;
type Status = keyof typeof STATUS_TEXT;

const STATUS_TEXT = {
  200: 'OK',
  201: 'Published',
  204: 'Deleted',
  304: 'Not modified: If-None-Match names the current ETag',
  400: 'Invalid request',
  401: 'No valid bearer token',
  403: 'Not allowed for this caller',
  404: 'No such package (or not visible to this caller)',
  409: 'Conflicts with the current state',
  410: 'Gone',
  412: 'If-Match does not name the current ETag',
  413: 'Request body too large',
  415: 'The request body is not JSON',
  422: 'Refused content',
  429: 'Rate limited (see Retry-After)',
  500: 'Internal server error',
  502: 'The flows service did not answer',
  503: 'A dependency is unavailable (see Retry-After)',
} as const;

/** Every request can be refused for these. */
const ALWAYS: Status[] = [400, 401, 403, 429, 500, 503];
const WITH_BODY: Status[] = [413, 415];

const PARAMETER_DESCRIPTIONS: Record<string, string> = {
  limit: `Page size, 1 to ${MAX_PAGE_SIZE}. With \`limit\` or \`cursor\` the answer is one page, and a \`Link: <…>; rel="next"\` header gives the next one; without both, every visible package.`,
  cursor: 'Continues the list from the `Link` header of the previous page (same search only).',
  q: 'Full-text search over name, description, readme and tags.',
  tag: 'Comma-separated tags; a package must carry all of them.',
  author_id: 'Only packages by this author.',
  node_type: 'Comma-separated node types; a package must use all of them.',
  sort: 'Order; by default `relevance` with `q`, `newest` without.',
  version: "The version to install; the package's default version when absent (the highest installable release, else prerelease).",
  tenant_id: 'Super admins only: the tenant to act in.',
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function queryParameters(schema: z.ZodType): JsonSchema[] {
  const { properties = {}, required = [] } = jsonSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.includes(name),
    description: PARAMETER_DESCRIPTIONS[name],
    schema: property,
  }));
}

const PACKAGE_ID = { name: 'package_id', in: 'path', required: true, description: 'The package slug.', schema: { type: 'string' } };

function json(schema: JsonSchema, type = 'application/json'): JsonSchema {
  return { content: { [type]: { schema } } };
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** The error codes a status carries, from the one code → status table. */
function problemResponse(status: Status): JsonSchema {
  const codes = Object.entries(HTTP_STATUS_BY_CODE)
    .filter(([, code]) => code === status)
    .map(([name]) => `\`${name}\``);
  const headers = status === 429 || status === 503 ? { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } } } : undefined;
  return { description: `${STATUS_TEXT[status]}: ${codes.join(', ')}.`, ...(headers ? { headers } : {}), ...json(ref('Problem'), PROBLEM_CONTENT_TYPE) };
}

/** A package summary's answer: the body and its ETag (the package's revision). */
function summaryResponse(status: Status, schema: 'PackageSummary' | 'PublishAnswer' = 'PackageSummary'): JsonSchema {
  const etag = { description: "The package's revision, quoted: give it as If-Match to change only what was read.", schema: { type: 'string' } };
  return { description: STATUS_TEXT[status], headers: { ETag: etag }, ...json(ref(schema)) };
}

const IF_MATCH = {
  name: 'If-Match',
  in: 'header',
  required: false,
  description: 'The ETag of the summary the change is based on (or `*`): 412 when the package changed since.',
  schema: { type: 'string' },
};
const IF_NONE_MATCH = {
  name: 'If-None-Match',
  in: 'header',
  required: false,
  description: 'The ETag of a summary already held: 304 without a body when it is still current.',
  schema: { type: 'string' },
};

function operation(spec: {
  operationId: string;
  summary: string;
  description: string;
  parameters?: JsonSchema[];
  body?: z.ZodType;
  success: [Status, JsonSchema];
  /** Answers besides the success that are not problems (a 304). */
  others?: [Status, JsonSchema][];
  errors: Status[];
}): JsonSchema {
  const [status, success] = spec.success;
  const errors = [...new Set([...ALWAYS, ...spec.errors])].sort((a, b) => a - b);
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    description: spec.description,
    ...(spec.parameters?.length ? { parameters: spec.parameters } : {}),
    ...(spec.body ? { requestBody: { required: true, ...json(jsonSchema(spec.body, 'input')) } } : {}),
    responses: {
      [status]: success,
      ...Object.fromEntries(spec.others ?? []),
      ...Object.fromEntries(errors.map((error) => [error, problemResponse(error)])),
    },
  };
}

let built: JsonSchema | undefined;

/** The document served at `GET /api/v1/catalog/openapi.json` (built once). */
export function catalogOpenApiDocument(): JsonSchema {
  built ??= {
    openapi: '3.1.0',
    info: {
      title: 'Flow package catalog: legacy REST shim',
      version: '1.0.0',
      description: 'The `/api/v1/catalog` shim over the same use cases as the GraphQL subgraph: snake_case fields, RFC 9457 problem+json errors.',
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: '/api/v1/catalog', description: 'This service' }],
    security: [{ bearerAuth: [] }],
    paths: {
      '/': {
        get: operation({
          operationId: 'listPackages',
          summary: 'List the packages visible to the caller',
          description: 'Every visible package, or one page of them with `limit`/`cursor`.',
          parameters: queryParameters(listQuerySchema),
          success: [
            200,
            {
              description: STATUS_TEXT[200],
              headers: { Link: { description: 'The next page (`rel="next"`), when there is one.', schema: { type: 'string' } } },
              ...json({ type: 'array', items: ref('PackageSummary') }),
            },
          ],
          errors: [],
        }),
      },
      '/publish': {
        post: operation({
          operationId: 'publishPackage',
          summary: 'Publish a package version',
          description: 'Creates the package or adds a version to it, from `content` or from the flows service (`flow_id`).',
          body: publishBodySchema,
          success: [201, summaryResponse(201, 'PublishAnswer')],
          errors: [...WITH_BODY, 409, 422, 502],
        }),
      },
      '/{package_id}/install': {
        get: operation({
          operationId: 'installPackage',
          summary: 'Install a version of a package',
          description: 'The flow of a version (the default version unless one is asked for) and its metadata; counts an install.',
          parameters: [PACKAGE_ID, ...queryParameters(installQuerySchema)],
          success: [200, { description: STATUS_TEXT[200], ...json(ref('InstallBody')) }],
          errors: [404, 409, 410],
        }),
        post: operation({
          operationId: 'installPackageWithValues',
          summary: 'Install a version of a package with parameter values and credential bindings',
          description:
            'The same install, with the values of the parameters the version declares stamped into the copy (`{{params.name}}` replaced) and its credential slots renamed to the bound credentials; the metadata records both. Every invalid value is one problem of a 400.',
          parameters: [PACKAGE_ID, ...queryParameters(tenantQuerySchema)],
          body: installValuesBodySchema,
          success: [200, { description: STATUS_TEXT[200], ...json(ref('InstallBody')) }],
          errors: [...WITH_BODY, 404, 409, 410],
        }),
      },
      '/{package_id}/visibility': {
        patch: operation({
          operationId: 'setPackageVisibility',
          summary: 'Change who in the tenant may see a package',
          description: 'The author, an admin of the tenant or a super admin.',
          parameters: [PACKAGE_ID, ...queryParameters(tenantQuerySchema), IF_MATCH],
          body: visibilityBodySchema,
          success: [200, summaryResponse(200)],
          errors: [...WITH_BODY, 404, 409, 412],
        }),
      },
      '/{package_id}': {
        get: operation({
          operationId: 'getPackage',
          summary: 'One package',
          description: 'Its summary and ETag; with a matching If-None-Match, 304 and no body.',
          parameters: [PACKAGE_ID, ...queryParameters(tenantQuerySchema), IF_NONE_MATCH],
          success: [200, summaryResponse(200)],
          others: [[304, { description: STATUS_TEXT[304] }]],
          errors: [404],
        }),
        patch: operation({
          operationId: 'updatePackageMetadata',
          summary: "Change a package's name, description, readme or tags without a new version",
          description:
            'Each field given is set (null clears description and readme), each left out stays. The author, an admin of the tenant or a super admin.',
          parameters: [PACKAGE_ID, ...queryParameters(tenantQuerySchema), IF_MATCH],
          body: metadataBodySchema,
          success: [200, summaryResponse(200)],
          errors: [...WITH_BODY, 404, 409, 412, 422],
        }),
        delete: operation({
          operationId: 'deletePackage',
          summary: 'Delete a package and all its versions',
          description: 'The author, an admin of the tenant or a super admin.',
          parameters: [PACKAGE_ID, ...queryParameters(tenantQuerySchema)],
          success: [204, { description: STATUS_TEXT[204] }],
          errors: [404, 409],
        }),
      },
    },
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from the OIDC issuer.' },
      },
      schemas: {
        PackageSummary: jsonSchema(packageSummarySchema, 'output'),
        PublishAnswer: jsonSchema(publishAnswerSchema, 'output'),
        InstallBody: jsonSchema(installBodySchema, 'output'),
        Problem: jsonSchema(problemDocumentSchema, 'output'),
      },
    },
  };
  return built;
}
