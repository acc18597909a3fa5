import { createPublicKey, verify } from 'node:crypto';
import { canonicalPayload, PAYLOAD_TYPE, preAuthenticationEncoding } from '../src/modules/provenance/provenance';
import { captureLogs } from './support/log-capture';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * Signed provenance on the real app (docs/API.md, "Provenance"): every version published gets a
 * statement anyone can verify with the served keys, and install refuses a version whose
 * statement, signature, row or archive was altered behind the service's back.
 */

jest.setTimeout(300_000);

const PUBLISH = `mutation P($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { version } }`;
const PROVENANCE = `query V($p: String!) { catalogPackage(packageId: $p) { versions { edges { node { version sha256 provenance { statement signature keyId } } } } } }`;
const INSTALL = `mutation I($p: String!) { installCatalogPackage(packageId: $p) { metadata { version sha256 } } }`;

let t: TestApp;
let logs: ReturnType<typeof captureLogs>;
let tenant: string;

beforeAll(async () => {
  logs = captureLogs();
  t = await startTestApp({}, { logger: logs.logger });
});
afterAll(() => t?.close());
beforeEach(() => {
  tenant = uniqueTenant();
});

const content = { name: 'Signed flow', nodes: [{ id: 'a', type: 'trigger.webhook' }], edges: [] };

async function publish(token: string, packageId: string): Promise<void> {
  const res = await t.gql(token, PUBLISH, { input: { packageId, name: packageId, version: '1.0.0', content } });
  expect(res.body.errors).toBeUndefined();
}

async function sql(query: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  return t.app.orm.em.fork().getConnection().execute(query, params);
}

const versionRow = (packageId: string) => `(select v.id from catalog_package_version v join catalog_package p on p.id = v.catalog_package_id
  where p.tenant_id = '${tenant}' and p.package_id = '${packageId}')`;

describe('provenance', () => {
  it('signs every version with a statement about its archive, verifiable with the served keys alone', async () => {
    const alice = await t.token({ tenant, user: 'alice' });
    await publish(alice, 'signed');
    const res = await t.gql(alice, PROVENANCE, { p: 'signed' });
    const version = res.body.data.catalogPackage.versions.edges[0].node;
    expect(version.provenance.statement).toMatchObject({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'signed-1.0.0.scaipkg', digest: { sha256: version.sha256 } }],
      predicate: { tenantId: tenant, packageId: 'signed', version: '1.0.0', publisherId: 'alice', sourceFlow: null },
    });
    expect(version.provenance.statement.predicate.checks).toEqual({ compile: 'passed', secretGuard: 'passed', publishPolicy: 'none' });

    const keys = ((await (await fetch(`${t.url}/.well-known/catalog-keys`)).json()) as { keys: { kid: string }[] }).keys;
    const jwk = keys.find((key) => key.kid === version.provenance.keyId);
    expect(jwk).toBeDefined();
    const signed = preAuthenticationEncoding(PAYLOAD_TYPE, canonicalPayload(version.provenance.statement));
    expect(verify(null, signed, createPublicKey({ key: jwk as never, format: 'jwk' }), Buffer.from(version.provenance.signature, 'base64url'))).toBe(true);
  });

  const TAMPERINGS: [string, (packageId: string) => string][] = [
    [
      'a statement field',
      (id) =>
        `update catalog_package_version set provenance = jsonb_set(provenance, '{statement,predicate,publisherId}', '"mallory"') where id = ${versionRow(id)}`,
    ],
    [
      'the signature',
      (id) =>
        `update catalog_package_version set provenance = jsonb_set(provenance, '{signature}', to_jsonb(reverse(provenance->>'signature'))) where id = ${versionRow(id)}`,
    ],
    ['the key id', (id) => `update catalog_package_version set provenance = jsonb_set(provenance, '{keyId}', '"someone-else"') where id = ${versionRow(id)}`],
  ];

  it.each(TAMPERINGS)('refuses to install a version whose provenance had %s altered, and logs why', async (_what, tamper) => {
    const alice = await t.token({ tenant, user: 'alice' });
    await publish(alice, 'tampered');
    expect((await t.gql(alice, INSTALL, { p: 'tampered' })).body.errors).toBeUndefined();
    await sql(tamper('tampered'));
    logs.clear();
    const res = await t.gql(alice, INSTALL, { p: 'tampered' });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(res.body.errors?.[0]?.message).not.toMatch(/provenance|signature/i);
    expect(
      logs.lines.some((line) => line.msg === 'provenance verification failed: refusing to serve the archive' && String(line.blobName).includes('/tampered/')),
    ).toBe(true);
  });

  it('refuses an archive replaced together with the sha256 of its row: the signed digest no longer matches', async () => {
    const alice = await t.token({ tenant, user: 'alice' });
    await publish(alice, 'original');
    await publish(alice, 'impostor');
    // Someone with write access to the database points the version at another archive and its digest.
    await sql(
      `update catalog_package_version set blob_name = o.blob_name, sha256 = o.sha256 from (select blob_name, sha256 from catalog_package_version where id = ${versionRow('impostor')}) o
       where id = ${versionRow('original')}`,
    );
    logs.clear();
    const res = await t.gql(alice, INSTALL, { p: 'original' });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(logs.lines.some((line) => line.msg === 'provenance verification failed: refusing to serve the archive')).toBe(true);
  });

  it('installs a version published before provenance existed, as before', async () => {
    const alice = await t.token({ tenant, user: 'alice' });
    await publish(alice, 'older');
    await sql(`update catalog_package_version set provenance = null where id = ${versionRow('older')}`);
    const res = await t.gql(alice, INSTALL, { p: 'older' });
    expect(res.body.errors).toBeUndefined();
    expect((await t.gql(alice, PROVENANCE, { p: 'older' })).body.data.catalogPackage.versions.edges[0].node.provenance).toBeNull();
  });
});
