import { CatalogError, HTTP_STATUS_BY_CODE, ServiceUnavailableError, type ErrorCode, type ReportedProblem } from '../common/errors';
import type { Logger } from '../common/logger';
import { currentRequestId } from '../common/request-context';

/**
 * Any error, as every edge renders it: GraphQL's `{ errors }`, REST's problem+json and the final
 * handler all start from this, so a code has one HTTP status wherever it is raised.
 */
/**
 * Codes GraphQL servers (Apollo's ApolloServerErrorCode) give requests that were bad as sent; they
 * describe the request, not our internals, so both the error formatter and the metrics keep them.
 */
export const GRAPHQL_REQUEST_CODES: ReadonlySet<string> = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);

export interface EdgeError {
  code: ErrorCode;
  status: number;
  message: string;
  /** Safe to show: field problems, quota, dependency (never a stack or a value we hold). */
  extensions: Record<string, unknown>;
  problems?: ReportedProblem[];
  retryAfterSeconds?: number;
}

/** body-parser and Express failures (they carry `type`), each mapped to its own code: never a blanket 400. */
const REQUEST_FAILURES: Record<string, { code: ErrorCode; message: string }> = {
  'entity.too.large': { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than the limit' },
  'entity.parse.failed': { code: 'BAD_USER_INPUT', message: 'The request body is not valid JSON' },
  'entity.verify.failed': { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'The request body must be UTF-8 JSON' },
  'charset.unsupported': { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'The request body must be UTF-8 JSON' },
  'encoding.unsupported': { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Unsupported Content-Encoding' },
  'request.aborted': { code: 'BAD_USER_INPUT', message: 'The request body was not sent completely' },
  'request.size.invalid': { code: 'BAD_USER_INPUT', message: 'The request body is shorter or longer than its Content-Length' },
};

export function toEdgeError(error: unknown, logger: Logger, where: string): EdgeError {
  if (error instanceof CatalogError) {
    return {
      code: error.code,
      status: HTTP_STATUS_BY_CODE[error.code],
      message: error.message,
      extensions: { ...error.extensions },
      problems: error.problems,
      retryAfterSeconds: error instanceof ServiceUnavailableError ? error.retryAfterSeconds : undefined,
    };
  }
  const type = (error as { type?: unknown } | null)?.type;
  const known = typeof type === 'string' ? REQUEST_FAILURES[type] : undefined;
  if (known) {
    const problems = known.code === 'BAD_USER_INPUT' ? [{ path: '$', message: (error as Error).message.slice(0, 200) }] : undefined;
    return { code: known.code, status: HTTP_STATUS_BY_CODE[known.code], message: known.message, extensions: {}, problems };
  }
  // Other client errors Express itself raises (a path that is not valid percent-encoding, …).
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { code: 'BAD_USER_INPUT', status: 400, message: 'Malformed request', extensions: {} };
  }
  const requestId = currentRequestId() ?? 'unknown';
  logger.error({ err: error, requestId }, `unexpected error in ${where}`);
  return {
    code: 'INTERNAL_SERVER_ERROR',
    status: 500,
    message: `Internal server error (request id ${requestId})`,
    extensions: { requestId },
  };
}
