import type { NextFunction, Request, Response } from 'express';
import { CatalogError, HTTP_STATUS_BY_CODE, ServiceUnavailableError, type ErrorCode, type Problem } from '../common/errors';
import type { Logger } from '../common/logger';
import { currentRequestId } from '../common/request-context';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const PROBLEM_TYPE_BASE = 'https://errors.flow-catalog.dev/';

/** An RFC 9457 problem document, with the contract's `code` and, for input errors, `problems`. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance: string;
  request_id: string | null;
  problems?: Problem[];
}

const TITLE_BY_CODE: Record<ErrorCode, string> = {
  UNAUTHENTICATED: 'Authentication required',
  FORBIDDEN: 'Forbidden',
  NOT_FOUND: 'Not found',
  BAD_USER_INPUT: 'Invalid request',
  FLOW_COMPILE_FAILED: 'The flow does not compile',
  VERSION_REGRESSION: 'Version lower than the latest',
  FLOW_SOURCE_UNAVAILABLE: 'Flows service unavailable',
  CONFLICT: 'Conflict',
  PAYLOAD_TOO_LARGE: 'Request body too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  TOO_MANY_REQUESTS: 'Too many requests',
  IDEMPOTENCY_KEY_REUSED: 'Idempotency key reused with another request',
  ILLEGAL_STATE: 'Already in that state',
  VERSION_WITHDRAWN: 'Version withdrawn',
  FLOW_CONTAINS_SECRETS: 'The flow contains credentials',
  QUOTA_EXCEEDED: 'Quota exceeded',
  COST_LIMIT_EXCEEDED: 'Query too expensive',
  SERVICE_UNAVAILABLE: 'A dependency is unavailable',
  INTERNAL_SERVER_ERROR: 'Internal server error',
};

/** `BAD_USER_INPUT` → `https://errors.flow-catalog.dev/bad-user-input`. */
export function problemType(code: ErrorCode): string {
  return `${PROBLEM_TYPE_BASE}${code.toLowerCase().replace(/_/g, '-')}`;
}

export function problemDocument(req: Request, code: ErrorCode, detail: string, problems?: Problem[]): ProblemDocument {
  return {
    type: problemType(code),
    title: TITLE_BY_CODE[code],
    status: HTTP_STATUS_BY_CODE[code],
    detail,
    code,
    instance: req.originalUrl.split('?')[0] ?? req.originalUrl,
    request_id: currentRequestId() ?? null,
    ...(problems ? { problems } : {}),
  };
}

/** `retryAfterSeconds` becomes `Retry-After` (503s: when a dependency is worth asking again). */
export function sendProblem(res: Response, doc: ProblemDocument, retryAfterSeconds?: number): void {
  if (doc.code === 'UNAUTHENTICATED') res.setHeader('www-authenticate', 'Bearer realm="flow-catalog"');
  if (retryAfterSeconds !== undefined) res.setHeader('retry-after', String(retryAfterSeconds));
  res.status(doc.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(doc));
}

/** body-parser failures (they carry `type`), each mapped to its own code: never a blanket 400. */
const BODY_PARSER_CODES: Record<string, { code: ErrorCode; detail: string }> = {
  'entity.too.large': { code: 'PAYLOAD_TOO_LARGE', detail: 'The request body is larger than the limit' },
  'entity.parse.failed': { code: 'BAD_USER_INPUT', detail: 'The request body is not valid JSON' },
  'charset.unsupported': { code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'The request body must be UTF-8 JSON' },
  'encoding.unsupported': { code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'Unsupported Content-Encoding' },
  'request.aborted': { code: 'BAD_USER_INPUT', detail: 'The request body was not sent completely' },
  'request.size.invalid': { code: 'BAD_USER_INPUT', detail: 'The request body is shorter or longer than its Content-Length' },
};

/**
 * The shim's one error handler: our errors keep their code and message, body-parser failures get
 * their own status, and anything else is a masked 500 logged with the request id.
 */
export function problemErrorHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    // Too late for a problem document: Express closes the connection.
    if (res.headersSent) return next(error);
    if (error instanceof CatalogError) {
      const withProblems = error.code === 'BAD_USER_INPUT' || error.code === 'FLOW_COMPILE_FAILED';
      const retryAfter = error instanceof ServiceUnavailableError ? error.retryAfterSeconds : undefined;
      sendProblem(res, problemDocument(req, error.code, error.message, withProblems ? (error.problems ?? []) : undefined), retryAfter);
      return;
    }
    const parserType = (error as { type?: unknown } | null)?.type;
    const known = typeof parserType === 'string' ? BODY_PARSER_CODES[parserType] : undefined;
    if (known) {
      const problems =
        known.code === 'BAD_USER_INPUT' ? [{ path: '$', message: (error as Error).message.slice(0, 200) }] : undefined;
      sendProblem(res, problemDocument(req, known.code, known.detail, problems));
      return;
    }
    const requestId = currentRequestId();
    logger.error({ err: error, requestId, method: req.method, path: req.path }, 'unexpected error in the REST shim');
    sendProblem(res, problemDocument(req, 'INTERNAL_SERVER_ERROR', `Internal server error (request id ${requestId ?? 'unknown'})`));
  };
}
