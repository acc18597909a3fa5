import type { NextFunction, Request, Response } from 'express';
import { HTTP_STATUS_BY_CODE } from '../common/errors';
import { answerEarly } from './early-answer';
import type { EdgeError } from './errors';

const SHUTTING_DOWN: EdgeError = {
  code: 'SERVICE_UNAVAILABLE',
  status: HTTP_STATUS_BY_CODE.SERVICE_UNAVAILABLE,
  message: 'The service is shutting down; retry on another instance',
  extensions: {},
  retryAfterSeconds: 1,
};

/**
 * Mounted before every route. Once the process is stopping, `/readyz` answers 503 at once so load
 * balancers stop sending traffic, and any other new request (on a kept-alive connection: the
 * listener is already closed) is refused with 503 and `Connection: close`, so the client
 * reconnects elsewhere. Requests already past this gate finish normally.
 */
export function drainingGate(isDraining: () => boolean) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!isDraining()) return next();
    res.setHeader('connection', 'close');
    if (req.path === '/healthz') return next();
    if (req.path !== '/readyz') return answerEarly(req, res, SHUTTING_DOWN);
    res.status(503).setHeader('retry-after', String(SHUTTING_DOWN.retryAfterSeconds));
    res.json({ status: 'unavailable', failed: { server: 'shutting down' } });
  };
}
