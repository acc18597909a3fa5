import { Router } from 'express';
import type { SigningJwks } from '../infra/signing/signing-keys';

export const CATALOG_KEYS_PATH = '/.well-known/catalog-keys';

/**
 * The public keys that verify provenance statements, for anyone holding one: no authentication,
 * like an issuer's JWKS. Cached five minutes: after a rotation, verifiers may take that long to see the new key.
 */
export function catalogKeysRouter(keys: { jwks(): SigningJwks }): Router {
  const router = Router();
  router.get(CATALOG_KEYS_PATH, (_req, res) => {
    res.setHeader('cache-control', 'public, max-age=300');
    res.type('application/jwk-set+json').send(JSON.stringify(keys.jwks()));
  });
  return router;
}
