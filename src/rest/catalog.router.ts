import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Caller } from '../common/caller';
import { BadUserInputError, CatalogError, NotFoundError } from '../common/errors';
import type { Logger } from '../common/logger';
import { MAX_PAGE_SIZE } from '../common/pagination';
import { authenticate, callerOf } from '../http/authenticate';
import { idempotencyKeyOf } from '../http/edge';
import type { OidcTokenVerifier } from '../infra/auth/oidc-verifier';
import type { PackageRecord } from '../modules/package/package.model';
import type { IdempotencyService } from '../modules/idempotency/idempotency.service';
import type { PackageService } from '../modules/package/package.service';
import {
  installQuerySchema,
  listQuerySchema,
  parseRest,
  publishBodySchema,
  tenantQuerySchema,
  toInstallBody,
  toRestProblems,
  toSnakeCase,
  toSummary,
  visibilityBodySchema,
} from './catalog.schemas';
import { problemErrorHandler } from './problem';

/** Largest accepted JSON body: a 1 MiB flow (docs/FLOW-FORMAT.md) with room for a readme and the rest. */
export const REST_BODY_LIMIT = '2mb';

export interface CatalogRouterDeps {
  packages: PackageService;
  idempotency: IdempotencyService;
  verifier: OidcTokenVerifier;
  logger: Logger;
  /** Runs after authentication (the caller is known): the rate limiter. */
  afterAuthentication?: RequestHandler[];
}

/**
 * The legacy `/api/v1/catalog` REST shim (reference/000-scaicore-catalog-rest-api.md): the same
 * authentication and the same PackageService as GraphQL, snake_case on the wire, problem+json
 * errors. It maps shapes and nothing else; every rule lives in the service.
 */
export function createCatalogRouter({ packages, idempotency, verifier, logger, afterAuthentication = [] }: CatalogRouterDeps): Router {
  const router = Router();
  const parseJson = express.json({ limit: REST_BODY_LIMIT, type: ['application/json', 'application/*+json'] });

  router.use((_req, res, next) => {
    // Answers depend on who asks: no shared cache may keep them.
    res.setHeader('cache-control', 'no-store');
    next();
  });
  router.use(authenticate(verifier), ...afterAuthentication);

  router.get('/', async (req, res) => {
    const { caller } = callerOf(res);
    const query = parseRest(listQuerySchema, req.query, 'query');
    if (query.limit === undefined && query.cursor === undefined) {
      res.json((await listAll(packages, caller)).map((pkg) => toSummary(caller, pkg)));
      return;
    }
    const page = await restErrors(packages.listPackages(caller, { first: query.limit ?? MAX_PAGE_SIZE, after: query.cursor ?? null }));
    if (page.pageInfo.hasNextPage && page.pageInfo.endCursor) {
      const next = new URLSearchParams({ limit: String(query.limit ?? MAX_PAGE_SIZE), cursor: page.pageInfo.endCursor });
      res.setHeader('link', `<${req.baseUrl}?${next.toString()}>; rel="next"`);
    }
    res.json(page.edges.map((edge) => toSummary(caller, edge.node)));
  });

  router.post('/publish', requireJsonBody, parseJson, async (req, res) => {
    const { caller, authorization } = callerOf(res);
    const body = parseRest(publishBodySchema, req.body, 'body');
    const input = {
      packageId: body.package_id,
      name: body.name,
      description: body.description,
      version: body.version,
      readme: body.readme,
      flowId: body.flow_id,
      content: body.content,
    };
    // The same key means the same request on GraphQL and REST: both hash the service input.
    const record = await restErrors(
      idempotency.withIdempotency(caller, idempotencyKeyOf(req), input, () => packages.publishPackage(caller, input, authorization)),
    );
    res.status(201).json(toSummary(caller, record));
  });

  router.get('/:package_id/install', async (req, res) => {
    const { caller } = callerOf(res);
    const query = parseRest(installQuerySchema, req.query, 'query');
    const result = await restErrors(
      packages.installPackage(caller, packageIdOf(req), { version: query.version ?? null, tenantId: query.tenant_id ?? null }),
    );
    res.json(toInstallBody(result));
  });

  router.patch('/:package_id/visibility', requireJsonBody, parseJson, async (req, res) => {
    const { caller } = callerOf(res);
    const query = parseRest(tenantQuerySchema, req.query, 'query');
    const body = parseRest(visibilityBodySchema, req.body, 'body');
    const record = await restErrors(
      packages.setVisibility(caller, packageIdOf(req), {
        visibility: body.visibility,
        visibilityGroupIds: body.visibility_group_ids ?? null,
        tenantId: query.tenant_id ?? null,
      }),
    );
    res.json(toSummary(caller, record));
  });

  router.delete('/:package_id', async (req, res) => {
    const { caller } = callerOf(res);
    const query = parseRest(tenantQuerySchema, req.query, 'query');
    await restErrors(packages.deletePackage(caller, packageIdOf(req), { tenantId: query.tenant_id ?? null }));
    res.status(204).end();
  });

  router.use((req, _res, next) => {
    next(new NotFoundError(`No such endpoint: ${req.method} ${req.originalUrl.split('?')[0]}`));
  });
  router.use(problemErrorHandler(logger));
  return router;
}

/** The legacy list has no pagination: every visible package, read page by page. */
async function listAll(packages: PackageService, caller: Caller): Promise<PackageRecord[]> {
  const all: PackageRecord[] = [];
  let after: string | null = null;
  do {
    const page = await packages.listPackages(caller, { first: MAX_PAGE_SIZE, after });
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

/** The service's input problems name GraphQL's camelCase fields; REST callers sent snake_case. */
async function restErrors<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof BadUserInputError) throw new BadUserInputError(toSnakeCase(error.message), toRestProblems(error.problems ?? []));
    throw error;
  }
}
