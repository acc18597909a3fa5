import pino, { type Logger } from 'pino';

export type { Logger };

/** One structured logger for the process; `silent` keeps test output readable. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'flow-package-catalog' },
    redact: { paths: ['req.headers.authorization', 'req.headers["router-secret"]'], censor: '[redacted]' },
  });
}
