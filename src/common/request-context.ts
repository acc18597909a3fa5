import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { isSpanContextValid, trace } from '@opentelemetry/api';

/** What is known about the request being served; filled in as the request goes on. */
interface RequestScope {
  requestId: string;
  tenantId?: string;
  userId?: string;
  /** For the request duration metric: set once GraphQL knows the operation. */
  operation?: string;
  outcome?: 'ok' | 'client_error' | 'server_error';
}

const storage = new AsyncLocalStorage<RequestScope>();

/** Runs the rest of a request with its id reachable from anywhere (error masking, logs). */
export function runWithRequestId<T>(requestId: string | undefined, work: () => T): T {
  return storage.run({ requestId: requestId ?? randomUUID() }, work);
}

export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/** Called once the caller is authenticated: every later log line of the request names them. */
export function setRequestCaller(caller: { tenantId: string; userId: string }): void {
  const scope = storage.getStore();
  if (!scope) return;
  scope.tenantId = caller.tenantId;
  scope.userId = caller.userId;
}

/** An object that stands for the current request while it lasts (a WeakMap key), or undefined outside one. */
export function currentRequestToken(): object | undefined {
  return storage.getStore();
}

/** Who the current request is for (tenant and user), once authenticated; undefined outside a request. */
export function currentCallerKey(): string | undefined {
  const scope = storage.getStore();
  return scope?.tenantId === undefined ? undefined : `${scope.tenantId}\u0000${scope.userId ?? ''}`;
}

interface RequestLogFields {
  requestId?: string;
  tenantId?: string;
  userId?: string;
  trace_id?: string;
  span_id?: string;
}

/**
 * The fields every log line written while serving a request carries (the logger's mixin), with
 * the active span's `trace_id`/`span_id` when OpenTelemetry traces it (the names its log data
 * model uses), so a log line leads to its trace.
 */
export function requestLogFields(): RequestLogFields {
  const scope = storage.getStore();
  const fields: RequestLogFields = { ...traceFields() };
  if (!scope) return fields;
  fields.requestId = scope.requestId;
  if (scope.tenantId !== undefined) Object.assign(fields, { tenantId: scope.tenantId, userId: scope.userId });
  return fields;
}

/** The active span's ids; none without tracing (the API's no-op span is not valid). */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const context = trace.getActiveSpan()?.spanContext();
  return context && isSpanContextValid(context) ? { trace_id: context.traceId, span_id: context.spanId } : {};
}

/** GraphQL names its operation and outcome here; the request duration metric reads them at the end. */
export function setRequestOperation(operation: string, outcome?: RequestScope['outcome']): void {
  const scope = storage.getStore();
  if (!scope) return;
  scope.operation = operation;
  if (outcome) scope.outcome = outcome;
}

/** The scope itself, to read at the end of a request (its `finish` event runs outside the scope). */
export function currentRequestScope(): Readonly<RequestScope> | undefined {
  return storage.getStore();
}
