import { Router } from 'express';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

type SigningAlgorithm = 'ES256' | 'RS256';

interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: CryptoKey;
  /** Public members only, so the private part can never leak into the JWKS. */
  publicJwk: JWK;
}

interface JwtSignOptions {
  audience: string;
  /** jose duration (`1h`, `-5m`) or a number of seconds from now. */
  expiresIn: string | number;
  notBefore?: string | number;
  /** Overrides the `iss` claim (tests forge tokens of another issuer). */
  issuer?: string;
  /** Which served key signs; default the current one. */
  kid?: string;
  /** Signs with this key instead, keeping the chosen kid in the header (a forged signature). */
  forgeWith?: SigningKey;
}

/** Builds a signing key from a private JWK; the kid defaults to the RFC 7638 thumbprint. */
export async function signingKeyFromJwk(privateJwk: JWK, alg: SigningAlgorithm, kid?: string): Promise<SigningKey> {
  const publicMembers: JWK =
    privateJwk.kty === 'EC'
      ? { kty: privateJwk.kty, crv: privateJwk.crv, x: privateJwk.x, y: privateJwk.y }
      : { kty: privateJwk.kty, n: privateJwk.n, e: privateJwk.e };
  const keyId = kid ?? (await calculateJwkThumbprint(publicMembers));
  const privateKey = (await importJWK(privateJwk, alg)) as CryptoKey;
  return { kid: keyId, alg, privateKey, publicJwk: { ...publicMembers, kid: keyId, alg, use: 'sig' } };
}

export async function generateSigningKey(alg: SigningAlgorithm, kid?: string): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return signingKeyFromJwk(await exportJWK(privateKey), alg, kid);
}

/**
 * An OIDC issuer reduced to what a verifier needs: discovery, a JWKS and signed JWTs. The app's
 * development issuer, the tests and the bench all use this one, so their tokens are alike.
 */
export class JwtIssuer {
  private keys: SigningKey[];
  private currentKid: string;

  constructor(
    readonly issuerUrl: string,
    firstKey: SigningKey,
  ) {
    this.keys = [firstKey];
    this.currentKid = firstKey.kid;
  }

  get kid(): string {
    return this.currentKid;
  }

  /** Publishes a key in the JWKS; with `current`, new tokens are signed with it. */
  addKey(key: SigningKey, options: { current?: boolean } = {}): void {
    this.keys = [...this.keys.filter((k) => k.kid !== key.kid), key];
    if (options.current) this.currentKid = key.kid;
  }

  /** Stops publishing a key; the current key cannot be removed. */
  removeKey(kid: string): void {
    if (kid === this.currentKid) throw new Error('The current signing key cannot be removed');
    this.keys = this.keys.filter((k) => k.kid !== kid);
  }

  discovery(): Record<string, unknown> {
    return {
      issuer: this.issuerUrl,
      jwks_uri: `${this.issuerUrl}/jwks.json`,
      id_token_signing_alg_values_supported: [...new Set(this.keys.map((k) => k.alg))],
      subject_types_supported: ['public'],
      response_types_supported: ['id_token'],
    };
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }

  /** Serves discovery and JWKS below the issuer URL's path. */
  router(): Router {
    const router = Router();
    router.get('/.well-known/openid-configuration', (_req, res) => {
      res.json(this.discovery());
    });
    router.get('/jwks.json', (_req, res) => {
      res.json(this.jwks());
    });
    return router;
  }

  async sign(claims: JWTPayload, options: JwtSignOptions): Promise<string> {
    const kid = options.kid ?? this.currentKid;
    const key = this.keys.find((k) => k.kid === kid);
    if (!key) throw new Error(`No signing key ${kid}`);
    const signer = options.forgeWith ?? key;
    const now = Math.floor(Date.now() / 1000);
    const relative = (value: string | number) => (typeof value === 'number' ? now + value : value);
    const jwt = new SignJWT({ ...claims })
      .setProtectedHeader({ alg: signer.alg, kid, typ: 'JWT' })
      .setIssuer(options.issuer ?? this.issuerUrl)
      .setAudience(options.audience)
      .setIssuedAt(now);
    if (claims.exp === undefined) jwt.setExpirationTime(relative(options.expiresIn));
    if (options.notBefore !== undefined) jwt.setNotBefore(relative(options.notBefore));
    return jwt.sign(signer.privateKey);
  }
}
