import { createPrivateKey, createPublicKey, sign, verify, type JsonWebKeyInput, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';

/** A public key as served at `/.well-known/catalog-keys`. */
export interface SigningJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  /** RFC 7638 thumbprint of the key: what a signature names its key by. */
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

export interface SigningJwks {
  keys: SigningJwk[];
}

/**
 * Key material that cannot be used. Its message names where the key came from and what is wrong
 * with it, never the material itself: it ends up in start-up logs.
 */
export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
}

interface VerifyingKey {
  publicKey: KeyObject;
  jwk: SigningJwk;
}

/**
 * The service's Ed25519 keys: one current private key, which signs, and the public keys of
 * earlier current keys, which only verify, so what they signed stays verifiable after a rotation.
 */
export class SigningKeys {
  private constructor(
    private readonly privateKey: KeyObject,
    private readonly current: VerifyingKey,
    private readonly byKeyId: ReadonlyMap<string, VerifyingKey>,
  ) {}

  /** `source` names each key in error messages (a file, a variable). */
  static async of(current: { key: KeyObject; source: string }, retired: readonly { key: KeyObject; source: string }[] = []): Promise<SigningKeys> {
    if (current.key.type !== 'private') throw new SigningKeyError(`${current.source} is a public key: the current signing key must be private`);
    const currentKey = await verifyingKey(createPublicKey(current.key), current.source);
    const byKeyId = new Map([[currentKey.jwk.kid, currentKey]]);
    for (const { key, source } of retired) {
      const retiredKey = await verifyingKey(key.type === 'private' ? createPublicKey(key) : key, source);
      // A rotation cut short can leave the current key among the retired ones too.
      if (!byKeyId.has(retiredKey.jwk.kid)) byKeyId.set(retiredKey.jwk.kid, retiredKey);
    }
    return new SigningKeys(current.key, currentKey, byKeyId);
  }

  get keyId(): string {
    return this.current.jwk.kid;
  }

  sign(bytes: Uint8Array): { signature: string; keyId: string } {
    return { signature: sign(null, bytes, this.privateKey).toString('base64url'), keyId: this.keyId };
  }

  has(keyId: string): boolean {
    return this.byKeyId.has(keyId);
  }

  /** False for an unknown key, a bad signature, or input that is not what it should be; never throws. */
  verify(keyId: string, bytes: Uint8Array, signature: string): boolean {
    const key = typeof keyId === 'string' ? this.byKeyId.get(keyId) : undefined;
    if (!key || !(bytes instanceof Uint8Array) || typeof signature !== 'string') return false;
    const decoded = Buffer.from(signature, 'base64url');
    // Base64url decoding skips stray characters and ignores the last character's spare bits:
    // only the one canonical spelling of a signature counts, so no other text verifies.
    if (decoded.toString('base64url') !== signature) return false;
    try {
      return verify(null, bytes, key.publicKey, decoded);
    } catch {
      return false;
    }
  }

  /** Public keys only, the current one first. */
  jwks(): SigningJwks {
    return { keys: [...this.byKeyId.values()].map(({ jwk }) => ({ ...jwk })) };
  }
}

async function verifyingKey(publicKey: KeyObject, source: string): Promise<VerifyingKey> {
  if (publicKey.asymmetricKeyType !== 'ed25519') {
    throw new SigningKeyError(`${source} holds a key of type ${publicKey.asymmetricKeyType ?? 'unknown'}: signing keys must be Ed25519`);
  }
  const { x } = publicKey.export({ format: 'jwk' });
  const members = { kty: 'OKP', crv: 'Ed25519', x: x! };
  const kid = await calculateJwkThumbprint(members, 'sha256');
  return { publicKey, jwk: { kty: 'OKP', crv: 'Ed25519', x: x!, kid, alg: 'EdDSA', use: 'sig' } };
}

/** The current key as given by an operator: a PKCS#8 PEM, or a private JWK as JSON text. */
export function privateKeyFromText(text: string, source: string): KeyObject {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    const jwk = parseJson(trimmed, source);
    if (!isObject(jwk) || typeof jwk.d !== 'string') throw new SigningKeyError(`${source} is not a private JWK (it has no "d")`);
    const key = keyFromJwk(jwk, source, (input) => createPrivateKey(input));
    // The public key is derived from "d": an "x" of another key means the JWK was mangled.
    if (jwk.x !== undefined && jwk.x !== createPublicKey(key).export({ format: 'jwk' }).x) {
      throw new SigningKeyError(`${source} is a JWK whose "x" is not the public key of its "d"`);
    }
    return key;
  }
  if (/^-----BEGIN PRIVATE KEY-----/.test(trimmed)) {
    try {
      return createPrivateKey({ key: trimmed, format: 'pem' });
    } catch {
      throw new SigningKeyError(`${source} could not be read as a PKCS#8 PEM private key`);
    }
  }
  throw new SigningKeyError(`${source} is neither a PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----") nor a private JWK (JSON)`);
}

/** A verify-only key given as a JWK's JSON text. */
export function publicKeyFromText(text: string, source: string): KeyObject {
  return publicKeyFromJwk(parseJson(text, source), source);
}

/** The private members of a JWK, if any, are not kept: a retired key only verifies. */
function publicKeyFromJwk(jwk: unknown, source: string): KeyObject {
  if (!isObject(jwk)) throw new SigningKeyError(`${source} is not a JWK (a JSON object)`);
  const { d: _private, ...publicMembers } = jwk;
  return keyFromJwk(publicMembers, source, (input) => createPublicKey(input));
}

/** The retired keys' file: a JWKS (`{ "keys": [...] }`) of public keys. */
export function publicKeysFromJwksText(text: string, source: string): { key: KeyObject; source: string }[] {
  const jwks = parseJson(text, source);
  if (!isObject(jwks) || !Array.isArray(jwks.keys)) throw new SigningKeyError(`${source} is not a JWKS (a JSON object with a "keys" array)`);
  return jwks.keys.map((jwk: unknown, index: number) => {
    const keySource = `${source} (keys[${index}])`;
    return { key: publicKeyFromJwk(jwk, keySource), source: keySource };
  });
}

function keyFromJwk(jwk: Record<string, unknown>, source: string, create: (input: JsonWebKeyInput) => KeyObject): KeyObject {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') {
    throw new SigningKeyError(`${source} is not an Ed25519 key (kty "OKP", crv "Ed25519"): signing keys must be Ed25519`);
  }
  try {
    return create({ key: jwk, format: 'jwk' });
  } catch {
    throw new SigningKeyError(`${source} holds an Ed25519 JWK whose key members are not valid`);
  }
}

/** JSON.parse's own message quotes the text around the error: it could show key material. */
function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new SigningKeyError(`${source} is not valid JSON`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
