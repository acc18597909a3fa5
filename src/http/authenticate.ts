import type { NextFunction, Request, Response } from 'express';
import type { Caller } from '../common/caller';
import { CatalogError } from '../common/errors';
import { setRequestCaller } from '../common/request-context';
import type { OidcTokenVerifier } from '../infra/auth/oidc-verifier';

/** What the edge learnt about the request, for the GraphQL context and the REST shim. */
export interface AuthenticatedLocals {
  caller: Caller;
  authorization: string;
}

/**
 * Verifies the bearer token before any catalog work. A failure goes to `next(error)`, where the
 * GraphQL and REST edges each render it in their own error format.
 */
export function authenticate(verifier: OidcTokenVerifier) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const authorization = req.headers.authorization ?? '';
      const caller = await verifier.verify(req.headers.authorization);
      (res.locals as AuthenticatedLocals).caller = caller;
      (res.locals as AuthenticatedLocals).authorization = authorization;
      setRequestCaller(caller);
      next();
    } catch (error) {
      next(error);
    }
  };
}

export function callerOf(res: Response): AuthenticatedLocals {
  return res.locals as AuthenticatedLocals;
}

/** Status and body for the GraphQL edge: the same `extensions.code` as errors from resolvers. */
export function graphqlErrorBody(error: CatalogError): { errors: unknown[] } {
  return { errors: [{ message: error.message, extensions: { code: error.code } }] };
}
