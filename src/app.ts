import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import type { AbstractSqlConnection } from '@mikro-orm/sql';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginInlineTrace } from '@apollo/server/plugin/inlineTrace';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import { DEV_ISSUER_PATH, type AppConfig } from './config';
import { Bulkhead } from './common/bulkhead';
import { AnswerCapacityError, UnauthenticatedError } from './common/errors';
import { createLogger, type Logger } from './common/logger';
import { currentRequestId, runWithRequestId } from './common/request-context';
import { createContext, type GraphQLContext } from './graphql/context';
import { createFormatError } from './graphql/format-error';
import { queryCostLimit } from './graphql/cost';
import { responseSizeLimit } from './graphql/response-size';
import { graphqlHttpStatus } from './graphql/http-status';
import { buildCatalogSubgraphSchema } from './graphql/schema';
import { authenticate, callerOf, requestMetaOf } from './http/authenticate';
import { accessLog } from './http/access-log';
import { createEdge } from './edge';
import { toEdgeError } from './http/errors';
import { drainingGate } from './http/draining';
import { requestDeadline } from './http/request-deadline';
import { requireUtf8Body } from './http/utf8-body';
import { isServiceSdlRequest } from './http/service-sdl-request';
import { GRAPHQL_LIMITS } from './graphql/limits';
import { catalogKeysRouter } from './http/catalog-keys';
import { healthRouter } from './http/health';
import { graphqlOperationMetrics, requestDurationMetrics } from './http/request-metrics';
import { DevIssuer, devIssuerUrl } from './infra/auth/dev-issuer';
import { OidcTokenVerifier } from './infra/auth/oidc-verifier';
import { createBlobStorage } from './infra/blob';
import type { BlobStorage } from './infra/blob/blob-storage';
import { Database } from './infra/db/database';
import { createOrm, migrate, replicaConnections, type Orm } from './infra/db/orm';
import { ReadRouting } from './infra/db/read-replicas';
import { awaitMigratedSchema } from './infra/db/migration-lock';
import type { FlowSource } from './infra/flows/flow-source';
import { startMetrics, timedBlobStorage } from './infra/metrics';
import { loadSigningKeys } from './infra/signing/key-files';
import { createFlowSource } from './infra/flows/http-flow-source';
import { AuditRepository } from './modules/audit/audit.repository';
import { IdempotencyService } from './modules/idempotency/idempotency.service';
import { ArchiveCache } from './modules/package/archive-cache';
import { createCatalog, type Catalog } from './modules/package/catalog';
import { PublishSlots } from './modules/package/publish-slots';
import { PackageRepository } from './modules/package/package.repository';
import { PublishPolicyRepository } from './modules/publish-policy/publish-policy.repository';
import { QuotaRepository } from './modules/quota/quota.repository';
import { ProvenanceSigner } from './modules/provenance/provenance';
import { UpgradeMergeCache } from './modules/package/upgrade-preview';
import { createSecretGuard } from './modules/secrets/secret-guard';
import { createCatalogRouter } from './rest/catalog.router';
import { problemErrorHandler } from './http/problem';

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
  catalog: Catalog;
  logger: Logger;
  /** Present when the local development issuer is in use. */
  devIssuer: DevIssuer | null;
  /** Signs and verifies the versions' provenance statements with the configured keys. */
  provenance: ProvenanceSigner;
  /** `http://host:port` of the metrics server (`GET /metrics`), null when it is off. */
  metricsUrl: string | null;
  /** From now on /readyz answers 503 and new requests are refused; call before `close()`. */
  markDraining(): void;
  /** Lets requests in flight finish (up to the shutdown grace), then stops every part. */
  close(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Upgrade merges kept in memory: a bulk preview of 100 copies fits many times over. */
const UPGRADE_MERGES_KEPT = 1_000;

/**
 * The composition root: builds the parts (database, blob storage, auth), the use cases over them,
 * and hands the same use cases to both edges (GraphQL and REST), without listening.
 */
export async function createApp(config: AppConfig, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const cleanups: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => logger.error({ err }, 'shutdown step failed'));
  };

  const { tuning } = config;
  try {
    // First: a bad key fails the start before anything else has started.
    const provenance = new ProvenanceSigner(await loadSigningKeys(config.signing));
    // The database and blob storage (which may first import an earlier embedded Azurite's
    // archives) can take seconds each to start: start them together.
    const [ormStart, blobStart] = await Promise.allSettled([
      createOrm(config.database, { logger, onQuery: options.onQuery, tuning }),
      createBlobStorage(config.blob, logger, { operationTimeoutMs: tuning.blobTimeoutMs }),
    ]);
    // Closed through `db` once it exists (which then refuses late work), directly until then.
    let closeDatabase = () => (ormStart.status === 'fulfilled' ? ormStart.value.close() : Promise.resolve());
    cleanups.push(() => closeDatabase());
    if (blobStart.status === 'fulfilled') cleanups.push(() => blobStart.value.stop());
    if (ormStart.status === 'rejected') throw ormStart.reason;
    if (blobStart.status === 'rejected') throw blobStart.reason;
    const orm = ormStart.value;
    // Several instances may start at once on one database: one migrates, the others wait for it.
    // With MIGRATE=false (migrations run as a job: npm run migrate) this one waits for the schema.
    const schemaWait = { logger, waitMs: config.database.kind === 'pglite' ? 0 : tuning.migrateWaitMs };
    if (config.migrate) await migrate(orm, schemaWait);
    else await awaitMigratedSchema(orm, schemaWait);
    const pglite = config.database.kind === 'pglite';
    // PostgreSQL's deadlines live in its pool (orm.ts); the in-process PGlite gets one per unit of work.
    const unitMs = tuning.statementTimeoutMs + tuning.connectTimeoutMs;
    const readRouting = await startReadRouting(orm, tuning, logger);
    if (readRouting) cleanups.push(() => readRouting.stop());
    const db = new Database(orm, pglite, { logger, unitDeadlineMs: pglite ? unitMs : undefined, closeWaitMs: unitMs, readRouting });
    closeDatabase = () => db.close();
    const metricsServer = await startMetrics(config, orm, logger);
    cleanups.push(() => metricsServer.close());
    const blobs = timedBlobStorage(blobStart.value.storage);

    const flows = options.flowSource ?? createFlowSource(config.flowsApiUrl, { logger, timeoutMs: tuning.flowsTimeoutMs });
    const quotas = new QuotaRepository(config.quotas);
    const publishSlots = new PublishSlots({
      db,
      quotas,
      bulkhead: new Bulkhead(tuning.publishConcurrency, tuning.connectTimeoutMs, 'database'),
      logger,
      ttlMs: tuning.publishReservationTtlMs,
      waitMs: tuning.publishSlotWaitMs,
    });
    // What a crash leaves (reservations nobody renews) is reaped here, and by the next publish of that package.
    const reservationSweep = setInterval(() => {
      publishSlots.sweep().catch((err: unknown) => logger.warn({ err }, 'could not sweep expired publish reservations'));
    }, tuning.reservationSweepMs);
    reservationSweep.unref();
    cleanups.push(async () => clearInterval(reservationSweep));
    const catalog = createCatalog({
      db,
      packages: new PackageRepository(),
      audit: new AuditRepository(),
      blobs,
      flows,
      idempotency: new IdempotencyService(db, logger, { ttlMs: tuning.idempotencyTtlMs, lockMs: tuning.idempotencyLockMs }),
      archives: new ArchiveCache(tuning.archiveCacheBytes),
      logger,
      secrets: await createSecretGuard(),
      quotas,
      maxResponseBytes: tuning.maxResponseBytes,
      publishSlots,
      provenance,
      upgradeMerges: new UpgradeMergeCache(UPGRADE_MERGES_KEPT),
      publishPolicies: new PublishPolicyRepository(),
    });

    let devIssuer: DevIssuer | null = null;
    let verifier: OidcTokenVerifier;
    const issuerDeadlines = { fetchTimeoutMs: tuning.issuerTimeoutMs, jwksCooldownMs: tuning.jwksCooldownMs, logger };
    if (config.auth.kind === 'dev-issuer') {
      devIssuer = await DevIssuer.loadOrCreate(config.auth.keyDir, devIssuerUrl(config.host, config.port));
      // The development issuer is checked through the very same OIDC path as a real one.
      verifier = new OidcTokenVerifier({ issuer: devIssuer.issuerUrl, audience: config.auth.audience, ...issuerDeadlines });
    } else {
      verifier = new OidcTokenVerifier({ issuer: config.auth.issuer, audience: config.auth.audience, ...issuerDeadlines });
    }

    // Request limits, CORS, rate limits and the playground (docs/API.md, "Limits").
    const edge = await createEdge({ config, db, logger, devIssuer });
    cleanups.push(() => edge.rateLimiter.close());

    const app = express();
    // Express would hash every answer for a weak ETag (SHA-1 over megabytes, on the event loop);
    // nothing here answers 304, and GraphQL answers are POST answers nobody revalidates.
    app.set('etag', false);
    const httpServer = createServer(app);
    app.disable('x-powered-by');
    app.use((req, res, next) => {
      const incoming = req.headers['x-request-id'];
      const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
      res.setHeader('x-request-id', requestId);
      runWithRequestId(requestId, next);
    });
    app.use(requestDurationMetrics());
    // pino-http serializes each request into a child logger up front (headers, redaction): only
    // worth it when request lines are logged (info); errors are logged with their request id anyway.
    if (logger.isLevelEnabled('info')) {
      app.use(accessLog(logger));
    }
    let draining = false;
    app.use(drainingGate(() => draining));
    app.use(requestDeadline(tuning.requestTimeoutMs, logger));
    app.use(healthRouter(db, blobs, logger, readRouting));
    if (devIssuer) app.use(DEV_ISSUER_PATH, devIssuer.router());
    app.use(catalogKeysRouter(provenance));
    app.use(edge.browserRoutes);

    const answerSize = responseSizeLimit(tuning.maxResponseBytes, logger);
    const apollo = new ApolloServer<GraphQLContext>({
      schema: await buildCatalogSubgraphSchema(),
      formatError: createFormatError(logger),
      includeStacktraceInErrorResponses: false,
      allowBatchedHttpRequests: false,
      introspection: edge.apollo.introspection,
      persistedQueries: edge.apollo.persistedQueries,
      parseOptions: edge.apollo.parseOptions,
      validationRules: edge.apollo.validationRules,
      // main.ts owns SIGINT/SIGTERM. Apollo's own handlers would race it, and Apollo Server 5
      // never resolves a concurrent second stop() call, so our close() hung behind it.
      stopOnTerminationSignals: false,
      stringifyResult: answerSize.stringify,
      plugins: [
        ...edge.apollo.plugins,
        graphqlOperationMetrics(),
        graphqlHttpStatus(),
        answerSize.plugin,
        queryCostLimit(tuning.maxQueryCost, tuning.maxResponseBytes, {
          bytes: tuning.largeAnswerBytes,
          bulkhead: new Bulkhead(tuning.largeAnswerConcurrency, tuning.requestTimeoutMs, () => new AnswerCapacityError()),
        }),
        ApolloServerPluginDrainHttpServer({
          httpServer,
          stopGracePeriodMillis: config.shutdownGraceSeconds * 1000,
        }),
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
      express.json({ limit: GRAPHQL_LIMITS.bodyBytes, verify: requireUtf8Body }),
      authenticate(verifier, isServiceSdlRequest),
      expressMiddleware(apollo, {
        context: async ({ req, res }) => createContext(catalog, callerOf(res).caller, currentRequestId() ?? randomUUID(), requestMetaOf(req, res)),
      }),
    );
    app.use('/graphql', graphqlEdgeErrors(logger));
    app.use('/api/v1/catalog', edge.cors, createCatalogRouter({ catalog, verifier, logger, afterAuthentication: [edge.restRateLimit] }));
    // Last: an unknown path is a plain 404; an error no route handled, a problem document.
    app.use((_req: Request, res: Response) => {
      res.status(404).json({ error: 'Not found' });
    });
    app.use(problemErrorHandler(logger, 'the HTTP edge'));

    const markDraining = () => {
      draining = true;
    };
    return { httpServer, orm, blobs, catalog, logger, devIssuer, provenance, metricsUrl: metricsServer.url, markDraining, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** README, "Configuration": with ROUTER_SECRET set, only the router (which adds the header) reaches /graphql. */
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

const GRAPHQL_RESPONSE_TYPES = ['application/json', 'application/graphql-response+json'];

/** Errors raised before Apollo runs (router secret, body parsing, auth) in GraphQL's response shape. */
function graphqlEdgeErrors(logger: Logger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const edgeError = toEdgeError(error, logger, 'the GraphQL edge');
    if (edgeError.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(edgeError.retryAfterSeconds));
    // GraphQL-over-HTTP: the newer media type when the client prefers it, JSON otherwise.
    const mediaType = req.accepts(GRAPHQL_RESPONSE_TYPES) || 'application/json';
    res
      .status(edgeError.status)
      .type(mediaType)
      .json({
        errors: [
          {
            message: edgeError.message,
            extensions: { code: edgeError.code, ...edgeError.extensions, ...(edgeError.problems ? { problems: edgeError.problems } : {}) },
          },
        ],
      });
  };
}

/** With `DATABASE_REPLICA_URLS`: measures the replicas' lag before the first request, then keeps doing so. */
async function startReadRouting(orm: Orm, tuning: AppConfig['tuning'], logger: Logger): Promise<ReadRouting | undefined> {
  const replicas = replicaConnections(orm);
  if (replicas.length === 0) return undefined;
  const primary = orm.em.getConnection() as AbstractSqlConnection;
  const routing = new ReadRouting(primary, replicas, {
    maxLagMs: tuning.replicaMaxLagMs,
    readYourWritesMs: tuning.readYourWritesMs,
    checkEveryMs: tuning.replicaCheckMs,
    logger,
  });
  await routing.start();
  logger.info({ replicas: routing.status() }, 'read replicas');
  return routing;
}
