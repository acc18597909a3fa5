import pino, { type DestinationStream, type Logger } from 'pino';
import { requestLogFields } from './request-context';

export type { Logger };

/**
 * Tokens, secrets and cookies never reach a log line, wherever they sit: in pino-http's request
 * and response, or in an object a caller logs.
 */
/** What a redacted value is written as, wherever it was. */
export const REDACTED = '[REDACTED]';

const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["router-secret"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'authorization',
  '*.authorization',
  'token',
  '*.token',
  'routerSecret',
  '*.routerSecret',
];

/**
 * One structured logger for the process; `silent` keeps test output readable. Every line written
 * while serving a request carries its `requestId`, and `tenantId`/`userId` once the caller is known.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'flow-package-catalog' },
    redact: { paths: REDACTED_PATHS, censor: REDACTED },
    mixin: requestLogFields,
  };
  return destination ? pino(options, destination) : pino(options);
}
