import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile, link, unlink } from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { DEV_ISSUER_PATH } from '../../config';
import { JwtIssuer, signingKeyFromJwk } from './jwt-issuer';

const KEY_FILE = 'signing-key.json';
const ALG = 'ES256';

interface DevTokenClaims {
  sub: string;
  tid: string;
  email?: string;
  groups?: string[];
  roles?: string[];
  /** Space-separated permissions, e.g. `scaicore:view scaicore:manage`. */
  scope?: string;
  permissions?: string[];
}

interface DevTokenOptions {
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
 * The local development OIDC issuer: discovery + JWKS served by the app itself (mount `router()`
 * at DEV_ISSUER_PATH), tokens verified by the same OidcTokenVerifier as in production, so
 * development has no bypass.
 */
export class DevIssuer extends JwtIssuer {
  /** The key is kept in `keyDir` so tokens minted before a restart stay valid after it. */
  static async loadOrCreate(keyDir: string, issuerUrl: string): Promise<DevIssuer> {
    const file = path.join(keyDir, KEY_FILE);
    const privateJwk = (await readKeyFile(file)) ?? (await createKeyFile(keyDir, file));
    return new DevIssuer(issuerUrl, await signingKeyFromJwk(privateJwk, ALG));
  }

  async signToken(claims: DevTokenClaims, options: DevTokenOptions): Promise<string> {
    if (!claims.sub || !claims.tid) throw new Error('A development token needs sub and tid');
    return this.sign({ ...claims }, { audience: options.audience, expiresIn: options.expiresIn ?? '1h' });
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
