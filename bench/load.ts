import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

/** One request of a scenario: who calls, and the JSON body (a GraphQL request). */
export interface BenchRequest {
  token: string;
  body: string;
}

export interface Measurement {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  requests: number;
  /** CPU time the server process spent per request (its own process only, not PostgreSQL's). */
  cpu_ms_per_request: number | null;
}

export interface DriveOptions {
  url: string;
  /** Gives the next request; called once per request sent, by every connection in turn. */
  next: () => BenchRequest;
  /** null when the answer is right; otherwise what is wrong with it. GraphQL errors come with 200. */
  check: (status: number, body: string) => string | null;
  connections: number;
  warmupSeconds: number;
  seconds: number;
  /** The server process, to read its CPU time around the measured run. */
  pid?: number;
}

export class BadResponsesError extends Error {}

/**
 * Drives `url` with autocannon: a warm-up whose figures are discarded, then the measured run.
 * Latencies are kept at full precision here (autocannon's own histogram has 1 ms buckets, too
 * coarse for a 2 ms p50). Any non-2xx, socket error, timeout or wrong body fails the run.
 */
export async function drive(options: DriveOptions): Promise<Measurement> {
  await once(options, options.warmupSeconds, null);
  const latencies: number[] = [];
  const cpuBefore = options.pid === undefined ? null : cpuMs(options.pid);
  const result = await once(options, options.seconds, latencies);
  const cpu = cpuBefore === null ? null : cpuMs(options.pid!) - cpuBefore;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    rps: latencies.length / result.duration,
    p50_ms: round(at(0.5)),
    p99_ms: round(at(0.99)),
    requests: latencies.length,
    cpu_ms_per_request: cpu === null ? null : round(cpu / latencies.length),
  };
}

/** Time the process has run on a CPU, from /proc/<pid>/schedstat (nanoseconds). */
function cpuMs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

const round = (n: number) => Math.round(n * 100) / 100;

async function once(options: DriveOptions, seconds: number, latencies: number[] | null): Promise<autocannon.Result> {
  const bad: string[] = [];
  let badCount = 0;
  let finished!: (result: autocannon.Result) => void;
  let failed!: (error: Error) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finished = resolve;
    failed = reject;
  });
  const instance = autocannon(
    {
      url: options.url,
      connections: options.connections,
      duration: seconds,
      method: 'POST',
      timeout: 30,
      requests: [
        {
          setupRequest: (request: autocannon.Request) => {
            const next = options.next();
            request.body = next.body;
            request.headers = { 'content-type': 'application/json', authorization: `Bearer ${next.token}` };
            return request;
          },
          onResponse: (status: number, body: string) => {
            const problem = options.check(status, body);
            if (problem === null) return;
            badCount += 1;
            if (bad.length < 5) bad.push(problem.slice(0, 300));
          },
        } as autocannon.Request,
      ],
    },
    (error, result) => (error ? failed(error instanceof Error ? error : new Error(String(error))) : finished(result)),
  );
  if (latencies) {
    instance.on('response', (_client: unknown, status: number, _bytes: number, responseTime: number) => {
      if (status >= 200 && status < 300) latencies.push(responseTime);
    });
  }
  const result = await done;
  const failures = result.non2xx + result.errors + result.timeouts;
  if (failures > 0 || badCount > 0) {
    throw new BadResponsesError(
      `${options.url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts, ${badCount} wrong bodies` +
        (bad.length ? `:\n  ${bad.slice(0, 5).join('\n  ')}` : ''),
    );
  }
  return result;
}

/** Median of the run results, by value (each figure its own median). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
