import type { Request, Response } from 'express';
import { PROBLEM_CONTENT_TYPE, problemDocument } from './problem';
import type { EdgeError } from './errors';

/**
 * An answer given before any route ran (draining, the request deadline): problem+json under
 * `/api/`, GraphQL's shape elsewhere, with `Retry-After` when the error has one.
 */
export function answerEarly(req: Request, res: Response, error: EdgeError): void {
  res.status(error.status);
  if (error.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(error.retryAfterSeconds));
  if (req.originalUrl.startsWith('/api/')) res.type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problemDocument(req, error)));
  else res.json({ errors: [{ message: error.message, extensions: { code: error.code } }] });
}
