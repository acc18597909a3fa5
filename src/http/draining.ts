import type { NextFunction, Request, Response } from 'express';
import { HTTP_STATUS_BY_CODE } from '../common/errors';
import { PROBLEM_CONTENT_TYPE, problemDocument } from '../rest/problem';
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
    res.status(503).setHeader('retry-after', '1');
    if (req.path === '/readyz') {
      res.json({ status: 'unavailable', failed: { server: 'shutting down' } });
    } else if (req.path.startsWith('/api/')) {
      res.type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problemDocument(req, SHUTTING_DOWN)));
    } else {
      res.json({ errors: [{ message: SHUTTING_DOWN.message, extensions: { code: SHUTTING_DOWN.code } }] });
    }
  };
}
