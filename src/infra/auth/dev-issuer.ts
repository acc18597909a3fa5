import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile, link, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Router } from 'express';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type CryptoKey,
  type JWK,
} from 'jose';
import { DEV_ISSUER_PATH } from '../../config';

const KEY_FILE = 'signing-key.json';
const ALG = 'ES256';

export interface DevTokenClaims {
  sub: string;
  tid: string;
  email?: string;
  groups?: string[];
  roles?: string[];
  /** Space-separated permissions, e.g. `scaicore:view scaicore:manage`. */
  scope?: string;
  permissions?: string[];
}

export interface DevTokenOptions {
  audience: string;
  /** A duration such as `1h`, or a number of seconds from now. Default `1h`. */
  expiresIn?: string | number;
}

/** Issuer URL of the development issuer served by the app at `host:port` (wildcards mapped to loopback). */
export function devIssuerUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const hostPart = reachable.includes(':') ? `[${reachable}]` : reachable;
  return `http://${hostPart}:${port}${DEV_ISSUER_PATH}`;
}

/**
 * The local development OIDC issuer: discovery + JWKS served by the app itself, tokens verified by
 * the same OidcTokenVerifier as in production, so development has no bypass.
 */
export class DevIssuer {
  private constructor(
    readonly issuerUrl: string,
    private readonly privateKey: CryptoKey,
    private readonly publicJwk: JWK,
  ) {}

  /** The key is kept in `keyDir` so tokens minted before a restart stay valid after it. */
  static async loadOrCreate(keyDir: string, issuerUrl: string): Promise<DevIssuer> {
    const file = path.join(keyDir, KEY_FILE);
    const privateJwk = (await readKeyFile(file)) ?? (await createKeyFile(keyDir, file));
    const privateKey = await importJWK(privateJwk, ALG);
    const { kty, crv, x, y } = privateJwk;
    const kid = await calculateJwkThumbprint({ kty, crv, x, y });
    // Only the public members, listed explicitly, so `d` can never leak into the JWKS.
    const publicJwk: JWK = { kty, crv, x, y, kid, alg: ALG, use: 'sig' };
    return new DevIssuer(issuerUrl, privateKey as CryptoKey, publicJwk);
  }

  get kid(): string {
    return this.publicJwk.kid!;
  }

  /** Serves discovery and JWKS; mount at DEV_ISSUER_PATH. */
  router(): Router {
    const router = Router();
    router.get('/.well-known/openid-configuration', (_req, res) => {
      res.json({
        issuer: this.issuerUrl,
        jwks_uri: `${this.issuerUrl}/jwks.json`,
        id_token_signing_alg_values_supported: [ALG],
        subject_types_supported: ['public'],
        response_types_supported: ['id_token'],
      });
    });
    router.get('/jwks.json', (_req, res) => {
      res.json({ keys: [this.publicJwk] });
    });
    return router;
  }

  async signToken(claims: DevTokenClaims, options: DevTokenOptions): Promise<string> {
    if (!claims.sub || !claims.tid) throw new Error('A development token needs sub and tid');
    const expiresIn = options.expiresIn ?? '1h';
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: ALG, kid: this.kid, typ: 'JWT' })
      .setIssuer(this.issuerUrl)
      .setAudience(options.audience)
      .setIssuedAt(now)
      .setExpirationTime(typeof expiresIn === 'number' ? now + expiresIn : expiresIn)
      .sign(this.privateKey);
  }
}

async function readKeyFile(file: string): Promise<JWK | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const jwk = JSON.parse(text) as JWK;
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.d || !jwk.x || !jwk.y) {
    throw new Error(`${file} is not an ES256 private key; delete it to create a new one`);
  }
  return jwk;
}

/** Writes a new key without ever replacing one: two processes starting at once end up sharing one key. */
async function createKeyFile(keyDir: string, file: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  await mkdir(keyDir, { recursive: true, mode: 0o700 });
  const temp = `${file}.${randomUUID()}.tmp`;
  await writeFile(temp, JSON.stringify(jwk, null, 2), { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, file); // atomic, and fails if another process got there first
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temp);
  }
  return (await readKeyFile(file))!;
}
