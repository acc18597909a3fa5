import type { NextFunction, Request, Response } from 'express';
import type { ErrorCode, PolicyViolation, QuotaState, ReportedProblem } from '../common/errors';
import type { Logger } from '../common/logger';
import { currentRequestId } from '../common/request-context';
import { toEdgeError, type EdgeError } from './errors';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const PROBLEM_TYPE_BASE = 'https://errors.flow-catalog.dev/';

/**
 * An RFC 9457 problem document with the catalog error `code`, as both edges' early answers and
 * the REST shim send it (its OpenAPI schema, `problemDocumentSchema` in src/rest/rest-shapes.ts, is held to
 * this type by the compiler).
 */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance: string;
  request_id: string | null;
  problems?: ReportedProblem[];
  quota?: QuotaState;
  /** POLICY_VIOLATION: every rule the publish breaks. */
  violations?: PolicyViolation[];
  /** REVISION_MISMATCH and PRECONDITION_FAILED: the package's current revision. */
  current_revision?: number;
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
  POLICY_VIOLATION: 'Refused by the publish policy',
  REVISION_MISMATCH: 'The package changed meanwhile',
  PRECONDITION_FAILED: 'Precondition failed',
  PACKAGE_QUARANTINED: 'Package quarantined',
  COST_LIMIT_EXCEEDED: 'Query too expensive',
  RESPONSE_TOO_LARGE: 'Answer too large',
  SERVICE_UNAVAILABLE: 'A dependency is unavailable',
  INTERNAL_SERVER_ERROR: 'Internal server error',
};

/** `BAD_USER_INPUT` → `https://errors.flow-catalog.dev/bad-user-input`. */
function problemType(code: ErrorCode): string {
  return `${PROBLEM_TYPE_BASE}${code.toLowerCase().replace(/_/g, '-')}`;
}

export function problemDocument(req: Request, error: EdgeError): ProblemDocument {
  const withProblems = error.code === 'BAD_USER_INPUT' || error.code === 'FLOW_COMPILE_FAILED' || error.code === 'FLOW_CONTAINS_SECRETS';
  return {
    type: problemType(error.code),
    title: TITLE_BY_CODE[error.code],
    status: error.status,
    detail: error.message,
    code: error.code,
    instance: req.originalUrl.split('?')[0] ?? req.originalUrl,
    request_id: currentRequestId() ?? null,
    ...(withProblems ? { problems: error.problems ?? [] } : {}),
    ...(error.extensions['quota'] ? { quota: error.extensions['quota'] as QuotaState } : {}),
    ...(error.extensions['violations'] ? { violations: error.extensions['violations'] as PolicyViolation[] } : {}),
    ...(typeof error.extensions['currentRevision'] === 'number' ? { current_revision: error.extensions['currentRevision'] } : {}),
  };
}

export function sendProblem(res: Response, error: EdgeError, doc: ProblemDocument): void {
  if (doc.code === 'UNAUTHENTICATED') res.setHeader('www-authenticate', 'Bearer realm="flow-catalog"');
  if (error.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(error.retryAfterSeconds));
  res.status(doc.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(doc));
}

/**
 * The one problem+json renderer (the REST shim and the app's final handler): our errors keep
 * their code and message, request failures get their own status, anything else is a masked 500.
 */
export function problemErrorHandler(logger: Logger, where = 'the REST shim') {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    // Too late for a problem document: Express closes the connection.
    if (res.headersSent) return next(error);
    const edgeError = toEdgeError(error, logger, where);
    sendProblem(res, edgeError, problemDocument(req, edgeError));
  };
}
