import type { ApolloServerPlugin } from '@apollo/server';
import cors from 'cors';
import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { ParseOptions, ValidationRule } from 'graphql';
import { defaultEdgeConfig, DEV_ISSUER_PATH, type AppConfig, type EdgeConfig } from '../config';
import type { Logger } from '../common/logger';
import { currentRequestId } from '../common/request-context';
import type { GraphQLContext } from '../graphql/context';
import { graphqlProtection } from '../graphql/limits';
import { entityRepresentationsGuard } from '../graphql/representations';
import type { DevIssuer } from '../infra/auth/dev-issuer';
import type { Database } from '../infra/db/database';
import { IdempotencyService } from '../modules/idempotency/idempotency.service';
import { RateLimiter } from '../modules/ratelimit/rate-limit.service';
import { DEV_TOKEN_SUBPATH, devTokenHandler, playgroundAssetsDir, playgroundRouter } from './playground';
import { graphqlRateLimitPlugin, restRateLimit } from './rate-limit';

/** Headers a browser on an allowed origin may send, and may read back. */
const CORS_ALLOWED_HEADERS = ['authorization', 'content-type', 'idempotency-key', 'x-request-id', 'apollo-require-preflight', 'x-apollo-operation-name'];
const CORS_EXPOSED_HEADERS = ['x-request-id', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'retry-after', 'link', 'location'];

/** What `createApp` mounts at the edge: request limits, CORS, rate limits, idempotency, playground. */
export interface Edge {
  config: EdgeConfig;
  idempotency: IdempotencyService;
  /** `close()` it on shutdown (the Redis connection). */
  rateLimiter: RateLimiter;
  /** Spread into the ApolloServer options. */
  apollo: {
    introspection: boolean;
    /** Off: the router in front caches queries; a subgraph needs no query cache for strangers to fill. */
    persistedQueries: false;
    parseOptions: ParseOptions;
    validationRules: ValidationRule[];
    plugins: ApolloServerPlugin<GraphQLContext>[];
  };
  /** CORS for /graphql and the REST shim; does nothing when no origin is allowed. */
  cors: RequestHandler;
  /** In front of the REST shim's router. */
  restRateLimit: RequestHandler;
  /** The playground at GET /graphql and, with the development issuer, its token endpoint. */
  browserRoutes: Router;
}

export async function createEdge(deps: {
  config: AppConfig;
  db: Database;
  logger: Logger;
  devIssuer: DevIssuer | null;
}): Promise<Edge> {
  const { config, db, logger, devIssuer } = deps;
  const edge: EdgeConfig = { ...defaultEdgeConfig(config), ...config.edge };
  const rateLimiter = await RateLimiter.create(edge.rateLimit, { db, logger });
  const protection = graphqlProtection({ blockFieldSuggestions: !edge.introspection });

  const browserRoutes = Router();
  // The token button exists only with the development issuer, which production refuses to start with.
  let devTokens = false;
  if (devIssuer && edge.playground && config.nodeEnv !== 'production' && config.auth.kind === 'dev-issuer') {
    devTokens = true;
    browserRoutes.post(`${DEV_ISSUER_PATH}${DEV_TOKEN_SUBPATH}`, express.json({ limit: '1kb' }), devTokenHandler(devIssuer, config.auth.audience));
  }
  if (edge.playground) {
    browserRoutes.use(playgroundRouter({ assetsDir: playgroundAssetsDir(), devTokenUrl: devTokens ? `${DEV_ISSUER_PATH}${DEV_TOKEN_SUBPATH}` : null }));
  }

  return {
    config: edge,
    idempotency: new IdempotencyService(db, logger),
    rateLimiter,
    apollo: {
      introspection: edge.introspection,
      persistedQueries: false,
      parseOptions: protection.parseOptions,
      validationRules: protection.validationRules,
      plugins: [...protection.plugins, entityRepresentationsGuard(), graphqlRateLimitPlugin(rateLimiter)],
    },
    cors:
      edge.corsOrigins.length === 0
        ? (_req, _res, next) => next()
        : cors({
            origin: edge.corsOrigins,
            methods: ['GET', 'POST', 'PATCH', 'DELETE'],
            allowedHeaders: CORS_ALLOWED_HEADERS,
            exposedHeaders: CORS_EXPOSED_HEADERS,
            maxAge: 600,
          }),
    restRateLimit: restRateLimit(rateLimiter),
    browserRoutes,
  };
}

/** The `Idempotency-Key` request header, or null. */
export function idempotencyKeyOf(req: Request): string | null {
  const value = req.headers['idempotency-key'];
  return typeof value === 'string' ? value : null;
}

/**
 * Last in the chain: an unknown path is a plain 404, and an error no route handled is a masked
 * 500. Express's own handler would print the stack trace outside production.
 */
export function finalHandlers(logger: Logger): [RequestHandler, (error: unknown, req: Request, res: Response, next: NextFunction) => void] {
  return [
    (_req, res) => {
      res.status(404).json({ error: 'Not found' });
    },
    (error, req, res, _next) => {
      const status = (error as { status?: unknown }).status;
      if (typeof status === 'number' && status >= 400 && status < 500) {
        res.status(status).json({ error: 'Bad request' });
        return;
      }
      const requestId = currentRequestId();
      logger.error({ err: error, requestId, method: req.method, path: req.path }, 'unhandled error');
      if (!res.headersSent) res.status(500).json({ error: `Internal server error (request id ${requestId ?? 'unknown'})` });
    },
  ];
}
