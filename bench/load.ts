import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

/** One request of a scenario: who calls, and the JSON body (a GraphQL request). */
export interface BenchRequest {
  token: string;
  body: string;
}

export interface Target {
  url: string;
  /** Gives the next request; called once per request sent, by every connection in turn. */
  next: () => BenchRequest;
  /** null when the answer is right; otherwise what is wrong with it. GraphQL errors come with 200. */
  check: (status: number, body: string) => string | null;
  /** The server process: its CPU time is read around each slice. */
  pid: number;
}

export interface Measurement {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  requests: number;
  /** CPU time the server process spent per request (its own process only, not PostgreSQL's). */
  cpu_ms_per_request: number;
  /** CPU time autocannon (this process) spent per request: it shares the machine with the server. */
  loadgen_cpu_ms_per_request: number;
}

export class BadResponsesError extends Error {}

/** What one scenario gathers over the slices of a run. */
export class Tally {
  private readonly latencies: number[] = [];
  private seconds = 0;
  private cpu = 0;
  private loadgenCpu = 0;

  add(slice: { latencies: number[]; seconds: number; cpuMs: number; loadgenCpuMs: number }): void {
    for (const latency of slice.latencies) this.latencies.push(latency);
    this.seconds += slice.seconds;
    this.cpu += slice.cpuMs;
    this.loadgenCpu += slice.loadgenCpuMs;
  }

  measurement(): Measurement {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
    return {
      rps: round(sorted.length / this.seconds),
      p50_ms: round(at(0.5)),
      p99_ms: round(at(0.99)),
      requests: sorted.length,
      cpu_ms_per_request: Math.round((this.cpu / sorted.length) * 1000) / 1000,
      loadgen_cpu_ms_per_request: Math.round((this.loadgenCpu / sorted.length) * 1000) / 1000,
    };
  }
}

/**
 * Drives `target` with autocannon for `seconds` (autocannon stops on its 1 s sampling tick, so
 * whole seconds). Latencies are kept at full precision here: autocannon's own histogram has 1 ms
 * buckets, too coarse for a 2 ms p50. Any non-2xx, socket error, timeout or wrong body throws.
 */
export async function slice(
  target: Target,
  connections: number,
  seconds: number,
): Promise<{ latencies: number[]; seconds: number; cpuMs: number; loadgenCpuMs: number }> {
  const latencies: number[] = [];
  const bad: string[] = [];
  let badCount = 0;
  let finished!: (result: autocannon.Result) => void;
  let failed!: (error: Error) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finished = resolve;
    failed = reject;
  });
  const cpuBefore = cpuMs(target.pid);
  const loadgenBefore = process.cpuUsage();
  const instance = autocannon(
    {
      url: target.url,
      connections,
      duration: seconds,
      method: 'POST',
      timeout: 30,
      requests: [
        {
          setupRequest: (request: autocannon.Request) => {
            const next = target.next();
            request.body = next.body;
            request.headers = { 'content-type': 'application/json', authorization: `Bearer ${next.token}` };
            return request;
          },
          onResponse: (status: number, body: string) => {
            const problem = target.check(status, body);
            if (problem === null) return;
            badCount += 1;
            if (bad.length < 5) bad.push(problem.slice(0, 300));
          },
        } as autocannon.Request,
      ],
    },
    (error, result) => (error ? failed(error instanceof Error ? error : new Error(String(error))) : finished(result)),
  );
  instance.on('response', (_client: unknown, status: number, _bytes: number, responseTime: number) => {
    if (status >= 200 && status < 300) latencies.push(responseTime);
  });
  const result = await done;
  const cpu = cpuMs(target.pid) - cpuBefore;
  const loadgen = process.cpuUsage(loadgenBefore);
  const failures = result.non2xx + result.errors + result.timeouts;
  if (failures > 0 || badCount > 0) {
    throw new BadResponsesError(
      `${target.url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts, ${badCount} wrong bodies` +
        (bad.length ? `:\n  ${bad.join('\n  ')}` : ''),
    );
  }
  return { latencies, seconds: result.duration, cpuMs: cpu, loadgenCpuMs: (loadgen.user + loadgen.system) / 1000 };
}

/** Time the process has run on a CPU, from /proc/<pid>/schedstat (nanoseconds). */
function cpuMs(pid: number): number {
  let schedstat: string;
  try {
    schedstat = readFileSync(`/proc/${pid}/schedstat`, 'utf8');
  } catch {
    throw new Error(`server process ${pid} is gone`);
  }
  return Number(schedstat.split(' ')[0]) / 1e6;
}

const round = (n: number) => Math.round(n * 100) / 100;

/** Median of the values. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
