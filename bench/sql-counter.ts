import net from 'node:net';

/**
 * Counts SQL statements by watching the PostgreSQL wire protocol between a client and the server.
 * A process pointed at this proxy (DATABASE_URL with its port) is measured from the outside,
 * with nothing added to its code: every simple-protocol Query ('Q') and every extended-protocol
 * Execute ('E') the client sends is one statement. BEGIN and COMMIT count too.
 *
 * Why not the server's own counters: pg_stat_statements needs a server restart to load
 * (shared_preload_libraries) on a server that other work shares, and pg_stat_database counts
 * transactions, not statements (and is flushed lazily). This count is exact and immediate.
 */
export interface SqlCounter {
  port: number;
  /** Statements seen since the last reset, and their text (first 160 characters; of the last Parse for an extended-protocol Execute). */
  statements(): number;
  log(): string[];
  reset(): void;
  close(): Promise<void>;
}

export async function startSqlCounter(upstreamHost: string, upstreamPort: number): Promise<SqlCounter> {
  let count = 0;
  let log: string[] = [];
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    const upstream = net.connect(upstreamPort, upstreamHost);
    sockets.add(client).add(upstream);
    upstream.pipe(client);
    let pending = Buffer.alloc(0);
    let startedUp = false;
    let parsed = '<extended-protocol execute>';
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      pending = Buffer.concat([pending, chunk]);
      while (true) {
        if (!startedUp) {
          // Startup (or SSLRequest) message: int32 length, int32 code; no type byte.
          if (pending.length < 8) break;
          const length = pending.readInt32BE(0);
          if (pending.length < length) break;
          const code = pending.readInt32BE(4);
          if (code !== 80877103 && code !== 80877104) startedUp = true; // not SSL/GSS negotiation
          pending = pending.subarray(length);
          continue;
        }
        if (pending.length < 5) break;
        const type = String.fromCharCode(pending[0]!);
        const length = pending.readInt32BE(1);
        if (pending.length < 1 + length) break;
        if (type === 'Q') {
          count += 1;
          log.push(
            pending
              .subarray(5, Math.min(1 + length - 1, 5 + 160))
              .toString('utf8')
              .replace(/\s+/g, ' '),
          );
        } else if (type === 'P') {
          // Parse: statement name, NUL, query text, NUL, …; the Execute that follows runs it.
          const body = pending.subarray(5, 1 + length);
          const textStart = body.indexOf(0) + 1;
          parsed = body
            .subarray(textStart, Math.min(body.indexOf(0, textStart), textStart + 160))
            .toString('utf8')
            .replace(/\s+/g, ' ');
        } else if (type === 'E') {
          count += 1;
          log.push(parsed);
        }
        pending = pending.subarray(1 + length);
      }
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    port: (server.address() as net.AddressInfo).port,
    statements: () => count,
    log: () => log,
    reset: () => {
      count = 0;
      log = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
