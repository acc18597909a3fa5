import net from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 between the app and a dependency, to play its failures for real:
 * - `pass`: forwards both ways;
 * - `blackhole`: connections are accepted and nothing is ever answered (a stalled server or a
 *   network partition); bytes sent meanwhile are dropped, and so are the connections held;
 * - `refuse`: nothing listens on the port (a server that is down).
 * `cut()` destroys every connection in flight (a reset). `setLatency(ms)` delays every chunk, both
 * ways, by that much on connections opened from then on (a slow link; `cut()` to apply it to all).
 * `setBytesPerSecond(n)` lets at most `n` bytes a second through each way on connections opened
 * from then on (a link that trickles: 1 byte/s is a server that answers, but never in time).
 * The port stays the same throughout.
 */
export interface TcpProxy {
  port: number;
  /** `host:port` of the proxy, for connection strings. */
  address: string;
  mode: ProxyMode;
  setMode(mode: ProxyMode): Promise<void>;
  cut(): void;
  setLatency(ms: number): void;
  /** `null` for no limit. */
  setBytesPerSecond(bytesPerSecond: number | null): void;
  close(): Promise<void>;
}

export type ProxyMode = 'pass' | 'blackhole' | 'refuse';

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let mode: ProxyMode = 'pass';
  let latencyMs = 0;
  let bytesPerSecond: number | null = null;
  /** Like `pipe`, with every chunk held back `delayMs`, in order (none overtakes an earlier one). */
  const delayed = (from: net.Socket, to: net.Socket, delayMs: number) => {
    let lastAt = 0;
    from.on('data', (chunk: Buffer) => {
      const now = Date.now();
      lastAt = Math.max(now + delayMs, lastAt);
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
      }, lastAt - now);
    });
  };

  /** Like `pipe`, `rate` bytes a second at most: one slice per tick, the rest queued in order. */
  const throttled = (from: net.Socket, to: net.Socket, rate: number) => {
    const tickMs = Math.max(20, 1_000 / rate);
    const perTick = Math.max(1, Math.floor((rate * tickMs) / 1_000));
    let queued = Buffer.alloc(0);
    const timer = setInterval(() => {
      if (queued.length === 0 || to.destroyed) return;
      to.write(queued.subarray(0, perTick));
      queued = queued.subarray(perTick);
    }, tickMs);
    from.on('data', (chunk: Buffer) => (queued = Buffer.concat([queued, chunk])));
    from.on('close', () => clearInterval(timer));
    to.on('close', () => clearInterval(timer));
  };

  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };

  const onConnection = (client: net.Socket) => {
    track(client);
    if (mode === 'blackhole') {
      client.resume(); // read and drop, never answer
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    track(upstream);
    if (bytesPerSecond !== null) {
      throttled(client, upstream, bytesPerSecond);
      throttled(upstream, client, bytesPerSecond);
    } else if (latencyMs > 0) {
      delayed(client, upstream, latencyMs);
      delayed(upstream, client, latencyMs);
    } else {
      client.pipe(upstream);
      upstream.pipe(client);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  };

  let server = net.createServer(onConnection);
  await listen(server, 0);
  const port = (server.address() as net.AddressInfo).port;

  const proxy: TcpProxy = {
    port,
    address: `127.0.0.1:${port}`,
    get mode() {
      return mode;
    },
    async setMode(next) {
      if (next === mode) return;
      if (mode === 'refuse') {
        server = net.createServer(onConnection);
        await listen(server, port);
      }
      if (next === 'refuse') await closeServer(server, sockets);
      if (next === 'blackhole') freeze(sockets);
      // Back to `pass` from a black hole: the connections that lost bytes are unusable, like after
      // a partition that outlived the peers' patience; the clients notice and reconnect.
      if (mode === 'blackhole') destroyAll(sockets);
      mode = next;
    },
    cut: () => destroyAll(sockets),
    setLatency: (ms) => {
      latencyMs = ms;
    },
    setBytesPerSecond: (rate) => {
      bytesPerSecond = rate;
    },
    close: () => closeServer(server, sockets),
  };
  return proxy;
}

/** Stops forwarding on the connections in flight: bytes in either direction are dropped. */
function freeze(sockets: Set<net.Socket>): void {
  for (const socket of sockets) {
    socket.unpipe();
    socket.removeAllListeners('data');
    socket.resume();
  }
}

function destroyAll(sockets: Set<net.Socket>): void {
  for (const socket of sockets) socket.destroy();
}

function listen(server: net.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  destroyAll(sockets);
  return new Promise((resolve) => server.close(() => resolve()));
}
