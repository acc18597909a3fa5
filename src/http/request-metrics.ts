import type { ApolloServerPlugin } from '@apollo/server';
import type { Request, RequestHandler } from 'express';
import { HTTP_STATUS_BY_CODE, type ErrorCode } from '../common/errors';
import { currentRequestScope, setRequestOperation } from '../common/request-context';
import { boundedOperationName, metrics, outcomeOfStatus, type Outcome } from '../infra/metrics/metrics';
import { GRAPHQL_REQUEST_CODES } from './errors';

const SEVERITY: Record<Outcome, number> = { ok: 0, client_error: 1, server_error: 2 };

/**
 * Times every request into `catalog_request_duration_seconds`. Mounted right after the request id,
 * so refusals at the edge (401, 413, 429) are timed too. GraphQL requests are labelled with their
 * operation name (`graphqlOperationMetrics` records it), REST ones with method and route template.
 */
export function requestDurationMetrics(): RequestHandler {
  return (req, res, next) => {
    // Read at the end: the `finish` event runs outside the request's async scope.
    const scope = currentRequestScope();
    const stop = metrics.requestDuration.startTimer();
    res.once('finish', () => {
      const api = apiOf(req.originalUrl);
      const operation = api === 'graphql' ? (scope?.operation ?? 'unknown') : routeOf(req);
      const byStatus = outcomeOfStatus(res.statusCode);
      const outcome = scope?.outcome && SEVERITY[scope.outcome] > SEVERITY[byStatus] ? scope.outcome : byStatus;
      stop({ api, operation, outcome, status_class: `${Math.floor(res.statusCode / 100)}xx`, status: String(res.statusCode) });
    });
    next();
  };
}

function apiOf(url: string): 'graphql' | 'rest' | 'other' {
  if (url === '/graphql' || url.startsWith('/graphql?') || url.startsWith('/graphql/')) return 'graphql';
  if (url.startsWith('/api/')) return 'rest';
  return 'other';
}

/** The route template (`GET /api/v1/catalog/:packageId`), never the path itself: ids stay out. */
function routeOf(req: Request): string {
  const route = (req as Request & { route?: { path?: unknown } }).route;
  if (typeof route?.path !== 'string') return req.baseUrl ? `${req.method} ${req.baseUrl}/*` : 'unmatched';
  return `${req.method} ${req.baseUrl}${route.path === '/' && req.baseUrl ? '' : route.path}`;
}

/** Codes are ours (docs/API.md) or GraphQL's own; anything else a resolver made up is `OTHER`. */
function boundedErrorCode(code: unknown): string {
  return typeof code === 'string' && (code in HTTP_STATUS_BY_CODE || GRAPHQL_REQUEST_CODES.has(code) || code === 'INTERNAL_SERVER_ERROR') ? code : 'OTHER';
}

/**
 * Names the GraphQL operation for the duration metric (capped: callers choose names) and its
 * outcome: a 200 carrying errors is still a client or server error.
 */
export function graphqlOperationMetrics(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ operation, operationName, response }) {
          const name = operation ? boundedOperationName(operationName ?? 'anonymous') : 'unknown';
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          for (const error of errors) metrics.graphqlErrors.inc({ code: boundedErrorCode(error.extensions?.code) });
          const outcomes = errors.map((error) => outcomeOfStatus(HTTP_STATUS_BY_CODE[error.extensions?.code as ErrorCode] ?? 400));
          setRequestOperation(
            name,
            outcomes.reduce<Outcome>((worst, o) => (SEVERITY[o] > SEVERITY[worst] ? o : worst), 'ok'),
          );
        },
      };
    },
  };
}
