import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../common/logger';
import { collectNodeDefaults, registry } from './metrics';

interface MetricsServer {
  /** `http://host:port`, with the port actually bound (tests ask for port 0). */
  url: string;
  close(): Promise<void>;
}

/**
 * `GET /metrics` on a port of its own, so that scrapers never share the API's port, limits or
 * authentication, and the API's port never exposes the metrics.
 */
export async function startMetricsServer(options: { host: string; port: number; logger: Logger }): Promise<MetricsServer> {
  collectNodeDefaults();
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (err: unknown) => {
        options.logger.error({ err }, 'could not collect metrics');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('Could not collect metrics\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's keep-alive connection would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}
