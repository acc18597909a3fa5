import { Writable } from 'node:stream';
import { createLogger } from '../../src/common/logger';
import type { Logger } from '../../src/common/logger';

/** pino's numeric levels. */
export const LOG_LEVEL = { info: 30, warn: 40, error: 50 } as const;

export interface LogLine {
  level: number;
  msg?: string;
  [field: string]: unknown;
}

/**
 * A real logger (the app's own, redaction and all) writing into memory, for tests that check what
 * a request logged: pass `logger` to `startTestApp`, read `lines`, empty it with `clear()`.
 */
export function captureLogs(level = 'info'): { logger: Logger; lines: LogLine[]; clear(): void; atOrAbove(min: number): LogLine[] } {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text) lines.push(JSON.parse(text) as LogLine);
      done();
    },
  });
  return {
    logger: createLogger(level, destination),
    lines,
    clear: () => void (lines.length = 0),
    atOrAbove: (min) => lines.filter((line) => line.level >= min),
  };
}

/** A log line in a few words, for a failure message. */
export function describeLine(line: LogLine): string {
  const err = line['err'] as { message?: string } | undefined;
  return `${line.level} ${line.msg ?? ''}${err?.message ? `: ${err.message}` : ''}`;
}
