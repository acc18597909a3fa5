import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import net, { type Socket } from 'node:net';
import path from 'node:path';
import type { Logger } from '../../common/logger';

/** Microsoft's public Azurite development account: a well-known key, not a secret. */
export const AZURITE_ACCOUNT_NAME = 'devstoreaccount1';
export const AZURITE_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface EmbeddedAzurite {
  connectionString: string;
  port: number;
  /** Stops the server gracefully (so a `location` is flushed to disk); safe to call twice. */
  stop(): Promise<void>;
}

export interface EmbeddedAzuriteOptions {
  /** Directory for blobs and Azurite's own database; null keeps everything in memory. */
  location: string | null;
  /** A fixed port; by default a free one is picked. */
  port?: number;
  logger?: Logger;
  startTimeoutMs?: number;
}

const DEFAULT_START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;
const PORT_ATTEMPTS = 4;
const STDERR_TAIL_CHARS = 4_000;
/** Printed by Azurite's blob entry point once its server is bound (even with --silent). */
const LISTENING_LINE = /Blob service successfully listens on/;

/**
 * Runs inside the child before Azurite: when the parent dies without stopping it (SIGKILL, a
 * signal without handler, a killed jest worker), the child is re-parented and shuts itself down.
 */
const PARENT_WATCH = [
  'const parent = process.ppid;',
  'setInterval(() => {',
  '  if (process.ppid !== parent) {',
  "    process.kill(process.pid, 'SIGTERM');",
  '    setTimeout(() => process.exit(0), 5000).unref();',
  '  }',
  '}, 500).unref();',
].join('\n');

/**
 * Starts Azurite's blob server as a child process on this Node (the package's main export is a
 * VS Code extension, so it is run from its blob entry point, never imported).
 */
export async function startEmbeddedAzurite(options: EmbeddedAzuriteOptions): Promise<EmbeddedAzurite> {
  const startedAt = Date.now();
  if (options.location !== null) await mkdir(options.location, { recursive: true });
  // A port we picked can be taken between picking and binding: pick again a few times.
  const attempts = options.port === undefined ? PORT_ATTEMPTS : 1;
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await findFreePort());
    try {
      const azurite = await launch(port, options);
      options.logger?.info(
        { port, location: options.location ?? ':memory:', startupMs: Date.now() - startedAt },
        'embedded Azurite blob server started',
      );
      return azurite;
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt >= attempts) throw error;
      options.logger?.debug({ port }, 'Azurite port taken, retrying on another');
    }
  }
}

export function azuriteConnectionString(port: number): string {
  return (
    `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT_NAME};AccountKey=${AZURITE_ACCOUNT_KEY};` +
    `BlobEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT_NAME};`
  );
}

class PortInUseError extends Error {}

async function launch(port: number, options: EmbeddedAzuriteOptions): Promise<EmbeddedAzurite> {
  const args = [
    '--import',
    `data:text/javascript,${encodeURIComponent(PARENT_WATCH)}`,
    azuriteBlobEntryPoint(),
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    String(port),
    '--skipApiVersionCheck',
    '--disableTelemetry',
    '--silent',
    ...(options.location === null ? ['--inMemoryPersistence'] : ['--location', options.location]),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  let stderrTail = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    options.logger?.debug({ azurite: chunk.trimEnd() }, 'Azurite stderr');
  });
  // Readiness comes from our own child saying so: a TCP probe could reach whoever else holds
  // the port. The stream is drained for good so the child never blocks on a full pipe.
  let stdoutSoFar = '';
  let listening = false;
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    options.logger?.debug({ azurite: chunk.trimEnd() }, 'Azurite stdout');
    if (listening) return;
    stdoutSoFar = (stdoutSoFar + chunk).slice(-STDERR_TAIL_CHARS);
    listening = LISTENING_LINE.test(stdoutSoFar);
  });
  // 'close' comes after the pipes are drained, so the stderr tail is complete by then.
  let closed = false;
  let spawnError: Error | undefined;
  child.once('close', () => (closed = true));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    // A child that could not be spawned never emits 'exit'.
    child.once('error', (error) => {
      spawnError = error;
      closed = true;
      resolve();
    });
  });
  // The child must not outlive this process, however this process ends.
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  child.once('exit', (code, signal) => {
    if (!stopping) options.logger?.error({ code, signal, stderr: stderrTail.trim() }, 'embedded Azurite exited unexpectedly');
  });
  const stop = () => {
    stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      await terminate(child, exited);
    })();
    return stopping;
  };

  // A forgotten stop() must not keep this process alive (a hung test run, a server that closed):
  // the 'exit' hook and the parent watch end the child then.
  child.unref();
  (child.stdout as Socket).unref();
  (child.stderr as Socket).unref();

  try {
    const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    const ready = await waitUntil(() => listening, timeoutMs, () => {
      if (!closed) return undefined;
      if (spawnError) return new Error(`Azurite could not be started: ${spawnError.message}`);
      const tail = stderrTail.trim();
      if (/EADDRINUSE/.test(tail)) return new PortInUseError(`port ${port} is in use:\n${tail}`);
      return new Error(
        `Azurite exited during start-up (code ${child.exitCode}, signal ${child.signalCode})` +
          (tail ? `:\n${tail}` : ''),
      );
    });
    if (!ready) {
      const tail = stderrTail.trim();
      throw new Error(`Azurite did not listen on 127.0.0.1:${port} within ${timeoutMs} ms` + (tail ? `:\n${tail}` : ''));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { connectionString: azuriteConnectionString(port), port, stop };
}

function azuriteBlobEntryPoint(): string {
  // Found next to the package's package.json: its `main` is the VS Code extension.
  return path.join(path.dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'blob', 'main.js');
}

async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  // Held again while waiting, so whoever awaits stop() is not cut short by an empty event loop.
  child.ref();
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), STOP_GRACE_MS)));
  try {
    if ((await Promise.race([exited, graceOver])) === 'timeout') {
      child.kill('SIGKILL');
      await exited;
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `done` until it holds (true) or the time is up (false); `failure` reports a dead child. */
async function waitUntil(done: () => boolean, timeoutMs: number, failure: () => Error | undefined): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const error = failure();
    if (error) throw error;
    if (done()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
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
