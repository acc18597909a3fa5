import { createHash, generateKeyPairSync } from 'node:crypto';
import { CatalogError } from '../../common/errors';
import { publicKeysFromJwksText, SigningKeys, type SigningJwks } from '../../infra/signing/signing-keys';
import {
  canonicalPayload,
  PAYLOAD_TYPE,
  PREDICATE_TYPE,
  preAuthenticationEncoding,
  ProvenanceMismatchError,
  ProvenanceSigner,
  type Provenance,
  type ProvenanceFacts,
} from './provenance';

const SHA256 = createHash('sha256').update('archive bytes').digest('hex');

const FACTS: ProvenanceFacts = {
  tenantId: 'acme',
  packageId: 'invoice-sync',
  version: '1.2.0',
  archiveName: 'invoice-sync-1.2.0.scaipkg',
  sha256: SHA256,
  publisherId: 'alice',
  sourceFlow: { id: 'flow-7', revision: '3' },
  publishedAt: new Date('2026-12-04T10:00:00.000Z'),
  checks: { compile: 'passed', secretGuard: 'passed', publishPolicy: 'none' },
};

/** A new current key; `retired`: earlier keys, of which only the public keys are passed on. */
const newKeys = (retired: { jwks(): SigningJwks }[] = []) =>
  SigningKeys.of(
    { key: generateKeyPairSync('ed25519').privateKey, source: 'test' },
    retired.flatMap((keys) => publicKeysFromJwksText(JSON.stringify(keys.jwks()), 'retired')),
  );

/** Deep copy with every object's keys in reverse order: what a jsonb column may give back. */
function reordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reordered);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, inner]) => [key, reordered(inner)]),
  );
}

const copy = (provenance: Provenance): Provenance => structuredClone(provenance);

function mismatchOf(verify: () => void): string {
  try {
    verify();
  } catch (error) {
    expect(error).toBeInstanceOf(ProvenanceMismatchError);
    return (error as Error).message;
  }
  throw new Error('the provenance verified');
}

describe('ProvenanceSigner', () => {
  let signer: ProvenanceSigner;
  beforeAll(async () => {
    signer = new ProvenanceSigner(await newKeys());
  });

  it('signs an in-toto Statement v1 about the archive, which verifies', () => {
    const provenance = signer.sign(FACTS);
    expect(provenance.statement).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'invoice-sync-1.2.0.scaipkg', digest: { sha256: SHA256 } }],
      predicateType: PREDICATE_TYPE,
      predicate: {
        tenantId: 'acme',
        packageId: 'invoice-sync',
        version: '1.2.0',
        publisherId: 'alice',
        sourceFlow: { id: 'flow-7', revision: '3' },
        publishedAt: '2026-12-04T10:00:00.000Z',
        checks: { compile: 'passed', secretGuard: 'passed', publishPolicy: 'none' },
      },
    });
    expect(provenance.keyId).toBe(signer.jwks().keys[0]!.kid);
    expect(() => signer.verify(copy(provenance), { sha256: SHA256 })).not.toThrow();
    expect(() => signer.verify(signer.sign({ ...FACTS, sourceFlow: null }), { sha256: SHA256 })).not.toThrow();
  });

  it('signs DSSE: the pre-authentication encoding of the canonical statement, verifiable with the served key alone', async () => {
    const provenance = signer.sign(FACTS);
    const payload = canonicalPayload(provenance.statement);
    expect(payload.toString()).toMatch(/^\{"_type":"https:\/\/in-toto\.io\/Statement\/v1","predicate":\{"checks":\{"compile":"passed",/);
    const served = await newKeys([signer]);
    expect(served.verify(provenance.keyId, preAuthenticationEncoding(PAYLOAD_TYPE, payload), provenance.signature)).toBe(true);
  });

  it('encodes PAE as the DSSE specification does, with byte lengths', () => {
    expect(preAuthenticationEncoding('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
    expect(preAuthenticationEncoding('t', Buffer.from('é')).toString()).toBe('DSSEv1 1 t 2 é');
  });

  it('still verifies a statement whose keys came back in another order', () => {
    const provenance = signer.sign(FACTS);
    const stored = { ...provenance, statement: reordered(provenance.statement) as Record<string, unknown> };
    expect(JSON.stringify(stored.statement)).not.toBe(JSON.stringify(provenance.statement));
    expect(() => signer.verify(stored, { sha256: SHA256 })).not.toThrow();
  });

  it('refuses a tampered statement field, naming the signature', () => {
    const tampered = copy(signer.sign(FACTS));
    (tampered.statement.predicate as { publisherId: string }).publisherId = 'mallory';
    expect(mismatchOf(() => signer.verify(tampered, { sha256: SHA256 }))).toMatch(/bad signature/);
    const moved = copy(signer.sign(FACTS));
    (moved.statement.subject as { digest: { sha256: string } }[])[0]!.digest.sha256 = 'f'.repeat(64);
    expect(mismatchOf(() => signer.verify(moved, { sha256: 'f'.repeat(64) }))).toMatch(/bad signature/);
  });

  it('refuses a tampered signature', () => {
    const provenance = signer.sign(FACTS);
    const other = signer.sign({ ...FACTS, version: '1.2.1' });
    expect(mismatchOf(() => signer.verify({ ...provenance, signature: other.signature }, { sha256: SHA256 }))).toMatch(/bad signature/);
    expect(mismatchOf(() => signer.verify({ ...provenance, signature: 'garbage' }, { sha256: SHA256 }))).toMatch(/bad signature/);
  });

  it('refuses an archive of another sha256, naming the subject digest', () => {
    const other = createHash('sha256').update('other bytes').digest('hex');
    expect(mismatchOf(() => signer.verify(signer.sign(FACTS), { sha256: other }))).toMatch(/subject digest .* does not match the archive's sha256/);
  });

  it('refuses an unknown key and input that is no provenance at all', () => {
    const provenance = signer.sign(FACTS);
    expect(mismatchOf(() => signer.verify({ ...provenance, keyId: 'unknown' }, { sha256: SHA256 }))).toMatch(/unknown key/);
    expect(mismatchOf(() => signer.verify(null as never, { sha256: SHA256 }))).toMatch(/unknown key/);
    expect(mismatchOf(() => signer.verify({ ...provenance, statement: 'text' as never }, { sha256: SHA256 }))).toMatch(/not an object/);
  });

  it('is not a CatalogError: the edges mask it', () => {
    const error = new ProvenanceMismatchError('x');
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(CatalogError);
  });

  it('after a rotation, verifies what the old key signed and signs with the new one', async () => {
    const oldKeys = await newKeys();
    const byOld = new ProvenanceSigner(oldKeys).sign(FACTS);
    const rotated = new ProvenanceSigner(await newKeys([oldKeys]));
    expect(() => rotated.verify(byOld, { sha256: SHA256 })).not.toThrow();
    const byNew = rotated.sign(FACTS);
    expect(byNew.keyId).not.toBe(byOld.keyId);
    expect(rotated.jwks().keys.map((jwk) => jwk.kid)).toEqual([byNew.keyId, byOld.keyId]);
    expect(mismatchOf(() => new ProvenanceSigner(oldKeys).verify(byNew, { sha256: SHA256 }))).toMatch(/unknown key/);
  });
});
