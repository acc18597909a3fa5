import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findFreePort } from '../../src/infra/blob/embedded-azurite';

/** The built service and scripts (`npm run -s build` first), run as child processes. */
export const ROOT = path.resolve(__dirname, '..', '..');
export const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');

/** For a stream of requests far above the default rate limits and version quota. */
export const UNLIMITED_ENV: Record<string, string> = Object.fromEntries(
  [
    'RATE_LIMIT_TENANT_READS_PER_MINUTE',
    'RATE_LIMIT_TENANT_WRITES_PER_MINUTE',
    'RATE_LIMIT_CALLER_READS_PER_MINUTE',
    'RATE_LIMIT_CALLER_WRITES_PER_MINUTE',
    'CATALOG_MAX_VERSIONS_PER_PACKAGE',
  ].map((name) => [name, '1000000']),
);

export interface RunningCatalog {
  url: string;
  child: ChildProcess;
  exit: Promise<unknown>;
  /** What it wrote so far, stdout (the log) and stderr. */
  output(): string;
}

/**
 * Starts `dist/src/main.js` with `env` over quiet defaults and waits until /readyz answers 200.
 * With `processGroup`, the service leads a process group of its own, so a test can kill it and
 * everything it started at once (`process.kill(-child.pid, 'SIGKILL')`), as an OOM kill does.
 * `main` and `cwd` run another build (the previous release, test/support/previous-release.ts).
 */
export async function startCatalog(
  env: Record<string, string>,
  readyWithinMs = 60_000,
  { processGroup = false, main = MAIN, cwd = ROOT }: { processGroup?: boolean; main?: string; cwd?: string } = {},
): Promise<RunningCatalog> {
  // A given PORT is kept (the development issuer's URL holds it, so restarts need the same one).
  const port = env.PORT ? Number(env.PORT) : await findFreePort();
  const child = spawn(process.execPath, [main], {
    cwd,
    detached: processGroup,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'error',
      METRICS_PORT: 'off',
      MIGRATE: 'true',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  for (const stream of [child.stdout!, child.stderr!]) stream.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exit = new Promise((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyWithinMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the catalog exited while starting:\n${output}`);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { url, child, exit, output: () => output };
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`the catalog did not get ready within ${readyWithinMs / 1000} s:\n${output}`);
}

/**
 * Builds dist/ unless it is newer than every source, one test file at a time: jest runs several
 * files at once, and two compilers writing dist/ together leave files a starting service can
 * read half-written; a lock left by a killed run is taken over after ten minutes.
 */
export async function buildOnce(): Promise<void> {
  const lock = path.join(os.tmpdir(), `catalog-build-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`);
  await withDirectoryLock(lock, 10 * 60_000, async () => {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-if-stale.mjs'), '--quiet'], { cwd: ROOT, stdio: 'pipe' });
  });
}

/**
 * Runs `work` while holding `lock`, a directory (made atomically), so test files running side by
 * side take turns; a lock older than `staleMs` (left by a killed run) is taken over.
 */
export async function withDirectoryLock<T>(lock: string, staleMs: number, work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > staleMs) rmSync(lock, { recursive: true, force: true });
      else await sleep(250);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
