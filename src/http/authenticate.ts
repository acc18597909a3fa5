import type { NextFunction, Request, Response } from 'express';
import type { Caller } from '../common/caller';
import { setRequestCaller } from '../common/request-context';
import type { OidcTokenVerifier } from '../infra/auth/oidc-verifier';
import type { RequestMeta } from '../modules/package/catalog';
import { SERVICE_SDL_CALLER } from './service-sdl-request';

/** What the edge learnt about the request, for the GraphQL context and the REST shim. */
interface AuthenticatedLocals {
  caller: Caller;
  authorization: string;
}

/**
 * Verifies the bearer token before any catalog work. A failure goes to `next(error)`, where the
 * GraphQL and REST edges render it from the same `EdgeError` (http/errors.ts). `withoutToken` names
 * the requests that need none (the GraphQL edge: a gateway's `{ _service { sdl } }`).
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

/** What use cases need of the request besides the caller: the same from both edges. */
export function requestMetaOf(req: Request, res: Response): RequestMeta {
  const key = req.headers['idempotency-key'];
  return { authorization: callerOf(res).authorization, idempotencyKey: typeof key === 'string' ? key : null };
}
