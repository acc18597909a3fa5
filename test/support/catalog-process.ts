import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { findFreePort } from '../../src/infra/blob/embedded-azurite';

/** The built service and scripts (`npm run -s build` first), run as child processes. */
export const ROOT = path.resolve(__dirname, '..', '..');
export const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');

export interface RunningCatalog {
  url: string;
  child: ChildProcess;
  exit: Promise<unknown>;
  /** What it wrote so far, stdout (the log) and stderr. */
  output(): string;
}

/** Starts `dist/src/main.js` with `env` over quiet defaults and waits until /readyz answers 200. */
export async function startCatalog(env: Record<string, string>, readyWithinMs = 60_000): Promise<RunningCatalog> {
  const port = await findFreePort();
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, NODE_ENV: 'development', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'error', METRICS_PORT: 'off', MIGRATE: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  for (const stream of [child.stdout!, child.stderr!]) stream.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exit = new Promise((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyWithinMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the catalog exited while starting:\n${output}`);
    const ready = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ready) return { url, child, exit, output: () => output };
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`the catalog did not get ready within ${readyWithinMs / 1000} s:\n${output}`);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
