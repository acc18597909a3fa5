import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { CatalogError } from '../common/errors';
import type { Logger } from '../common/logger';
import { GRAPHQL_REQUEST_CODES, toEdgeError } from '../http/errors';
import { rewriteLimitError } from './limits';

/**
 * Our own errors and Apollo's request errors pass through (without stack traces); anything else
 * is masked and logged with the request id that the caller also receives.
 */
export function createFormatError(logger: Logger) {
  return (given: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const formatted = rewriteLimitError(given);
    const original = unwrapped(error);
    const code = formatted.extensions?.code;
    if (original instanceof CatalogError || (typeof code === 'string' && GRAPHQL_REQUEST_CODES.has(code))) {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    if (isRequestError(error)) {
      // Apollo refuses some malformed requests with a bare GraphQLError and an HTTP 4xx.
      return { message: formatted.message, extensions: { code: 'BAD_REQUEST' } };
    }
    const masked = toEdgeError(original, logger, `GraphQL field ${formatted.path?.join('.') ?? '(none)'}`);
    return { message: masked.message, path: formatted.path, extensions: { code: masked.code, ...masked.extensions } };
  };
}

/**
 * What was thrown: a resolver's error unwrapped by Apollo, or the error a plugin hook threw, which
 * Apollo wraps in a GraphQLError of its own (our errors are not GraphQLErrors).
 */
function unwrapped(error: unknown): unknown {
  const original = unwrapResolverError(error);
  return original instanceof GraphQLError && original.originalError instanceof CatalogError ? original.originalError : original;
}

/** A GraphQLError raised before execution (no path) that Apollo marked with a 4xx status. */
function isRequestError(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || error.path !== undefined || error.extensions.code !== undefined) return false;
  const status = (error.extensions.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}
