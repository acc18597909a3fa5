import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Socket } from 'node:net';
import type { Logger } from '../../common/logger';

/** One Azurite blob server child; `embedded-azurite.ts` starts, supervises and restarts these. */
export interface AzuriteProcess {
  pid: number;
  /** Resolves when the child has exited, however that came about. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True once `stop()` was called: its exit is then expected, not a crash. */
  readonly stopRequested: boolean;
  /** The last lines it wrote to stderr, for the log when it dies. */
  stderrTail(): string;
  /** SIGTERM to its process group, SIGKILL after a grace period; safe to call twice. */
  stop(): Promise<void>;
}

interface AzuriteLaunchOptions {
  /** Directory for blobs and Azurite's own database; null keeps everything in memory. */
  location: string | null;
  logger?: Logger;
  startTimeoutMs: number;
}

export class PortInUseError extends Error {}

const STOP_GRACE_MS = 5_000;
const STDERR_TAIL_CHARS = 4_000;
/** Printed by Azurite's blob entry point once its server is bound (even with --silent). */
const LISTENING_LINE = /Blob service successfully listens on/;

/**
 * Runs inside the child before Azurite: when the parent dies without stopping it (SIGKILL, a
 * killed jest worker), the child is re-parented and shuts itself down. SIGTERM is sent once:
 * Azurite handles only the first, a second one would cut its graceful close short.
 */
const PARENT_WATCH = [
  'const parent = process.ppid;',
  'const watch = setInterval(() => {',
  '  if (process.ppid === parent) return;',
  '  clearInterval(watch);',
  "  process.kill(process.pid, 'SIGTERM');",
  '  setTimeout(() => process.exit(0), 5000).unref();',
  '}, 500).unref();',
].join('\n');

/**
 * Starts Azurite's blob server on `port` and resolves once it listens. The child gets its own
 * process group (`detached`), so a terminal's Ctrl-C, which signals the whole foreground group,
 * reaches only the app, and the app stops Azurite itself, in its own order.
 */
export async function launchAzurite(port: number, options: AzuriteLaunchOptions): Promise<AzuriteProcess> {
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
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true, detached: true });
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
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A child that could not be spawned never emits 'exit'.
    child.once('error', (error) => {
      spawnError = error;
      closed = true;
      resolve({ code: null, signal: null });
    });
  });
  // The child must not outlive this process, however this process ends (process.exit included).
  const killOnExit = () => signalGroup(child, 'SIGTERM');
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      await terminate(child, exited);
    })();
    return stopping;
  };
  void exited.then(() => process.removeListener('exit', killOnExit));

  // A forgotten stop() must not keep this process alive (a hung test run, a server that closed):
  // the 'exit' hook and the parent watch end the child then.
  child.unref();
  (child.stdout as Socket).unref();
  (child.stderr as Socket).unref();

  try {
    const ready = await waitUntil(
      () => listening,
      options.startTimeoutMs,
      () => {
        if (!closed) return undefined;
        if (spawnError) return new Error(`Azurite could not be started: ${spawnError.message}`);
        const tail = stderrTail.trim();
        if (/EADDRINUSE/.test(tail)) return new PortInUseError(`port ${port} is in use:\n${tail}`);
        return new Error(`Azurite exited during start-up (code ${child.exitCode}, signal ${child.signalCode})` + (tail ? `:\n${tail}` : ''));
      },
    );
    if (!ready) {
      const tail = stderrTail.trim();
      throw new Error(`Azurite did not listen on 127.0.0.1:${port} within ${options.startTimeoutMs} ms` + (tail ? `:\n${tail}` : ''));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    pid: child.pid!,
    exited,
    get stopRequested() {
      return stopping !== undefined;
    },
    stderrTail: () => stderrTail.trim(),
    stop,
  };
}

function azuriteBlobEntryPoint(): string {
  // Found next to the package's package.json: its `main` is the VS Code extension.
  return path.join(path.dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'blob', 'main.js');
}

/** The child leads its own process group: signal the group, so nothing it started survives it. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

async function terminate(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  // Held again while waiting, so whoever awaits stop() is not cut short by an empty event loop.
  child.ref();
  signalGroup(child, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), STOP_GRACE_MS)));
  try {
    if ((await Promise.race([exited, graceOver])) === 'timeout') {
      signalGroup(child, 'SIGKILL');
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
