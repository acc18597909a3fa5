import type { AppConfig } from '../../config';
import type { Logger } from '../../common/logger';
import type { Orm } from '../db/orm';
import { watchOrmPool } from './db-pool';
import { readBuildInfo } from './build-info';
import { buildInfo } from './metrics';
import { startMetricsServer } from './metrics-server';

export { metrics } from './metrics';
export { timedBlobStorage } from './timed-blob-storage';

/**
 * The metrics server on `config.metricsPort` (null: none) and the database pool gauge; `close`
 * stops both.
 */
export async function startMetrics(
  config: Pick<AppConfig, 'host' | 'metricsPort' | 'database'>,
  orm: Orm,
  logger: Logger,
): Promise<{ url: string | null; close(): Promise<void> }> {
  if (config.metricsPort === null || config.metricsPort === undefined) return { url: null, close: async () => {} };
  const server = await startMetricsServer({ host: config.host, port: config.metricsPort, logger });
  buildInfo.reset();
  buildInfo.set(readBuildInfo(), 1);
  const unwatchPool = await watchOrmPool(orm, config.database);
  return {
    url: server.url,
    async close() {
      unwatchPool();
      await server.close();
    },
  };
}
