import { fake } from '../src/modules/secrets/__fixtures__/fake-secrets';
import { flowContent } from './support/flows';
import type { GqlResponse } from './support/graphql-client';
import { assertDocumentedResponse } from './support/openapi';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * Metadata without a new version (docs/API.md, "Editing metadata"), on the real app: the edit,
 * its checks (nothing written on a refusal), the revision it moves, optimistic concurrency raced
 * for real, and REST's ETag, 304 and 412.
 */

jest.setTimeout(300_000);

const FIELDS = 'packageId name description readme tags version revision';
const PUBLISH = `mutation P($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { ${FIELDS} } }`;
const EDIT = `mutation E($p: String!, $input: CatalogPackageMetadataInput!, $rev: Int, $t: ID) {
  updateCatalogPackageMetadata(packageId: $p, input: $input, expectedRevision: $rev, tenantId: $t) { ${FIELDS} } }`;
const GET = `query G($p: String!) { catalogPackage(packageId: $p) { ${FIELDS} } }`;
const SEARCH = `query S($q: String!) { catalogPackages(filter: { query: $q }) { edges { node { packageId name } } } }`;
const TRAIL = `query A($p: String!) { catalogAuditEvents(packageId: $p, first: 100) { edges { node { action actorId changes } } } }`;
const QUARANTINE = `mutation Q($p: String!) { quarantineCatalogPackage(packageId: $p, reason: "under review") { packageId } }`;

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});

afterAll(async () => {
  await t?.close();
});

const codeOf = (res: GqlResponse<any>) => res.body.errors?.[0]?.extensions?.code ?? 'OK';

async function people() {
  const tenant = uniqueTenant();
  return {
    tenant,
    author: await t.token({ tenant, user: 'author' }),
    member: await t.token({ tenant, user: 'member' }),
    admin: await t.token({ tenant, user: 'admin', roles: ['tenant_admin'] }),
    outsider: await t.token({ tenant: uniqueTenant(), user: 'outsider' }),
  };
}

async function publish(token: string, packageId: string, extra: Record<string, unknown> = {}) {
  const res = await t.gql(token, PUBLISH, {
    input: {
      packageId,
      name: 'First name',
      description: 'First description',
      readme: '# First',
      tags: ['one'],
      version: '1.0.0',
      content: flowContent(),
      ...extra,
    },
  });
  expect(res.body.errors).toBeUndefined();
  return res.body.data.publishCatalogPackage;
}

async function get(token: string, packageId: string) {
  return (await t.gql(token, GET, { p: packageId })).body.data.catalogPackage;
}

async function rest(method: string, path: string, token: string, options: { body?: unknown; headers?: Record<string, string> } = {}) {
  const response = await fetch(`${t.url}/api/v1/catalog${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  const received = {
    status: response.status,
    headers: response.headers,
    contentType,
    text,
    body: text && contentType.includes('json') ? JSON.parse(text) : null,
  };
  assertDocumentedResponse(method, path, received);
  return received;
}

describe('updateCatalogPackageMetadata', () => {
  it('sets the fields given, keeps the others, moves the revision, is searchable at once and audited', async () => {
    const who = await people();
    expect((await publish(who.author, 'edited')).revision).toBe(1);

    const renamed = await t.gql(who.author, EDIT, { p: 'edited', input: { name: 'Ticket triage', tags: ['support', 'triage'] }, rev: 1 });
    expect(renamed.body.data.updateCatalogPackageMetadata).toEqual({
      packageId: 'edited',
      name: 'Ticket triage',
      description: 'First description',
      readme: '# First',
      tags: ['support', 'triage'],
      version: '1.0.0',
      revision: 2,
    });
    // null clears description and readme; no version is published.
    const cleared = await t.gql(who.admin, EDIT, { p: 'edited', input: { description: null, readme: null } });
    expect(cleared.body.data.updateCatalogPackageMetadata).toMatchObject({
      name: 'Ticket triage',
      description: null,
      readme: null,
      version: '1.0.0',
      revision: 3,
    });
    expect(await get(who.member, 'edited')).toMatchObject({ name: 'Ticket triage', description: null, tags: ['support', 'triage'], revision: 3 });

    const found = (await t.gql(who.member, SEARCH, { q: 'triage' })).body.data.catalogPackages.edges.map((edge: any) => edge.node.packageId);
    expect(found).toEqual(['edited']);
    expect((await t.gql(who.member, SEARCH, { q: 'first name' })).body.data.catalogPackages.edges).toEqual([]);

    const trail = (await t.gql(who.admin, TRAIL, { p: 'edited' })).body.data.catalogAuditEvents.edges.map((edge: any) => edge.node).reverse();
    expect(trail.slice(1)).toEqual([
      { action: 'METADATA', actorId: 'author', changes: { fields: ['name', 'tags'] } },
      { action: 'METADATA', actorId: 'admin', changes: { fields: ['description', 'readme'] } },
    ]);
  });

  it('refuses bad input, credentials, other callers and quarantined packages, and changes nothing', async () => {
    const who = await people();
    await publish(who.author, 'guarded');
    const cases: [string, Record<string, unknown>, string][] = [
      [who.author, { p: 'guarded', input: {} }, 'BAD_USER_INPUT'],
      [who.author, { p: 'guarded', input: { name: '  ' } }, 'BAD_USER_INPUT'],
      [who.author, { p: 'guarded', input: { tags: ['Not A Slug'] } }, 'BAD_USER_INPUT'],
      [who.author, { p: 'guarded', input: { readme: 'x'.repeat(256 * 1024 + 1) } }, 'BAD_USER_INPUT'],
      [who.author, { p: 'guarded', input: { name: 'n' }, rev: -1 }, 'BAD_USER_INPUT'],
      [who.author, { p: 'guarded', input: { readme: `Set the key ${fake.openAiLegacyKey(31)} first.` } }, 'FLOW_CONTAINS_SECRETS'],
      [who.member, { p: 'guarded', input: { name: 'mine now' } }, 'FORBIDDEN'],
      [who.outsider, { p: 'guarded', input: { name: 'mine now' } }, 'NOT_FOUND'],
      [who.author, { p: 'missing', input: { name: 'x' } }, 'NOT_FOUND'],
      [who.author, { p: 'guarded', input: { name: 'stale' }, rev: 7 }, 'REVISION_MISMATCH'],
    ];
    for (const [token, variables, code] of cases)
      expect([JSON.stringify(variables).slice(0, 80), codeOf(await t.gql(token, EDIT, variables))]).toEqual([JSON.stringify(variables).slice(0, 80), code]);
    const stale = await t.gql(who.author, EDIT, { p: 'guarded', input: { name: 'stale' }, rev: 7 });
    expect(stale.body.errors![0]!.extensions!.currentRevision).toBe(1);
    expect(await get(who.admin, 'guarded')).toMatchObject({ name: 'First name', readme: '# First', tags: ['one'], revision: 1 });

    await t.gql(who.admin, QUARANTINE, { p: 'guarded' });
    expect(codeOf(await t.gql(who.author, EDIT, { p: 'guarded', input: { name: 'during quarantine' } }))).toBe('PACKAGE_QUARANTINED');
    expect(codeOf(await t.gql(who.admin, EDIT, { p: 'guarded', input: { name: 'fixed by an admin' } }))).toBe('OK');
  });

  it('of two concurrent edits from the same revision, exactly one lands (raced for real)', async () => {
    const who = await people();
    await publish(who.author, 'raced');
    for (let round = 0; round < 5; round += 1) {
      const { revision } = await get(who.author, 'raced');
      const edits = await Promise.all(
        ['left', 'right', 'middle'].map((side) =>
          t.gql(side === 'left' ? who.author : who.admin, EDIT, { p: 'raced', input: { name: `${side} ${round}` }, rev: revision }),
        ),
      );
      const codes = edits.map(codeOf).sort();
      expect(codes).toEqual(['OK', 'REVISION_MISMATCH', 'REVISION_MISMATCH']);
      const winner = edits.find((edit) => codeOf(edit) === 'OK')!.body.data.updateCatalogPackageMetadata;
      expect(winner.revision).toBe(revision + 1);
      for (const loser of edits.filter((edit) => codeOf(edit) !== 'OK')) expect(loser.body.errors![0]!.extensions!.currentRevision).toBe(revision + 1);
      expect(await get(who.author, 'raced')).toMatchObject({ name: winner.name, revision: revision + 1 });
    }
  });
});

describe('REST: ETag, 304 and If-Match', () => {
  it('gives every summary an ETag, answers 304 while it holds, and moves it with each change', async () => {
    const who = await people();
    const published = await rest('POST', '/publish', who.author, { body: { package_id: 'tagged', name: 'Tagged', version: '1.0.0', content: flowContent() } });
    expect(published.status).toBe(201);
    expect(published.headers.get('etag')).toBe('"1"');

    const first = await rest('GET', '/tagged', who.member);
    expect([first.status, first.headers.get('etag'), first.body.name]).toEqual([200, '"1"', 'Tagged']);
    expect(first.headers.get('vary')?.toLowerCase()).toContain('authorization');
    const notModified = await rest('GET', '/tagged', who.member, { headers: { 'if-none-match': '"1"' } });
    expect([notModified.status, notModified.text]).toEqual([304, '']);

    const patched = await rest('PATCH', '/tagged', who.author, { body: { description: 'Now described' }, headers: { 'if-match': '"1"' } });
    expect([patched.status, patched.headers.get('etag'), patched.body.description]).toEqual([200, '"2"', 'Now described']);
    const changed = await rest('GET', '/tagged', who.member, { headers: { 'if-none-match': '"1"' } });
    expect([changed.status, changed.headers.get('etag'), changed.body.description]).toEqual([200, '"2"', 'Now described']);

    const visibility = await rest('PATCH', '/tagged/visibility', who.author, { body: { visibility: 'tenant' }, headers: { 'if-match': '"2"' } });
    expect([visibility.status, visibility.headers.get('etag')]).toEqual([200, '"3"']);
    expect((await rest('GET', '/missing', who.member)).status).toBe(404);
    expect((await rest('GET', '/tagged', who.outsider)).status).toBe(404);
  });

  it('answers 412 with the current revision when If-Match is stale, and changes nothing', async () => {
    const who = await people();
    await publish(who.author, 'fenced');
    const stale = await rest('PATCH', '/fenced', who.author, { body: { name: 'Late' }, headers: { 'if-match': '"5"' } });
    expect([stale.status, stale.body.code, stale.body.current_revision]).toEqual([412, 'PRECONDITION_FAILED', 1]);
    const staleVisibility = await rest('PATCH', '/fenced/visibility', who.author, {
      body: { visibility: 'groups', visibility_group_ids: ['g1'] },
      headers: { 'if-match': '"0"' },
    });
    expect([staleVisibility.status, staleVisibility.body.code]).toEqual([412, 'PRECONDITION_FAILED']);
    for (const header of ['W/"1"', '"1", "2"', 'revision-1']) {
      const refused = await rest('PATCH', '/fenced', who.author, { body: { name: 'Odd' }, headers: { 'if-match': header } });
      expect([header, refused.status, refused.body.code]).toEqual([header, 400, 'BAD_USER_INPUT']);
    }
    const badBody = await rest('PATCH', '/fenced', who.author, { body: { name: 'x', version: '2.0.0' } });
    expect([badBody.status, badBody.body.code]).toEqual([400, 'BAD_USER_INPUT']);
    expect(await get(who.admin, 'fenced')).toMatchObject({ name: 'First name', revision: 1 });

    // `*` and no If-Match at all: unconditional.
    expect((await rest('PATCH', '/fenced', who.author, { body: { name: 'Any' }, headers: { 'if-match': '*' } })).headers.get('etag')).toBe('"2"');
    expect((await rest('PATCH', '/fenced', who.author, { body: { tags: ['x'] } })).headers.get('etag')).toBe('"3"');
    expect(await get(who.admin, 'fenced')).toMatchObject({ name: 'Any', tags: ['x'], revision: 3 });
  });
});
