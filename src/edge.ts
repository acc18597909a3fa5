import type { ApolloServerPlugin } from '@apollo/server';
import cors from 'cors';
import express, { Router, type RequestHandler } from 'express';
import type { ParseOptions, ValidationRule } from 'graphql';
import { DEV_ISSUER_PATH, type AppConfig, type EdgeConfig } from './config';
import type { Logger } from './common/logger';
import type { GraphQLContext } from './graphql/context';
import { graphqlProtection } from './graphql/limits';
import { entityRepresentationsGuard } from './graphql/representations';
import { unstorableInputGuard } from './graphql/unstorable-input';
import type { DevIssuer } from './infra/auth/dev-issuer';
import type { Database } from './infra/db/database';
import { RateLimiter } from './modules/ratelimit/rate-limit.service';
import { DEV_TOKEN_SUBPATH, devTokenHandler, playgroundAssetsDir, playgroundRouter } from './http/playground';
import { graphqlRateLimitPlugin, restRateLimit } from './http/rate-limit';

/** Headers a browser on an allowed origin may send, and may read back. */
const CORS_ALLOWED_HEADERS = ['authorization', 'content-type', 'idempotency-key', 'x-request-id', 'apollo-require-preflight', 'x-apollo-operation-name'];
const CORS_EXPOSED_HEADERS = ['x-request-id', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'retry-after', 'link', 'location'];

/** What `createApp` mounts at the edge: request limits, CORS, rate limits, playground. */
interface Edge {
  config: EdgeConfig;
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

export async function createEdge(deps: { config: AppConfig; db: Database; logger: Logger; devIssuer: DevIssuer | null }): Promise<Edge> {
  const { config, db, logger, devIssuer } = deps;
  const edge = config.edge;
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
    rateLimiter,
    apollo: {
      introspection: edge.introspection,
      persistedQueries: false,
      parseOptions: protection.parseOptions,
      validationRules: protection.validationRules,
      plugins: [...protection.plugins, unstorableInputGuard(), entityRepresentationsGuard(), graphqlRateLimitPlugin(rateLimiter)],
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
    restRateLimit: restRateLimit(rateLimiter, logger),
    browserRoutes,
  };
}
