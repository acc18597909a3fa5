import { execFileSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { canonicalPayload, PAYLOAD_TYPE, preAuthenticationEncoding, type ProvenanceFacts } from '../src/modules/provenance/provenance';
import { DEV_ISSUER_AUDIENCE } from '../src/config';
import { DevIssuer, devIssuerUrl } from '../src/infra/auth/dev-issuer';
import { findFreePort } from '../src/infra/blob/embedded-azurite';
import { buildOnce, ROOT, startCatalog, type RunningCatalog } from './support/catalog-process';
import { startTestApp, type TestApp } from './support/test-app';

/** `GET /.well-known/catalog-keys`: the public keys anyone can verify provenance statements with. */

const FACTS: ProvenanceFacts = {
  tenantId: 'acme',
  packageId: 'invoice-sync',
  version: '1.0.0',
  archiveName: 'invoice-sync-1.0.0.scaipkg',
  sha256: 'a'.repeat(64),
  publisherId: 'alice',
  sourceFlow: null,
  publishedAt: new Date('2026-12-04T10:00:00.000Z'),
  checks: { compile: 'passed', secretGuard: 'passed', publishPolicy: 'none' },
};

async function servedKeys(url: string): Promise<{ kid: string; [member: string]: unknown }[]> {
  const response = await fetch(`${url}/.well-known/catalog-keys`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { keys: { kid: string }[] }).keys;
}

describe('the catalog keys endpoint', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('serves the public keys to anyone, cacheable, as a JWK set', async () => {
    const response = await fetch(`${t.url}/.well-known/catalog-keys`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/jwk-set\+json/);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: expect.any(String), alg: 'EdDSA', use: 'sig' });
  });

  it("serves the key that verifies the app's signatures, checked with nothing but the served JWK", async () => {
    const provenance = t.app.provenance.sign(FACTS);
    const jwk = (await servedKeys(t.url)).find((key) => key.kid === provenance.keyId);
    expect(jwk).toBeDefined();
    const signed = preAuthenticationEncoding(PAYLOAD_TYPE, canonicalPayload(provenance.statement));
    const publicKey = createPublicKey({ key: jwk as never, format: 'jwk' });
    expect(verify(null, signed, publicKey, Buffer.from(provenance.signature, 'base64url'))).toBe(true);
    expect(() => t.app.provenance.verify(provenance, { sha256: FACTS.sha256 })).not.toThrow();
  });
});

describe('the embedded key of the built service, across restarts and a rotation', () => {
  let dataDir: string;
  let running: RunningCatalog | null = null;

  beforeAll(async () => {
    await buildOnce();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'catalog-keys-'));
  }, 600_000);
  afterEach(async () => {
    await stop(running);
    running = null;
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  async function stop(catalog: RunningCatalog | null): Promise<void> {
    if (!catalog || catalog.child.exitCode !== null) return;
    catalog.child.kill('SIGTERM');
    await catalog.exit;
  }

  let port = 0;
  let token = '';

  async function kidsAfterStart(): Promise<string[]> {
    await stop(running);
    // The development issuer's URL holds the port: every start serves on the same one.
    port ||= await findFreePort();
    running = await startCatalog({ DATA_DIR: dataDir, PORT: String(port) });
    return (await servedKeys(running.url)).map((key) => key.kid);
  }

  async function gql(query: string, variables: Record<string, unknown> = {}): Promise<any> {
    if (!token) {
      const issuer = await DevIssuer.loadOrCreate(path.join(dataDir, 'dev-issuer'), devIssuerUrl('127.0.0.1', port));
      token = await issuer.signToken({ sub: 'alice', tid: 'keys', scope: 'scaicore:view scaicore:manage' }, { audience: DEV_ISSUER_AUDIENCE });
    }
    const response = await fetch(`${running!.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return response.json();
  }

  const publish = (version: string) =>
    gql(`mutation($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { version } }`, {
      input: { packageId: 'signed', name: 'Signed', version, content: { nodes: [{ id: 'a', type: 'trigger' }], edges: [] } },
    });
  const signer = async (version: string): Promise<string> => {
    const answer = await gql(`{ catalogPackage(packageId: "signed") { versions { edges { node { version provenance { keyId } } } } } }`);
    return answer.data.catalogPackage.versions.edges.find((edge: any) => edge.node.version === version).node.provenance.keyId;
  };
  const install = async (version: string) =>
    (await gql(`mutation($v: String) { installCatalogPackage(packageId: "signed", version: $v) { metadata { version } } }`, { v: version })).data
      ?.installCatalogPackage.metadata.version;

  it('creates the key on first start, keeps it, and after npm run signing-key:rotate serves the new key first and the old one too', async () => {
    const [first] = await kidsAfterStart();
    // npm start with no settings signs what it publishes with the key it generated.
    expect((await publish('1.0.0')).errors).toBeUndefined();
    expect(await signer('1.0.0')).toBe(first);
    expect(first).toEqual(expect.any(String));
    expect(existsSync(path.join(dataDir, 'signing-keys', 'current.jwk.json'))).toBe(true);
    expect(await kidsAfterStart()).toEqual([first]);
    await stop(running);

    const printed = execFileSync('npm', ['run', '-s', 'signing-key:rotate'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, DATA_DIR: dataDir },
      encoding: 'utf8',
    });
    const [, retired] = /retired key: (\S+)/.exec(printed)!;
    const [, current] = /current key: (\S+)/.exec(printed)!;
    expect(retired).toBe(first);
    expect(current).not.toBe(first);
    expect(await kidsAfterStart()).toEqual([current, first]);
    // What the retired key signed still installs; new versions are signed with the new key.
    expect(await install('1.0.0')).toBe('1.0.0');
    expect((await publish('1.1.0')).errors).toBeUndefined();
    expect(await signer('1.1.0')).toBe(current);
    expect(await install('1.1.0')).toBe('1.1.0');
  }, 180_000);
});
