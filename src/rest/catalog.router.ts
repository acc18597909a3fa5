import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Caller } from '../common/caller';
import { CatalogError, NotFoundError } from '../common/errors';
import type { Logger } from '../common/logger';
import { MAX_PAGE_SIZE } from '../common/pagination';
import { authenticate, callerOf, requestMetaOf } from '../http/authenticate';
import type { OidcTokenVerifier } from '../infra/auth/oidc-verifier';
import type { Catalog } from '../modules/package/catalog';
import { refuseUnstorableInput, refuseUnstorableParam } from '../http/unstorable-input';
import { requireUtf8Body } from '../http/utf8-body';
import type { PackageView } from '../modules/package/package.view';
import {
  installValuesBodySchema,
  installQuerySchema,
  listQuerySchema,
  metadataBodySchema,
  parseRest,
  publishBodySchema,
  searchOf,
  tenantQuerySchema,
  toInstallBody,
  toPublishAnswer,
  toSummary,
  visibilityBodySchema,
} from './catalog.schemas';
import { inRestNames } from './field-names';
import { catalogOpenApiDocument } from './openapi';
import { problemErrorHandler } from '../http/problem';
import { asPreconditionFailure, matchesIfNoneMatch, revisionFromIfMatch, setEtag } from './revision-etag';

/** Largest accepted JSON body: a 1 MiB flow (docs/FLOW-FORMAT.md) with room for a readme and the rest. */
const REST_BODY_LIMIT = '2mb';

interface CatalogRouterDeps {
  catalog: Catalog;
  verifier: OidcTokenVerifier;
  logger: Logger;
  /** Runs after authentication (the caller is known): the rate limiter. */
  afterAuthentication?: RequestHandler[];
}

/**
 * The legacy `/api/v1/catalog` REST shim: the same authentication and the same use cases as
 * GraphQL, snake_case on the wire, problem+json errors. It maps names and shapes and nothing
 * else; every rule lives in the use cases.
 */
export function createCatalogRouter({ catalog, verifier, logger, afterAuthentication = [] }: CatalogRouterDeps): Router {
  const router = Router();
  const json = express.json({ limit: REST_BODY_LIMIT, type: ['application/json', 'application/*+json'], verify: requireUtf8Body });
  // Every body is checked for strings the database cannot store as soon as it is parsed.
  const parseJson: RequestHandler = (req, res, next) => json(req, res, (error?: unknown) => (error ? next(error) : refuseUnstorableInput(req, res, next)));

  router.use((_req, res, next) => {
    // Answers depend on who asks: no shared cache may keep them.
    res.setHeader('cache-control', 'no-store');
    next();
  });
  // The description of the API is public: client generators fetch it without a token.
  router.get('/openapi.json', (_req, res) => {
    res.json(catalogOpenApiDocument());
  });
  router.use(authenticate(verifier), ...afterAuthentication, refuseUnstorableInput);
  router.param('package_id', refuseUnstorableParam);

  router.get('/', async (req, res) => {
    const { caller } = callerOf(res);
    const query = parseRest(listQuerySchema, req.query, 'query');
    const search = searchOf(query);
    if (query.limit === undefined && query.cursor === undefined) {
      res.json((await inRest(listAll(catalog, caller, search))).map(toSummary));
      return;
    }
    const page = await inRest(catalog.listPackages(caller, { first: query.limit ?? MAX_PAGE_SIZE, after: query.cursor ?? null, ...search }));
    if (page.pageInfo.hasNextPage && page.pageInfo.endCursor) {
      // The next link keeps the search: the cursor only continues the filter and order it came from.
      const next = new URLSearchParams({ ...searchParamsOf(req.query), limit: String(query.limit ?? MAX_PAGE_SIZE), cursor: page.pageInfo.endCursor });
      res.setHeader('link', `<${req.baseUrl}?${next.toString()}>; rel="next"`);
    }
    res.json(page.edges.map((edge) => toSummary(edge.node)));
  });

  router.post('/publish', requireJsonBody, parseJson, async (req, res) => {
    const { caller } = callerOf(res);
    const body = parseRest(publishBodySchema, req.body, 'body');
    const input = {
      packageId: body.package_id,
      name: body.name,
      description: body.description,
      version: body.version,
      readme: body.readme,
      flowId: body.flow_id,
      content: body.content,
      tags: body.tags,
      changelog: body.changelog,
      parameters: body.parameters,
      runtime: body.runtime,
    };
    const pkg = await inRest(catalog.publishPackage(caller, input, requestMetaOf(req, res)));
    setEtag(res, pkg);
    res.status(201).json(toPublishAnswer(pkg));
  });

  router.get('/:package_id/install', async (req, res) => {
    const { caller } = callerOf(res);
    const query = parseRest(installQuerySchema, req.query, 'query');
    const result = await inRest(catalog.installPackage(caller, packageIdOf(req), { version: query.version ?? null, tenantId: query.tenant_id ?? null }));
    res.json(toInstallBody(result));
  });

  // The same install, given parameter values and credential bindings to stamp into the copy.
  router.post('/:package_id/install', requireJsonBody, parseJson, async (req, res) => {
    const { caller } = callerOf(res);
    const query = parseRest(tenantQuerySchema, req.query, 'query');
    const body = parseRest(installValuesBodySchema, req.body, 'body');
    const result = await inRest(
      catalog.installPackage(caller, packageIdOf(req), {
        version: body.version ?? null,
        tenantId: query.tenant_id ?? null,
        parameters: body.parameters ?? {},
        credentialBindings: body.credential_bindings ?? [],
      }),
    );
    res.json(toInstallBody(result));
  });

  router.patch('/:package_id/visibility', requireJsonBody, parseJson, async (req, res) => {
    const { caller } = callerOf(res);
    const query = parseRest(tenantQuerySchema, req.query, 'query');
    const body = parseRest(visibilityBodySchema, req.body, 'body');
    const expectedRevision = revisionFromIfMatch(req);
    const pkg = await inRest(
      catalog.setVisibility(caller, packageIdOf(req), {
        visibility: body.visibility,
        visibilityGroupIds: body.visibility_group_ids ?? null,
        tenantId: query.tenant_id ?? null,
        expectedRevision,
      }),
    );
    setEtag(res, pkg);
    res.json(toSummary(pkg));
  });

  // One package's summary, with its ETag: a matching If-None-Match is answered 304 without a body.
  router.get('/:package_id', async (req, res) => {
    const { caller } = callerOf(res);
    const query = parseRest(tenantQuerySchema, req.query, 'query');
    const pkg = await inRest(catalog.getPackage(caller, packageIdOf(req), { tenantId: query.tenant_id ?? null }));
    if (!pkg) throw new NotFoundError(`Package ${packageIdOf(req)} not found`);
    // Revalidated on every use (never stored for others): the ETag makes that a 304 when nothing changed.
    res.setHeader('cache-control', 'private, no-cache');
    setEtag(res, pkg);
    if (matchesIfNoneMatch(req, pkg)) {
      res.status(304).end();
      return;
    }
    res.json(toSummary(pkg));
  });

  // The metadata without a new version; If-Match makes it conditional on the revision read.
  router.patch('/:package_id', requireJsonBody, parseJson, async (req, res) => {
    const { caller } = callerOf(res);
    const query = parseRest(tenantQuerySchema, req.query, 'query');
    const metadata = parseRest(metadataBodySchema, req.body, 'body');
    const expectedRevision = revisionFromIfMatch(req);
    const pkg = await inRest(catalog.editMetadata(caller, packageIdOf(req), { metadata, expectedRevision, tenantId: query.tenant_id ?? null }));
    setEtag(res, pkg);
    res.json(toSummary(pkg));
  });

  router.delete('/:package_id', async (req, res) => {
    const { caller } = callerOf(res);
    const query = parseRest(tenantQuerySchema, req.query, 'query');
    await inRest(catalog.deletePackage(caller, packageIdOf(req), { tenantId: query.tenant_id ?? null }));
    res.status(204).end();
  });

  router.use((req, _res, next) => {
    next(new NotFoundError(`No such endpoint: ${req.method} ${req.originalUrl.split('?')[0]}`));
  });
  router.use(problemErrorHandler(logger));
  return router;
}

/** The search parameters of the request, as given (they were validated already). */
function searchParamsOf(query: Request['query']): Record<string, string> {
  return Object.fromEntries(
    ['q', 'tag', 'author_id', 'node_type', 'sort'].filter((key) => typeof query[key] === 'string').map((key) => [key, String(query[key])]),
  );
}

/** The legacy list has no pagination: every visible package, read page by page. */
async function listAll(catalog: Catalog, caller: Caller, search: ReturnType<typeof searchOf>): Promise<PackageView[]> {
  const all: PackageView[] = [];
  let after: string | null = null;
  do {
    const page = await catalog.listPackages(caller, { first: MAX_PAGE_SIZE, after, ...search });
    all.push(...page.edges.map((edge) => edge.node));
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after);
  return all;
}

function packageIdOf(req: Request): string {
  return String(req.params['package_id']);
}

/** A body whose type is not JSON is refused before it is read; no body at all (or an empty one) is a 400 later. */
function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  const empty = req.headers['content-length'] === '0';
  if (!empty && req.is(['application/json', 'application/*+json']) === false) {
    next(new CatalogError('UNSUPPORTED_MEDIA_TYPE', 'The request body must be JSON (Content-Type: application/json)'));
    return;
  }
  next();
}

/** A use case's input problems name GraphQL's fields; REST callers sent snake_case. */
async function inRest<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw inRestNames(asPreconditionFailure(error));
  }
}
