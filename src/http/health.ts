import { Router } from 'express';
import type { Logger } from '../common/logger';
import type { BlobStorage } from '../infra/blob/blob-storage';
import type { Database } from '../infra/db/database';
import type { ReadRouting } from '../infra/db/read-replicas';

/** Each check's own deadline: shorter than the request deadlines, so /readyz answers promptly. */
const CHECK_TIMEOUT_MS = 2_000;

type CheckName = 'database' | 'blobStorage';

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * `/healthz`: the process is up. `/readyz`: the database and blob storage answer (README);
 * its 503 names each failing part with the kind of failure, e.g.
 * `{ status: 'unavailable', database: 'ok', blobStorage: 'unavailable', failed: { blobStorage: 'no answer within 2000 ms' } }`.
 * Anyone who can reach the port can ask, so the body never holds the error itself (addresses,
 * hosts, paths): that goes to the log, at warn.
 *
 * With read replicas, `replicas` lists each one's state (`ok`, `lagging`, `down`) and lag. A
 * replica never makes the instance unready: reads it would have served go to the primary.
 */
export function healthRouter(db: Database, blobs: BlobStorage, logger: Logger, readRouting?: ReadRouting): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks: Record<CheckName, () => Promise<unknown>> = {
      database: () => db.run((em) => em.execute('select 1')),
      blobStorage: () => blobs.ping(),
    };
    const names = Object.keys(checks) as CheckName[];
    const results = await Promise.allSettled(names.map((name) => withTimeout(checks[name](), CHECK_TIMEOUT_MS)));
    const states = Object.fromEntries(names.map((name, i) => [name, results[i]!.status === 'fulfilled' ? 'ok' : 'unavailable']));
    const failures = results.flatMap((result, i) => (result.status === 'rejected' ? [{ part: names[i]!, error: result.reason as unknown }] : []));
    const replicas = readRouting ? { replicas: readRouting.status() } : {};
    if (failures.length === 0) {
      res.json({ status: 'ready', ...states, ...replicas });
      return;
    }
    for (const { part, error } of failures) logger.warn({ part, err: error }, 'readiness check failed');
    res
      .status(503)
      .json({ status: 'unavailable', ...states, ...replicas, failed: Object.fromEntries(failures.map(({ part, error }) => [part, kindOf(error)])) });
  });
  return router;
}

/** Network failures by their errno code; what is sure to hold no address or secret. */
const KINDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  EHOSTUNREACH: 'host unreachable',
  ENOENT: 'storage directory missing',
};

function kindOf(error: unknown): string {
  if (error instanceof TimeoutError) return error.message;
  const code = codeOf(error);
  return (code && KINDS[code]) ?? 'unavailable (see the log)';
}

/** The errno code of an error or of any error it wraps (drivers and SDKs wrap them). */
function codeOf(error: unknown, depth = 0): string | undefined {
  if (!error || typeof error !== 'object' || depth > 4) return undefined;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && code in KINDS) return code;
  for (const inner of [cause, ...(Array.isArray(errors) ? errors : [])]) {
    const found = codeOf(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}

class TimeoutError extends Error {}
