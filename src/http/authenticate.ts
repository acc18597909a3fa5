import type { NextFunction, Request, Response } from 'express';
import type { Caller } from '../common/caller';
import { CatalogError } from '../common/errors';
import type { OidcTokenVerifier } from '../infra/auth/oidc-verifier';
import { SERVICE_SDL_CALLER } from './service-sdl-request';

/** What the edge learnt about the request, for the GraphQL context and the REST shim. */
export interface AuthenticatedLocals {
  caller: Caller;
  authorization: string;
}

/**
 * Verifies the bearer token before any catalog work. A failure goes to `next(error)`, where the
 * GraphQL and REST edges each render it in their own error format. `withoutToken` names the
 * requests that need none (the GraphQL edge: a gateway's `{ _service { sdl } }`).
 */
export function authenticate(verifier: OidcTokenVerifier, withoutToken: (req: Request) => boolean = () => false) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      if (withoutToken(req)) {
        (res.locals as AuthenticatedLocals).caller = SERVICE_SDL_CALLER;
        (res.locals as AuthenticatedLocals).authorization = '';
        return next();
      }
      const authorization = req.headers.authorization ?? '';
      const caller = await verifier.verify(req.headers.authorization);
      (res.locals as AuthenticatedLocals).caller = caller;
      (res.locals as AuthenticatedLocals).authorization = authorization;
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
