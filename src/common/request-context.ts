import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

interface RequestScope {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** Runs the rest of a request with its id reachable from anywhere (error masking, logs). */
export function runWithRequestId<T>(requestId: string | undefined, work: () => T): T {
  return storage.run({ requestId: requestId ?? randomUUID() }, work);
}

export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
