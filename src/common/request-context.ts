import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

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

/** The fields every log line written while serving a request carries (the logger's mixin). */
export function requestLogFields(): { requestId?: string; tenantId?: string; userId?: string } {
  const scope = storage.getStore();
  if (!scope) return {};
  const { requestId, tenantId, userId } = scope;
  return tenantId === undefined ? { requestId } : { requestId, tenantId, userId };
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
