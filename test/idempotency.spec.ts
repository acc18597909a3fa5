import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_TUNING } from '../src/config';

const IDEMPOTENCY_KEY_TTL_MS = DEFAULT_TUNING.idempotencyTtlMs;
import { flowContent } from './support/flows';
import type { GqlResponse } from './support/graphql-client';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

jest.setTimeout(60_000);

const PUBLISH = `mutation($input: PublishCatalogPackageInput!) {
  publishCatalogPackage(input: $input) { id packageId version updatedAt }
}`;

type Published = { id: string; packageId: string; version: string; updatedAt: string };

/**
 * A flows service whose answers wait until the test lets them go: a publish by `flowId` stays in
 * progress for as long as the test needs to send a duplicate.
 */
interface GatedFlows {
  url: string;
  /** Resolves when the next request has reached the flows service. */
  requested(): Promise<void>;
  release(): void;
  close(): Promise<void>;
}

async function startGatedFlows(): Promise<GatedFlows> {
  let onRequest: () => void = () => {};
  let arrived = new Promise<void>((resolve) => (onRequest = resolve));
  let open: () => void = () => {};
  let gate = new Promise<void>((resolve) => (open = resolve));
  const server: Server = createServer((_req, res) => {
    onRequest();
    void gate.then(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ flow: { id: 'slow', ...flowContent('Slow flow') }, permissions: ['deploy'] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requested: () => arrived,
    release: () => {
      open();
      gate = new Promise<void>((resolve) => (open = resolve));
      arrived = new Promise<void>((resolve) => (onRequest = resolve));
    },
    close: () =>
      new Promise<void>((resolve) => {
        open();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('Idempotency-Key on publishCatalogPackage', () => {
  let t: TestApp;
  let flows: GatedFlows;

  beforeAll(async () => {
    flows = await startGatedFlows();
    t = await startTestApp({ flowsApiUrl: flows.url });
  });
  afterAll(async () => {
    await t.close();
    await flows.close();
  });

  const input = (packageId: string, name = 'A package') => ({ packageId, name, version: '0.1.0', content: flowContent(name) });

  async function publish(token: string, key: string | null, variables: Record<string, unknown>) {
    const response = await t.gql<{ publishCatalogPackage: Published }>(token, PUBLISH, variables, key === null ? {} : { 'idempotency-key': key });
    return response;
  }

  const published = (response: GqlResponse<{ publishCatalogPackage: Published }>) => {
    expect(response.body.errors).toBeUndefined();
    return response.body.data!.publishCatalogPackage;
  };

  const versionsOf = async (tenant: string, packageId: string) =>
    (await t.blobNames(`catalog/${tenant}/${packageId}/`)).map((name) => name.replace(/^.*\/v(.*)\.scaipkg$/, '$1'));

  it('without a key, a second publish is a new version', async () => {
    const tenant = uniqueTenant();
    const token = await t.token({ tenant, user: 'alice' });
    expect(published(await publish(token, null, { input: input('plain') })).version).toBe('0.1.0');
    expect(published(await publish(token, null, { input: input('plain') })).version).toBe('0.1.1');
  });

  it('replays the first result for the same key and body, without publishing again', async () => {
    const tenant = uniqueTenant();
    const token = await t.token({ tenant, user: 'alice' });
    const first = published(await publish(token, 'key-replay-1', { input: input('replayed') }));
    t.sqlLog.length = 0;
    const again = await publish(token, 'key-replay-1', { input: input('replayed') });
    expect(again.status).toBe(200);
    expect(published(again)).toEqual(first);
    // Only the key was looked up: no package row, version or audit event was written.
    expect(t.sqlLog.filter((sql) => /catalog_(package|audit)/.test(sql))).toEqual([]);
    expect(await versionsOf(tenant, 'replayed')).toEqual(['0.1.0']);
  });

  it('treats a field given as null like a field left out, and ignores key order', async () => {
    const tenant = uniqueTenant();
    const token = await t.token({ tenant, user: 'alice' });
    const first = published(await publish(token, 'key-order', { input: input('ordered') }));
    const { content, version, name, packageId } = input('ordered');
    const reordered = { content, version, name, packageId, description: null, readme: null };
    expect(published(await publish(token, 'key-order', { input: reordered }))).toEqual(first);
  });

  it('refuses the same key with a different body: 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const tenant = uniqueTenant();
    const token = await t.token({ tenant, user: 'alice' });
    published(await publish(token, 'key-reused', { input: input('reused') }));
    const other = await publish(token, 'key-reused', { input: input('reused', 'Another name') });
    expect(other.status).toBe(422);
    expect(other.body.errors![0]!.extensions?.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(other.body.errors![0]!.message).toMatch(/already used with a different request/);
    expect(await versionsOf(tenant, 'reused')).toEqual(['0.1.0']);
  });

  it('answers 409 CONFLICT to a duplicate that arrives while the first is still publishing', async () => {
    const tenant = uniqueTenant();
    const token = await t.token({ tenant, user: 'alice' });
    const body = { input: { packageId: 'slow', name: 'Slow', version: '1.0.0', flowId: 'slow' } };
    const first = publish(token, 'key-concurrent', body);
    await flows.requested(); // the first publish now holds the key and waits on the flows service
    const duplicate = await publish(token, 'key-concurrent', body);
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.errors![0]!.extensions?.code).toBe('CONFLICT');
    expect(duplicate.body.errors![0]!.message).toMatch(/still in progress/);
    flows.release();
    const done = published(await first);
    expect(done.version).toBe('1.0.0');
    // Once the first has finished, the same request is a replay.
    expect(published(await publish(token, 'key-concurrent', body))).toEqual(done);
    expect(await versionsOf(tenant, 'slow')).toEqual(['1.0.0']);
  });

  it('keeps keys of other tenants and other callers apart', async () => {
    const [tenantA, tenantB] = [uniqueTenant(), uniqueTenant()];
    const alice = await t.token({ tenant: tenantA, user: 'alice' });
    const bob = await t.token({ tenant: tenantA, user: 'bob', roles: ['tenant_admin'] }); // may republish alice's package
    const carol = await t.token({ tenant: tenantB, user: 'alice' }); // same user id, other tenant
    const a = published(await publish(alice, 'shared-key', { input: input('shared') }));
    const b = published(await publish(bob, 'shared-key', { input: input('shared') }));
    const c = published(await publish(carol, 'shared-key', { input: input('shared') }));
    expect(b.version).toBe('0.1.1'); // bob's key is his own: he really republished, which bumps
    expect(c.id).not.toBe(a.id); // carol published in her own tenant
    expect(await versionsOf(tenantA, 'shared')).toEqual(['0.1.0', '0.1.1']);
    expect(await versionsOf(tenantB, 'shared')).toEqual(['0.1.0']);
    // Another tenant's different body under the same key is no reuse either.
    published(await publish(carol, 'other-key', { input: input('other', 'X') }));
    published(await publish(alice, 'other-key', { input: input('other', 'Y') }));
  });

  it(`forgets a key after ${IDEMPOTENCY_KEY_TTL_MS / 3_600_000} hours: the same request publishes again`, async () => {
    const tenant = uniqueTenant();
    const token = await t.token({ tenant, user: 'alice' });
    published(await publish(token, 'key-expiring', { input: input('expiring') }));
    const rows = await t.app.orm.em
      .fork()
      .getConnection()
      .execute<{ hours: string }[]>(
        `select extract(epoch from (expires_at - created_at)) / 3600 as hours from idempotency_key where tenant_id = ? and key = ?`,
        [tenant, 'key-expiring'],
      );
    expect(Number(rows[0]!.hours)).toBe(24);
    await t.app.orm.em
      .fork()
      .getConnection()
      .execute(`update idempotency_key set expires_at = now() - interval '1 second' where tenant_id = ? and key = ?`, [tenant, 'key-expiring']);
    expect(published(await publish(token, 'key-expiring', { input: input('expiring') })).version).toBe('0.1.1');
    expect(await versionsOf(tenant, 'expiring')).toEqual(['0.1.0', '0.1.1']);
  });

  it('releases the key when the publish fails, so that a corrected retry can use it', async () => {
    const tenant = uniqueTenant();
    const token = await t.token({ tenant, user: 'alice' });
    const broken = await publish(token, 'key-fix', { input: { ...input('fixed'), content: { nodes: [] } } });
    expect(broken.body.errors![0]!.extensions?.code).toBe('FLOW_COMPILE_FAILED');
    expect(published(await publish(token, 'key-fix', { input: input('fixed') })).version).toBe('0.1.0');
  });

  it.each([
    ['empty', ''],
    ['too long', 'k'.repeat(256)],
    ['with a space', 'two words'],
  ])('refuses a key that is %s with BAD_USER_INPUT', async (_name, key) => {
    const token = await t.token({ tenant: uniqueTenant(), user: 'alice' });
    t.sqlLog.length = 0;
    const response = await publish(token, key, { input: input('bad-key') });
    expect(response.body.errors![0]!.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.body.errors![0]!.message).toBe('Invalid Idempotency-Key header');
    expect(t.sqlLog.filter((sql) => /catalog_package/.test(sql))).toEqual([]);
  });
});

describe('Idempotency-Key on POST /api/v1/catalog/publish', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  async function restPublish(token: string, key: string, body: Record<string, unknown>) {
    const response = await fetch(`${t.url}/api/v1/catalog/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    });
    return { status: response.status, contentType: response.headers.get('content-type'), body: (await response.json()) as Record<string, any> };
  }

  it('replays the first 201 summary, refuses a different body with 422, and shares keys with GraphQL', async () => {
    const tenant = uniqueTenant();
    const token = await t.token({ tenant, user: 'alice' });
    const body = { package_id: 'rest-idem', name: 'Rest idem', version: '0.1.0', content: flowContent('Rest idem') };

    const first = await restPublish(token, 'rest-key-1', body);
    expect(first.status).toBe(201);
    expect(first.body.version).toBe('0.1.0');
    const replay = await restPublish(token, 'rest-key-1', body);
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(first.body);
    expect(await t.blobNames(`catalog/${tenant}/rest-idem/`)).toEqual([`catalog/${tenant}/rest-idem/v0.1.0.scaipkg`]);

    const reused = await restPublish(token, 'rest-key-1', { ...body, name: 'Another name' });
    expect(reused.status).toBe(422);
    expect(reused.contentType).toMatch(/^application\/problem\+json/);
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');

    // The same request through GraphQL with the same key is the same publish: no new version.
    const viaGraphql = await t.gql(
      token,
      `mutation($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { version } }`,
      { input: { packageId: 'rest-idem', name: 'Rest idem', version: '0.1.0', content: flowContent('Rest idem') } },
      { 'idempotency-key': 'rest-key-1' },
    );
    expect(viaGraphql.body.errors).toBeUndefined();
    expect(viaGraphql.body.data.publishCatalogPackage.version).toBe('0.1.0');
    expect(await t.blobNames(`catalog/${tenant}/rest-idem/`)).toHaveLength(1);
  });
});
