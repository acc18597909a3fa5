import { Router } from 'express';
import type { BlobStorage } from '../infra/blob/blob-storage';
import type { Database } from '../infra/db/database';

/** Each check's own deadline: shorter than the request deadlines, so /readyz answers promptly. */
const CHECK_TIMEOUT_MS = 2_000;

type CheckName = 'database' | 'blobStorage';

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * `/healthz`: the process is up. `/readyz`: the database and blob storage answer (README);
 * its 503 names each failing part with the reason, e.g.
 * `{ status: 'unavailable', database: 'ok', blobStorage: 'unavailable', failed: { blobStorage: '…' } }`.
 */
export function healthRouter(db: Database, blobs: BlobStorage): Router {
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
    const failed = Object.fromEntries(
      results.flatMap((result, i) => (result.status === 'rejected' ? [[names[i], reasonOf(result.reason)]] : [])),
    );
    if (Object.keys(failed).length === 0) {
      res.json({ status: 'ready', ...states });
      return;
    }
    res.status(503).json({ status: 'unavailable', ...states, failed });
  });
  return router;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
