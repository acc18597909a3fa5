import type { NextFunction, Request, Response } from 'express';
import { BadUserInputError } from '../common/errors';
import { isUnstorable, UNSTORABLE_MESSAGE, unstorableStrings } from '../common/unstorable-strings';

/**
 * The REST half of the one input check (the GraphQL half is src/graphql/unstorable-input.ts):
 * query parameters and the parsed JSON body, every string and member name at any depth, are
 * refused with a 400 problem locating each one (`$.content.nodes[0].config.x`, `$.version`)
 * when the database could not store them. Runs before any route handler, so no use case ever
 * sees such a string. Mounted after authentication and again after each JSON body parser.
 */
export function refuseUnstorableInput(req: Request, _res: Response, next: NextFunction): void {
  const problems = [...unstorableStrings(req.query ?? {}), ...(req.body === undefined ? [] : unstorableStrings(req.body))];
  next(problems.length > 0 ? new BadUserInputError('Invalid request: a string cannot be stored', problems) : undefined);
}

/** `router.param` hook: a path parameter (already percent-decoded) is checked the same way. */
export function refuseUnstorableParam(_req: Request, _res: Response, next: NextFunction, value: unknown, name: string): void {
  const bad = typeof value === 'string' && isUnstorable(value);
  next(bad ? new BadUserInputError('Invalid request: a string cannot be stored', [{ path: `$.${name}`, message: UNSTORABLE_MESSAGE }]) : undefined);
}
