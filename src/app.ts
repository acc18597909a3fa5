import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginInlineTrace } from '@apollo/server/plugin/inlineTrace';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import { pinoHttp } from 'pino-http';
import { DEV_ISSUER_PATH, type AppConfig } from './config';
import { CatalogError, HTTP_STATUS_BY_CODE, UnauthenticatedError } from './common/errors';
import { createLogger, type Logger } from './common/logger';
import { currentRequestId, runWithRequestId } from './common/request-context';
import type { GraphQLContext } from './graphql/context';
import { createFormatError } from './graphql/format-error';
import { buildCatalogSubgraphSchema } from './graphql/schema';
import { authenticate, callerOf, graphqlErrorBody } from './http/authenticate';
import { isServiceSdlRequest } from './http/service-sdl-request';
import { createEdge, finalHandlers, idempotencyKeyOf } from './http/edge';
import { GRAPHQL_LIMITS } from './graphql/limits';
import { healthRouter } from './http/health';
import { DevIssuer, devIssuerUrl } from './infra/auth/dev-issuer';
import { OidcTokenVerifier } from './infra/auth/oidc-verifier';
import { createBlobStorage } from './infra/blob';
import type { BlobStorage } from './infra/blob/blob-storage';
import { Database } from './infra/db/database';
import { createOrm, migrate, type Orm } from './infra/db/orm';
import type { FlowSource } from './infra/flows/flow-source';
import { createFlowSource } from './infra/flows/http-flow-source';
import type { IdempotencyService } from './modules/idempotency/idempotency.service';
import { createPackageLoader } from './modules/package/package.reference';
import { PackageService } from './modules/package/package.service';
import { createCatalogRouter } from './rest/catalog.router';

export interface AppOptions {
  logger?: Logger;
  /** Called with every SQL statement (tests count them). */
  onQuery?: (sql: string) => void;
  /** Replaces the flows service adapter chosen from the config. */
  flowSource?: FlowSource;
}

export interface App {
  httpServer: Server;
  orm: Orm;
  blobs: BlobStorage;
  services: { packages: PackageService; idempotency: IdempotencyService };
  logger: Logger;
  /** Present when the local development issuer is in use. */
  devIssuer: DevIssuer | null;
  close(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Builds everything (database, blob storage, auth, GraphQL, REST) without listening. */
export async function createApp(config: AppConfig, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const cleanups: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => logger.error({ err }, 'shutdown step failed'));
  };

  try {
    const orm = await createOrm(config.database, { logger, onQuery: options.onQuery });
    cleanups.push(() => orm.close());
    if (config.migrate) await migrate(orm);
    const db = new Database(orm, config.database.kind === 'pglite');

    const blobHandle = await createBlobStorage(config.blob, logger);
    cleanups.push(() => blobHandle.stop());
    const blobs = blobHandle.storage;

    const flows = options.flowSource ?? createFlowSource(config.flowsApiUrl, { logger });
    const packages = new PackageService(db, blobs, flows, logger);

    let devIssuer: DevIssuer | null = null;
    let verifier: OidcTokenVerifier;
    if (config.auth.kind === 'dev-issuer') {
      devIssuer = await DevIssuer.loadOrCreate(config.auth.keyDir, devIssuerUrl(config.host, config.port));
      // The development issuer is checked through the very same OIDC path as a real one.
      verifier = new OidcTokenVerifier({ issuer: devIssuer.issuerUrl, audience: config.auth.audience });
    } else {
      verifier = new OidcTokenVerifier({ issuer: config.auth.issuer, audience: config.auth.audience });
    }

    // Request limits, CORS, rate limits, idempotency and the playground (docs/API.md, "Limits").
    const edge = createEdge({ config, db, logger, devIssuer });
    const idempotency = edge.idempotency;

    const app = express();
    const httpServer = createServer(app);
    app.disable('x-powered-by');
    app.use((req, res, next) => {
      const incoming = req.headers['x-request-id'];
      const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
      res.setHeader('x-request-id', requestId);
      runWithRequestId(requestId, next);
    });
    // pino-http serializes each request into a child logger up front (headers, redaction): only
    // worth it when request lines are logged (info); errors are logged with their request id anyway.
    if (logger.isLevelEnabled('info')) {
      app.use(pinoHttp({ logger, genReqId: () => currentRequestId() ?? randomUUID(), autoLogging: { ignore: (req) => req.url === '/healthz' } }));
    }
    app.use(healthRouter(db, blobs));
    if (devIssuer) app.use(DEV_ISSUER_PATH, devIssuer.router());
    app.use(edge.browserRoutes);

    const apollo = new ApolloServer<GraphQLContext>({
      schema: await buildCatalogSubgraphSchema(),
      formatError: createFormatError(logger),
      includeStacktraceInErrorResponses: false,
      allowBatchedHttpRequests: false,
      introspection: edge.apollo.introspection,
      persistedQueries: edge.apollo.persistedQueries,
      parseOptions: edge.apollo.parseOptions,
      validationRules: edge.apollo.validationRules,
      plugins: [
        ...edge.apollo.plugins,
        ApolloServerPluginDrainHttpServer({ httpServer }),
        ApolloServerPluginLandingPageDisabled(),
        // Federated tracing (ftv1) for the router's field statistics: only requests sent with
        // `apollo-federation-include-trace: ftv1` are timed; others return before any hook.
        ApolloServerPluginInlineTrace(),
        // The default cache-control plugin wraps every field resolver to collect hints nobody sets
        // here (no @cacheControl): measurable CPU on every list (docs/PERFORMANCE.md).
        ApolloServerPluginCacheControlDisabled(),
      ],
    });
    await apollo.start();
    cleanups.push(() => apollo.stop());

    app.use(
      '/graphql',
      edge.cors,
      requireRouterSecret(config.routerSecret),
      express.json({ limit: GRAPHQL_LIMITS.bodyBytes }),
      authenticate(verifier, isServiceSdlRequest),
      expressMiddleware(apollo, {
        context: async ({ req, res }) => {
          const { caller, authorization } = callerOf(res);
          return {
            caller,
            authorization,
            requestId: currentRequestId() ?? randomUUID(),
            idempotencyKey: idempotencyKeyOf(req),
            logger,
            services: { packages, idempotency },
            loaders: { packageById: createPackageLoader(packages, caller) },
          };
        },
      }),
    );
    app.use('/graphql', graphqlEdgeErrors(logger));
    app.use(
      '/api/v1/catalog',
      edge.cors,
      createCatalogRouter({ packages, idempotency, verifier, logger, afterAuthentication: [edge.restRateLimit] }),
    );
    app.use(...finalHandlers(logger));

    return { httpServer, orm, blobs, services: { packages, idempotency }, logger, devIssuer, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** CONTRACT §1: with ROUTER_SECRET set, only the router (which adds the header) reaches /graphql. */
function requireRouterSecret(secret: string | null) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (secret === null || sameSecret(req.headers['router-secret'], secret)) return next();
    next(new UnauthenticatedError('This subgraph is only reachable through the router'));
  };
}

/** Constant-time comparison, so response timing does not reveal how much of a guess was right. */
function sameSecret(given: string | string[] | undefined, secret: string): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b);
}

/** Errors raised before Apollo runs (auth, body parsing) in GraphQL's response shape. */
function graphqlEdgeErrors(logger: Logger) {
  return (error: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    if (error instanceof CatalogError) {
      res.status(HTTP_STATUS_BY_CODE[error.code]).json(graphqlErrorBody(error));
      return;
    }
    const status = (error as { status?: number }).status;
    if (status === 413 || status === 400) {
      const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST';
      res.status(status).json({ errors: [{ message: status === 413 ? 'Request body too large' : 'Malformed JSON body', extensions: { code } }] });
      return;
    }
    const requestId = currentRequestId();
    logger.error({ err: error, requestId }, 'unexpected error at the GraphQL edge');
    res.status(500).json({ errors: [{ message: `Internal server error (request id ${requestId})`, extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } }] });
  };
}
