import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import { loadKeyDirectory, loadSigningKeys, rotateKeyDirectory } from './key-files';
import { privateKeyFromText, publicKeysFromJwksText, SigningKeyError, SigningKeys } from './signing-keys';

const ed25519 = () => generateKeyPairSync('ed25519');
const current = (key: KeyObject) => ({ key, source: 'test key' });
const bytes = Buffer.from('what was published');

function flipOneCharacter(signature: string): string {
  const at = 10;
  return `${signature.slice(0, at)}${signature[at] === 'A' ? 'B' : 'A'}${signature.slice(at + 1)}`;
}

describe('SigningKeys', () => {
  it('verifies what it signed, under the key id it named', async () => {
    const keys = await SigningKeys.of(current(ed25519().privateKey));
    const { signature, keyId } = keys.sign(bytes);
    expect(keyId).toBe(keys.keyId);
    expect(signature).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(keys.verify(keyId, bytes, signature)).toBe(true);
  });

  it('refuses an unknown key id, a tampered byte and a tampered signature', async () => {
    const keys = await SigningKeys.of(current(ed25519().privateKey));
    const { signature, keyId } = keys.sign(bytes);
    expect(keys.verify('no-such-key', bytes, signature)).toBe(false);
    const tampered = Buffer.from(bytes);
    tampered[0] ^= 1;
    expect(keys.verify(keyId, tampered, signature)).toBe(false);
    expect(keys.verify(keyId, bytes, flipOneCharacter(signature))).toBe(false);
  });

  it('never throws on garbage input', async () => {
    const keys = await SigningKeys.of(current(ed25519().privateKey));
    const { signature, keyId } = keys.sign(bytes);
    expect(keys.verify(keyId, bytes, '')).toBe(false);
    expect(keys.verify(keyId, bytes, '!!not base64!!')).toBe(false);
    expect(keys.verify(keyId, bytes, 'AAAA')).toBe(false);
    expect(keys.verify(keyId, bytes, `${signature}=`)).toBe(false);
    expect(keys.verify(keyId, 'a string' as never, signature)).toBe(false);
    expect(keys.verify(keyId, bytes, null as never)).toBe(false);
    expect(keys.verify({} as never, bytes, signature)).toBe(false);
  });

  it('names each key by its RFC 7638 thumbprint and serves public members only, current first', async () => {
    const old = ed25519();
    const now = ed25519();
    const keys = await SigningKeys.of(current(now.privateKey), [{ key: old.publicKey, source: 'old' }]);
    const thumbprint = (key: KeyObject) => calculateJwkThumbprint(key.export({ format: 'jwk' }) as never);
    expect(keys.keyId).toBe(await thumbprint(now.publicKey));
    const { keys: served } = keys.jwks();
    expect(served.map((jwk) => jwk.kid)).toEqual([await thumbprint(now.publicKey), await thumbprint(old.publicKey)]);
    for (const jwk of served) expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    expect(served[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', x: now.publicKey.export({ format: 'jwk' }).x });
  });

  it('verifies with a retired key but signs with the current one only', async () => {
    const old = await SigningKeys.of(current(ed25519().privateKey));
    const byOld = old.sign(bytes);
    const [oldJwk] = old.jwks().keys;
    const rotated = await SigningKeys.of(current(ed25519().privateKey), publicKeysFromJwksText(JSON.stringify({ keys: [oldJwk] }), 'retired.json'));
    expect(rotated.verify(byOld.keyId, bytes, byOld.signature)).toBe(true);
    expect(rotated.sign(bytes).keyId).not.toBe(byOld.keyId);
    expect(rotated.keyId).not.toBe(byOld.keyId);
  });

  it('reads the current key as a PKCS#8 PEM or a private JWK, to the same key id', async () => {
    const { privateKey } = ed25519();
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const jwk = JSON.stringify(privateKey.export({ format: 'jwk' }));
    const fromPem = await SigningKeys.of(current(privateKeyFromText(pem, 'pem')));
    const fromJwk = await SigningKeys.of(current(privateKeyFromText(jwk, 'jwk')));
    expect(fromPem.keyId).toBe(fromJwk.keyId);
    const { signature, keyId } = fromPem.sign(bytes);
    expect(fromJwk.verify(keyId, bytes, signature)).toBe(true);
  });

  it('refuses keys that are not Ed25519, public current keys and malformed material, without quoting it', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const ecPem = ec.export({ type: 'pkcs8', format: 'pem' }).toString();
    const ecJwk = JSON.stringify(ec.export({ format: 'jwk' }));
    await expect(SigningKeys.of({ key: privateKeyFromText(ecPem, 'CATALOG_SIGNING_KEY'), source: 'CATALOG_SIGNING_KEY' })).rejects.toThrow(
      'CATALOG_SIGNING_KEY holds a key of type ec: signing keys must be Ed25519',
    );
    expect(() => privateKeyFromText(ecJwk, 'CATALOG_SIGNING_KEY')).toThrow(/not an Ed25519 key/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    await expect(SigningKeys.of(current(ed25519().privateKey), [{ key: rsa, source: 'retired rsa' }])).rejects.toThrow(/retired rsa holds a key of type rsa/);
    await expect(SigningKeys.of(current(ed25519().publicKey))).rejects.toThrow(/public key: the current signing key must be private/);

    const { privateKey } = ed25519();
    const jwk = privateKey.export({ format: 'jwk' });
    const secret = jwk.d!;
    const attempts = [
      `{"kty":"OKP","crv":"Ed25519","d":"${secret}",`,
      JSON.stringify({ ...jwk, d: undefined }),
      JSON.stringify({ ...jwk, x: 'AAAA' }),
      `-----BEGIN PRIVATE KEY-----\n${secret}\n-----END PRIVATE KEY-----`,
      secret,
    ];
    for (const text of attempts) {
      let message = '';
      try {
        privateKeyFromText(text, 'CATALOG_SIGNING_KEY');
      } catch (error) {
        expect(error).toBeInstanceOf(SigningKeyError);
        message = (error as Error).message;
      }
      expect(message).toMatch(/^CATALOG_SIGNING_KEY /);
      expect(message).not.toContain(secret);
    }
  });
});

describe('the key files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'signing-keys-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('creates the embedded key once, owner-only, and keeps it', async () => {
    const directory = path.join(dir, 'signing-keys');
    const [first, second] = await Promise.all([loadKeyDirectory(directory), loadKeyDirectory(directory)]);
    expect(second.keyId).toBe(first.keyId);
    expect((await stat(path.join(directory, 'current.jwk.json'))).mode & 0o777).toBe(0o600);
    expect((await loadSigningKeys({ kind: 'directory', directory })).keyId).toBe(first.keyId);
  });

  it('rotates: the old key moves to retired/<kid>.jwk.json as a public key and still verifies', async () => {
    const directory = path.join(dir, 'signing-keys');
    const before = await loadKeyDirectory(directory);
    const signed = before.sign(bytes);
    const { retiredKeyId, currentKeyId } = await rotateKeyDirectory(directory);
    expect(retiredKeyId).toBe(before.keyId);
    const after = await loadKeyDirectory(directory);
    expect(after.keyId).toBe(currentKeyId);
    expect(after.jwks().keys.map((jwk) => jwk.kid)).toEqual([currentKeyId, retiredKeyId]);
    expect(after.verify(signed.keyId, bytes, signed.signature)).toBe(true);
    const retiredFile = JSON.parse(await readFile(path.join(directory, 'retired', `${retiredKeyId}.jwk.json`), 'utf8'));
    expect(retiredFile).not.toHaveProperty('d');
  });

  it('reads a configured key file and a retired JWKS file', async () => {
    const old = await SigningKeys.of(current(ed25519().privateKey));
    const keyFile = path.join(dir, 'key.pem');
    const retiredFile = path.join(dir, 'retired.json');
    await writeFile(keyFile, ed25519().privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await writeFile(retiredFile, JSON.stringify(old.jwks()));
    const keys = await loadSigningKeys({ kind: 'configured', currentKey: { file: keyFile }, retiredKeysFile: retiredFile });
    const signed = old.sign(bytes);
    expect(keys.verify(signed.keyId, bytes, signed.signature)).toBe(true);
    expect(keys.jwks().keys.map((jwk) => jwk.kid)).toEqual([keys.keyId, old.keyId]);
  });

  it('fails clearly on a missing file, bad JSON and a JWKS without keys', async () => {
    const missing = path.join(dir, 'missing.pem');
    await expect(loadSigningKeys({ kind: 'configured', currentKey: { file: missing }, retiredKeysFile: null })).rejects.toThrow(
      `cannot read the signing key file ${missing} (CATALOG_SIGNING_KEY_FILE): ENOENT`,
    );
    const material = ed25519().privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const badJson = path.join(dir, 'retired.json');
    await writeFile(badJson, '{"keys": [');
    await expect(loadSigningKeys({ kind: 'configured', currentKey: { material }, retiredKeysFile: badJson })).rejects.toThrow(`${badJson} is not valid JSON`);
    await writeFile(badJson, '{"kty": "OKP"}');
    await expect(loadSigningKeys({ kind: 'configured', currentKey: { material }, retiredKeysFile: badJson })).rejects.toThrow(/is not a JWKS/);
    const directory = path.join(dir, 'broken');
    await loadKeyDirectory(directory);
    await writeFile(path.join(directory, 'current.jwk.json'), 'not json');
    await expect(loadKeyDirectory(directory)).rejects.toThrow(/current\.jwk\.json is neither a PKCS#8 PEM/);
  });
});
