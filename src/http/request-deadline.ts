import type { NextFunction, Request, Response } from 'express';
import { HTTP_STATUS_BY_CODE } from '../common/errors';
import type { Logger } from '../common/logger';
import { currentRequestId } from '../common/request-context';
import { answerEarly } from './early-answer';
import type { EdgeError } from './errors';

/**
 * The backstop behind every dependency's own deadline: a request not answered within `ms` gets a
 * 503 `SERVICE_UNAVAILABLE` (problem+json under `/api/`, GraphQL's shape elsewhere) instead of
 * leaving the client waiting; what it was doing is logged with its request id.
 */
export function requestDeadline(ms: number, logger: Logger) {
  const late: EdgeError = {
    code: 'SERVICE_UNAVAILABLE',
    status: HTTP_STATUS_BY_CODE.SERVICE_UNAVAILABLE,
    message: `The request did not finish within ${ms / 1000} s; try again shortly`,
    extensions: {},
    retryAfterSeconds: 5,
  };
  return (req: Request, res: Response, next: NextFunction): void => {
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      logger.warn({ requestId: currentRequestId(), method: req.method, path: req.path, deadlineMs: ms }, 'request deadline exceeded');
      answerEarly(req, res, late);
    }, ms);
    timer.unref();
    res.once('close', () => clearTimeout(timer));
    res.once('finish', () => clearTimeout(timer));
    next();
  };
}
