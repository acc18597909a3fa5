/** The error codes of the contract (docs/API.md "Rules"); REST maps the same codes to problem+json. */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'FLOW_COMPILE_FAILED'
  | 'VERSION_REGRESSION'
  | 'FLOW_SOURCE_UNAVAILABLE'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'TOO_MANY_REQUESTS'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'ILLEGAL_STATE'
  | 'VERSION_WITHDRAWN'
  | 'FLOW_CONTAINS_SECRETS'
  | 'QUOTA_EXCEEDED'
  | 'POLICY_VIOLATION'
  | 'REVISION_MISMATCH'
  | 'PRECONDITION_FAILED'
  | 'PACKAGE_QUARANTINED'
  | 'COST_LIMIT_EXCEEDED'
  | 'RESPONSE_TOO_LARGE'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR';

/** One problem with the input, located by a JSON path such as `$.nodes[2].id`. */
export interface Problem {
  path: string;
  message: string;
}

/** A credential found by the secret guard: where and which rule, never the value. */
export interface SecretProblem {
  /** JSON pointer into the flow, or `/readme`, `/description`, `/name`. */
  path: string;
  rule: string;
}

/** What `problems` lists: input problems, or secret findings (FLOW_CONTAINS_SECRETS). */
export type ReportedProblem = Problem | SecretProblem;

export const HTTP_STATUS_BY_CODE: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_USER_INPUT: 400,
  FLOW_COMPILE_FAILED: 400,
  VERSION_REGRESSION: 409,
  FLOW_SOURCE_UNAVAILABLE: 502,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  IDEMPOTENCY_KEY_REUSED: 422,
  ILLEGAL_STATE: 409,
  VERSION_WITHDRAWN: 410,
  FLOW_CONTAINS_SECRETS: 422,
  QUOTA_EXCEEDED: 409,
  POLICY_VIOLATION: 422,
  REVISION_MISMATCH: 409,
  PRECONDITION_FAILED: 412,
  PACKAGE_QUARANTINED: 409,
  COST_LIMIT_EXCEEDED: 400,
  RESPONSE_TOO_LARGE: 400,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_SERVER_ERROR: 500,
};

/**
 * Base of every error we raise on purpose: its message and extensions are safe to show. It knows
 * nothing of either edge: each renders it from `code` (GraphQL's `extensions.code` and the status of
 * an answer without data, src/graphql/http-status.ts; REST's problem document, src/http/problem.ts),
 * and both take the HTTP status from HTTP_STATUS_BY_CODE. `extensions` is what GraphQL shows beside
 * the message (graphql-js copies it from the error a resolver or a plugin throws).
 */
export class CatalogError extends Error {
  readonly code: ErrorCode;
  readonly problems?: ReportedProblem[];
  readonly extensions: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, problems?: ReportedProblem[]) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.problems = problems;
    this.extensions = { code, ...(problems ? { problems } : {}) };
  }
}

export class UnauthenticatedError extends CatalogError {
  constructor(message = 'A valid bearer token is required') {
    super('UNAUTHENTICATED', message);
  }
}

export class ForbiddenError extends CatalogError {
  constructor(message = 'You are not allowed to do this') {
    super('FORBIDDEN', message);
  }
}

/** Also used for things the caller may not see, so that they look exactly like missing ones. */
export class NotFoundError extends CatalogError {
  constructor(message = 'Not found') {
    super('NOT_FOUND', message);
  }
}

export class BadUserInputError extends CatalogError {
  constructor(message: string, problems: Problem[] = []) {
    super('BAD_USER_INPUT', message, problems);
  }
}

export class FlowCompileError extends CatalogError {
  constructor(problems: Problem[]) {
    super('FLOW_COMPILE_FAILED', `The flow does not compile: ${problems.length} problem(s)`, problems);
  }
}

export class VersionRegressionError extends CatalogError {
  constructor(requested: string, latest: string) {
    super('VERSION_REGRESSION', `Version ${requested} is lower than the latest published version ${latest}`);
  }
}

export class FlowSourceUnavailableError extends CatalogError {
  constructor(message: string) {
    super('FLOW_SOURCE_UNAVAILABLE', message);
  }
}

export class ConflictError extends CatalogError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

export class FlowContainsSecretsError extends CatalogError {
  constructor(findings: SecretProblem[]) {
    super('FLOW_CONTAINS_SECRETS', `The publish holds ${findings.length} credential(s); replace them with references such as {{credentials.name}}`, findings);
  }
}

/** One rule of the tenant's publish policy that a publish breaks, and where (a JSON path or pointer). */
export interface PolicyViolation {
  rule: string;
  path: string;
  message: string;
}

/** A publish the tenant's publish policy refuses (rules in ENFORCE mode): every violation, at once. */
export class PolicyViolationError extends CatalogError {
  readonly violations: PolicyViolation[];

  constructor(violations: PolicyViolation[]) {
    super('POLICY_VIOLATION', `The publish breaks ${violations.length} rule(s) of the tenant's publish policy`);
    this.violations = violations;
    Object.assign(this.extensions, { violations });
  }
}

/** An edit based on a revision of the package that is no longer the current one. */
export class RevisionMismatchError extends CatalogError {
  readonly currentRevision: number;

  constructor(expected: number, current: number) {
    super('REVISION_MISMATCH', `The package is at revision ${current}, not ${expected}: read it again and redo the change`);
    this.currentRevision = current;
    Object.assign(this.extensions, { currentRevision: current });
  }
}

/**
 * REST's form of REVISION_MISMATCH: the `If-Match` ETag names a revision of the package that is no
 * longer the current one (RFC 9110: 412).
 */
export class PreconditionFailedError extends CatalogError {
  readonly currentRevision: number;

  constructor(current: number) {
    super('PRECONDITION_FAILED', `If-Match does not name the current revision of the package (${current}): read it again and redo the change`);
    this.currentRevision = current;
    Object.assign(this.extensions, { currentRevision: current });
  }
}

/** A quarantined package takes no install, publish or edit from anyone but admins. */
export class PackageQuarantinedError extends CatalogError {
  constructor(packageId: string) {
    super('PACKAGE_QUARANTINED', `Package ${packageId} is quarantined: only an admin may install, publish to or change it`);
  }
}

/** The per-tenant limits a publish is checked against (named as in `catalogUsage.limits`). */
export const QUOTA_NAMES = ['packages', 'bytes', 'versionsPerPackage'] as const;

/** Which per-tenant limit a publish would pass, its value and what is used now. */
export interface QuotaState {
  name: (typeof QUOTA_NAMES)[number];
  limit: number;
  used: number;
}

export class QuotaExceededError extends CatalogError {
  constructor(readonly quota: QuotaState) {
    super('QUOTA_EXCEEDED', `The ${quota.name} quota (${quota.limit}) would be exceeded: ${quota.used} used`);
    this.extensions['quota'] = quota;
  }
}

/** Turns zod-style issues into our problem list. */
export function toProblems(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): Problem[] {
  return issues.map((issue) => ({ path: jsonPath(issue.path), message: issue.message }));
}

export function jsonPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : `${acc}.${String(key)}`), '$');
}

/** The outside parts a request can wait on; `/readyz` and SERVICE_UNAVAILABLE name them. */
export type Dependency = 'database' | 'blob-storage' | 'issuer' | 'rate-limit-store';

/**
 * A dependency is down, stalled or refused: the request is fine and can be retried (REST adds
 * `Retry-After`). Not for bugs: those are masked INTERNAL_SERVER_ERRORs.
 */
export class ServiceUnavailableError extends CatalogError {
  constructor(
    readonly dependency: Dependency,
    message = `The ${dependency} is unavailable; try again shortly`,
    readonly retryAfterSeconds = 5,
  ) {
    super('SERVICE_UNAVAILABLE', message);
    this.extensions['dependency'] = dependency;
  }
}

/**
 * An answer that would be bigger than `MAX_RESPONSE_BYTES` (docs/API.md, "Answer size"): refused
 * before it is built when its size can be known, cut instead of sent otherwise.
 */
export class ResponseTooLargeError extends CatalogError {
  constructor(responseBytes: number, limit: number) {
    super('RESPONSE_TOO_LARGE', `The answer would hold ${responseBytes} bytes, over the limit of ${limit}: ask for fewer items (first) or fewer large fields`);
    Object.assign(this.extensions, { responseBytes, limit });
  }
}

/**
 * Too many large answers were waiting to be built (`LargeAnswerLane`, src/graphql/cost.ts): the service is
 * busy, not down, and the request is fine to retry.
 */
export class AnswerCapacityError extends CatalogError {
  constructor(readonly retryAfterSeconds = 5) {
    super('SERVICE_UNAVAILABLE', 'Too many large answers are being built at once; try again shortly, or ask for fewer large fields');
    this.extensions['reason'] = 'large-answers';
  }
}
