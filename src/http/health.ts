import { Router } from 'express';
import type { BlobStorage } from '../infra/blob/blob-storage';
import type { Database } from '../infra/db/database';

const CHECK_TIMEOUT_MS = 3_000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    work,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref()),
  ]);
}

/** `/healthz`: the process is up. `/readyz`: the database and blob storage answer (CONTRACT §1). */
export function healthRouter(db: Database, blobs: BlobStorage): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks = {
      database: withTimeout(db.run((em) => em.execute('select 1')), CHECK_TIMEOUT_MS),
      blobStorage: withTimeout(blobs.ping(), CHECK_TIMEOUT_MS),
    };
    const results = await Promise.allSettled(Object.values(checks));
    const names = Object.keys(checks);
    const failed = Object.fromEntries(
      results.flatMap((result, i) => (result.status === 'rejected' ? [[names[i], String((result.reason as Error).message)]] : [])),
    );
    if (Object.keys(failed).length === 0) {
      res.json({ status: 'ready', database: 'ok', blobStorage: 'ok' });
      return;
    }
    res.status(503).json({ status: 'unavailable', failed });
  });
  return router;
}
