import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Every process the bench starts, so that each one is stopped however the bench ends: normal
 * return, a thrown error, Ctrl-C, or SIGTERM. Children also watch their parent and stop
 * themselves if the bench is killed outright (SIGKILL leaves no chance to clean up).
 */
const children = new Set<ChildProcess>();

/** Runs in each child before its own code: exit when re-parented (the bench died). */
const PARENT_WATCH = [
  'const parent = process.ppid;',
  'setInterval(() => {',
  '  if (process.ppid !== parent) {',
  "    process.kill(process.pid, 'SIGTERM');",
  '    setTimeout(() => process.exit(0), 3000).unref();',
  '  }',
  '}, 500).unref();',
].join('\n');

export interface Started {
  child: ChildProcess;
  pid: number;
  /** The last lines the child wrote, for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs` (a CPU profile is written during a graceful stop). */
  stop(graceMs?: number): Promise<void>;
}

export function startNode(name: string, script: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Started {
  const child = spawn(process.execPath, [...nodeArgs, '--import', `data:text/javascript,${encodeURIComponent(PARENT_WATCH)}`, script], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      children.delete(child);
      resolve();
    });
    child.once('error', () => {
      children.delete(child);
      resolve();
    });
  });
  if (child.pid === undefined) throw new Error(`${name} could not be started`);
  return {
    child,
    pid: child.pid,
    output: () => tail,
    async stop(graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
      if ((await Promise.race([exited, timer])) === 'timeout') {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** Kills whatever is still running; synchronous so that it also works from an 'exit' handler. */
export function killAll(): void {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
}

let installed = false;
export function installCleanupHandlers(): void {
  if (installed) return;
  installed = true;
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

/** Polls `url` until it answers 200, failing early when the child dies. */
export async function waitForHttp(url: string, started: Started, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (started.child.exitCode !== null || started.child.signalCode !== null) {
      throw new Error(`process exited before ${url} answered:\n${started.output()}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${started.output()}`);
}

/** VmHWM (peak resident set) of a process, in MiB. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmHWM for pid ${pid}`);
  return Number(match[1]) / 1024;
}

/** Resets VmHWM to the current RSS (Linux `clear_refs` 5), so that a phase's own peak can be read. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
