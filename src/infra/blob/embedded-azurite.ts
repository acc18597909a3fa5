import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import type { Logger } from '../../common/logger';
import { launchAzurite, PortInUseError, type AzuriteProcess } from './azurite-process';

/** Microsoft's public Azurite development account: a well-known key, not a secret. */
const AZURITE_ACCOUNT_NAME = 'devstoreaccount1';
const AZURITE_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface EmbeddedAzurite {
  connectionString: string;
  port: number;
  /** The running child's pid; changes when the supervisor restarts it, null while it is down. */
  readonly pid: number | null;
  /** Stops the server gracefully (so a `location` is flushed to disk); safe to call twice. */
  stop(): Promise<void>;
}

interface EmbeddedAzuriteOptions {
  /** Directory for blobs and Azurite's own database; null keeps everything in memory. */
  location: string | null;
  /** A fixed port; by default a free one is picked. */
  port?: number;
  logger?: Logger;
  startTimeoutMs?: number;
  /** Called after a restart, before the server counts as back (e.g. to recreate a container). */
  onRestarted?: () => Promise<void>;
}

const DEFAULT_START_TIMEOUT_MS = 20_000;
const PORT_ATTEMPTS = 4;
const RESTART_FIRST_DELAY_MS = 250;
const RESTART_MAX_DELAY_MS = 10_000;
/** A child that ran this long before dying was healthy: its restart starts the backoff afresh. */
const STABLE_RUN_MS = 30_000;

/**
 * Starts Azurite's blob server as a supervised child process: when it dies without being asked
 * to, it is started again with backoff on the same port and location, so blob clients keep their
 * connection string and `/readyz` (which pings blob storage) answers 503 until it is back.
 */
export async function startEmbeddedAzurite(options: EmbeddedAzuriteOptions): Promise<EmbeddedAzurite> {
  const startedAt = Date.now();
  if (options.location !== null) await mkdir(options.location, { recursive: true });
  const launchOptions = { ...options, startTimeoutMs: options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS };
  // A port we picked can be taken between picking and binding: pick again a few times.
  const attempts = options.port === undefined ? PORT_ATTEMPTS : 1;
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await findFreePort());
    try {
      const first = await launchAzurite(port, launchOptions);
      options.logger?.info(
        { port, pid: first.pid, location: options.location ?? ':memory:', startupMs: Date.now() - startedAt },
        'embedded Azurite blob server started',
      );
      return supervise(port, first, launchOptions);
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt >= attempts) throw error;
      options.logger?.debug({ port }, 'Azurite port taken, retrying on another');
    }
  }
}

function supervise(port: number, first: AzuriteProcess, options: EmbeddedAzuriteOptions & { startTimeoutMs: number }): EmbeddedAzurite {
  const logger = options.logger;
  let current: AzuriteProcess | null = null;
  let stopped = false;
  let failures = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let restarting: Promise<void> | undefined;

  const watch = (child: AzuriteProcess) => {
    current = child;
    const since = Date.now();
    void child.exited.then(({ code, signal }) => {
      if (current === child) current = null;
      if (stopped || child.stopRequested) return;
      if (Date.now() - since >= STABLE_RUN_MS) failures = 0;
      logger?.error({ code, signal, pid: child.pid, stderr: child.stderrTail() }, 'embedded Azurite exited unexpectedly; restarting it');
      scheduleRestart();
    });
  };

  const scheduleRestart = () => {
    const delayMs = Math.min(RESTART_MAX_DELAY_MS, RESTART_FIRST_DELAY_MS * 2 ** failures);
    failures++;
    // Unref'd: a pending restart must not keep a stopping process alive.
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      restarting = restart().finally(() => (restarting = undefined));
    }, delayMs).unref();
  };

  const restart = async () => {
    let child: AzuriteProcess;
    try {
      child = await launchAzurite(port, options);
    } catch (error) {
      if (stopped) return;
      logger?.warn({ err: error, port, attempt: failures }, 'embedded Azurite restart failed; trying again');
      return scheduleRestart();
    }
    if (stopped) return child.stop();
    watch(child);
    logger?.info({ port, pid: child.pid, attempt: failures }, 'embedded Azurite restarted');
    await options.onRestarted?.().catch((error: unknown) => logger?.warn({ err: error }, 'embedded Azurite restarted, but its set-up failed'));
  };

  watch(first);
  let stopping: Promise<void> | undefined;
  return {
    connectionString: azuriteConnectionString(port),
    port,
    get pid() {
      return current?.pid ?? null;
    },
    stop() {
      stopping ??= (async () => {
        stopped = true;
        clearTimeout(restartTimer);
        await restarting;
        await current?.stop();
      })();
      return stopping;
    },
  };
}

function azuriteConnectionString(port: number): string {
  return (
    `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT_NAME};AccountKey=${AZURITE_ACCOUNT_KEY};` +
    `BlobEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT_NAME};`
  );
}

/** A port free right now, found by letting the OS pick one and releasing it. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
