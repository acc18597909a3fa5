import type { ApolloServerPlugin } from '@apollo/server';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Caller } from '../common/caller';
import type { Logger } from '../common/logger';
import { RateLimiter, TooManyRequestsError, rateLimitHeaders, type RequestKind } from '../modules/ratelimit/rate-limit.service';
import { problemDocument, sendProblem } from './problem';
import { callerOf } from './authenticate';
import { toEdgeError } from './errors';

/**
 * GraphQL: counted once the operation is known (a mutation is a write, anything else a read), so
 * documents refused by the request limits never reach the limiter's store. A 429 keeps Apollo's
 * error shape, with `Retry-After` and `extensions.code` TOO_MANY_REQUESTS.
 */
export function graphqlRateLimitPlugin(limiter: RateLimiter): ApolloServerPlugin<{ caller: Caller }> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue, response }) {
          const kind: RequestKind = operation?.operation === 'mutation' ? 'write' : 'read';
          const decision = await limiter.check(contextValue.caller, kind);
          if (!decision) return;
          for (const [name, value] of Object.entries(rateLimitHeaders(decision))) response.http.headers.set(name, value);
          if (!decision.allowed) {
            throw new TooManyRequestsError(kind, decision);
          }
        },
      };
    },
  };
}

/**
 * REST: GET and HEAD are reads, everything else writes. It runs inside the shim's router right
 * after authentication, so the token is verified once and the caller is known.
 */
export function restRateLimit(limiter: RateLimiter, logger: Logger): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const { caller } = callerOf(res);
    const kind: RequestKind = req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'write';
    const decision = await limiter.check(caller, kind);
    if (decision) res.set(rateLimitHeaders(decision));
    if (!decision || decision.allowed) {
      next();
      return;
    }
    const error = toEdgeError(new TooManyRequestsError(kind, decision), logger, 'the rate limiter');
    res.setHeader('cache-control', 'no-store');
    sendProblem(res, error, problemDocument(req, error));
  };
}
