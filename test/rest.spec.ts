import { BlobServiceClient } from '@azure/storage-blob';
import {
  ChangeVisibilityDocument,
  InstallPackageDocument,
  OpsDeleteDocument,
  OpsGetDocument,
  PackageAuditTrailDocument,
  PackageStateDocument,
  PublishPackageVersionDocument,
} from './generated/graphql';
import { CUSTOMER_SUPPORT_BY_FLOW_ID, CUSTOMER_SUPPORT_FLOW } from './support/flows';
import { assertDocumentedResponse } from './support/openapi';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * The legacy REST shim (docs/API.md, "REST shim") through real HTTP: every
 * endpoint, every error, and the same scenario through REST and GraphQL leaving the same state.
 */

// The reference's example bodies, as they are (the inline one with CUSTOMER_SUPPORT_FLOW, a valid
// FlowGraph, for its `/* full FlowGraph */` placeholder).
const BY_FLOW_ID_EXAMPLE = CUSTOMER_SUPPORT_BY_FLOW_ID;
const BY_CONTENT_EXAMPLE = { package_id: 'customer-support', name: 'Customer Support', version: '0.2.0', content: CUSTOMER_SUPPORT_FLOW };
const VISIBILITY_EXAMPLE = { visibility: 'groups', visibility_group_ids: ['group_acme_eng', 'group_acme_ops'] };

const SUMMARY_FIELDS = [
  'author_email',
  'author_id',
  'created_at',
  'description',
  'name',
  'package_id',
  'tenant_id',
  'updated_at',
  'version',
  'visibility',
  'visibility_group_ids',
].sort();
const PROBLEM_FIELDS = ['code', 'detail', 'instance', 'request_id', 'status', 'title', 'type'];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface RestResponse {
  status: number;
  headers: Headers;
  contentType: string;
  text: string;
  body: any;
}

// Starting PGlite, Azurite and the issuer takes a few seconds.
jest.setTimeout(60_000);

let t: TestApp;
let tenant: string;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());
// Every test works in a tenant of its own, so tests never see each other's rows or blobs.
beforeEach(() => {
  tenant = uniqueTenant();
});

const tokenFor = (user: string, extra: Record<string, unknown> = {}) => t.token({ tenant, user, ...extra });

async function rest(
  method: string,
  path: string,
  options: { token?: string | null; body?: unknown; raw?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<RestResponse> {
  const headers: Record<string, string> = { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) };
  let body: string | Buffer | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${t.url}/api/v1/catalog${path}`, { method, headers: { ...headers, ...options.headers }, body });
  const text = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  const received = {
    status: response.status,
    headers: response.headers,
    contentType,
    text,
    body: text && contentType.includes('json') ? JSON.parse(text) : null,
  };
  // Every answer this file gets must be one the OpenAPI document promises.
  assertDocumentedResponse(method, path, received);
  return received;
}

async function publish(token: string, body: Record<string, unknown> = BY_CONTENT_EXAMPLE): Promise<RestResponse> {
  return rest('POST', '/publish', { token, body });
}

/** The problem+json shape, field by field. */
function expectProblem(res: RestResponse, status: number, code: string, instance: string): any {
  expect(res.status).toBe(status);
  expect(res.contentType).toMatch(/^application\/problem\+json/);
  const withProblems = code === 'BAD_USER_INPUT' || code === 'FLOW_COMPILE_FAILED';
  expect(Object.keys(res.body).sort()).toEqual([...PROBLEM_FIELDS, ...(withProblems ? ['problems'] : [])].sort());
  expect(res.body).toMatchObject({
    type: `https://errors.flow-catalog.dev/${code.toLowerCase().replace(/_/g, '-')}`,
    status,
    code,
    instance,
    request_id: res.headers.get('x-request-id'),
  });
  expect(typeof res.body.title).toBe('string');
  expect(typeof res.body.detail).toBe('string');
  expect(res.body.detail.length).toBeGreaterThan(0);
  if (withProblems) {
    expect(Array.isArray(res.body.problems)).toBe(true);
    for (const problem of res.body.problems) expect(Object.keys(problem).sort()).toEqual(['message', 'path']);
  }
  return res.body;
}

/** Rows of this test's tenant. */
async function sqlCount(table: string, where = 'true', params: unknown[] = []): Promise<number> {
  const rows = await t.app.orm.em
    .fork()
    .getConnection()
    .execute(`select count(*)::int as n from ${table} where tenant_id = ? and ${where}`, [tenant, ...params]);
  return Number((rows as Array<{ n: number }>)[0]!.n);
}

describe('authentication', () => {
  it.each([
    ['GET', '/'],
    ['POST', '/publish'],
    ['GET', '/customer-support/install'],
    ['PATCH', '/customer-support/visibility'],
    ['DELETE', '/customer-support'],
  ])('%s %s without a token is a 401 problem', async (method, path) => {
    const body = method === 'POST' ? BY_CONTENT_EXAMPLE : method === 'PATCH' ? VISIBILITY_EXAMPLE : undefined;
    const res = await rest(method, path, { body });
    const problem = expectProblem(res, 401, 'UNAUTHENTICATED', `/api/v1/catalog${path === '/' ? '/' : path}`);
    expect(problem.title).toBe('Authentication required');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  it('refuses a bad token, and the list is not served', async () => {
    const expired = await t.issuer.tokenFor({ tenant, user: 'alice', scopes: 'scaicore:view' }, { expiresIn: -600 });
    const res = await rest('GET', '/', { token: expired });
    expect(expectProblem(res, 401, 'UNAUTHENTICATED', '/api/v1/catalog/').detail).toBe('The token has expired');
    expectProblem(await rest('GET', '/', { headers: { authorization: 'Basic YWxpY2U6eA==' } }), 401, 'UNAUTHENTICATED', '/api/v1/catalog/');
  });

  it('echoes a valid x-request-id as the problem request_id', async () => {
    const res = await rest('GET', '/', { headers: { 'x-request-id': 'req-12345' } });
    expect(res.body.request_id).toBe('req-12345');
  });
});

describe('GET /api/v1/catalog (list)', () => {
  it('answers an empty JSON array when nothing is published', async () => {
    const res = await rest('GET', '', { token: await tokenFor('alice') });
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual([]);
  });

  it('lists summaries with exactly the reference fields', async () => {
    const alice = await tokenFor('alice');
    await publish(alice, { ...BY_CONTENT_EXAMPLE, description: 'Triage + KB + HITL' });
    const res = await rest('GET', '/', { token: alice });
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(1);
    const [summary] = res.body;
    expect(Object.keys(summary).sort()).toEqual(SUMMARY_FIELDS);
    expect(summary).toEqual({
      package_id: 'customer-support',
      tenant_id: tenant,
      name: 'Customer Support',
      description: 'Triage + KB + HITL',
      version: '0.2.0',
      author_id: 'alice',
      author_email: 'alice@example.test',
      visibility: 'tenant',
      visibility_group_ids: [],
      created_at: expect.stringMatching(ISO),
      updated_at: expect.stringMatching(ISO),
    });
  });

  it('applies visibility and the field rules (group ids only for the author and admins)', async () => {
    const alice = await tokenFor('alice');
    // Ids of this tenant only: the super admin below sees every tenant.
    const open = `${tenant}-open`;
    const secret = `${tenant}-secret`;
    await publish(alice, { ...BY_CONTENT_EXAMPLE, package_id: open });
    await publish(alice, { ...BY_CONTENT_EXAMPLE, package_id: secret });
    expect((await rest('PATCH', `/${secret}/visibility`, { token: alice, body: VISIBILITY_EXAMPLE })).status).toBe(200);
    const ids = (res: RestResponse) => res.body.map((s: any) => s.package_id);

    const outsider = await tokenFor('bob', { groups: ['group_other'] });
    expect(ids(await rest('GET', '/', { token: outsider }))).toEqual([open]);

    const member = await tokenFor('carol', { groups: ['group_acme_ops'] });
    const seenByMember = (await rest('GET', '/', { token: member })).body;
    expect(seenByMember.map((s: any) => s.package_id)).toEqual([secret, open]);
    // Hidden group ids are an empty array on REST, never null; every summary names its tenant.
    expect(seenByMember[0]).toMatchObject({ visibility: 'groups', visibility_group_ids: [], author_email: 'alice@example.test', tenant_id: tenant });
    expect(seenByMember[1]).toMatchObject({ visibility: 'tenant', visibility_group_ids: [], tenant_id: tenant });

    // A tenant admin sees every live package of their tenant, in any group, with its group ids.
    const admin = await tokenFor('dave', { roles: ['tenant_admin'], groups: ['group_acme_eng'] });
    const seenByAdmin = (await rest('GET', '/', { token: admin })).body;
    expect(seenByAdmin.map((s: any) => [s.package_id, s.visibility_group_ids])).toEqual([
      [secret, ['group_acme_eng', 'group_acme_ops']],
      [open, []],
    ]);
    expect(ids(await rest('GET', '/', { token: await tokenFor('dave', { roles: ['tenant_admin'] }) }))).toEqual([secret, open]);

    const otherTenant = await t.token({ tenant: uniqueTenant(), user: 'erin' });
    expect((await rest('GET', '/', { token: otherTenant })).body).toEqual([]);

    const superAdmin = await t.token({ tenant: uniqueTenant(), user: 'root', roles: ['super_admin'] });
    const seenBySuper = (await rest('GET', '/', { token: superAdmin })).body.filter((s: any) => s.package_id.startsWith(tenant));
    expect(seenBySuper.map((s: any) => s.package_id)).toEqual([secret, open]);
    expect(seenBySuper[0]).toMatchObject({ author_email: 'alice@example.test', visibility_group_ids: ['group_acme_eng', 'group_acme_ops'] });
  });

  it('returns every visible package without pagination (more than one service page)', async () => {
    const alice = await tokenFor('alice');
    const count = 105;
    const conn = t.app.orm.em.fork().getConnection();
    // Rows straight into the table: the list only reads rows, and 105 publishes would be slow.
    for (let i = 0; i < count; i += 1) {
      await conn.execute(
        `insert into catalog_package (id, tenant_id, package_id, name, latest_version, author_id, visibility, visibility_group_ids, created_at, updated_at)
         values (gen_random_uuid(), ?, ?, ?, '1.0.0', 'alice', 'tenant', '{}', now() - (? || ' seconds')::interval, now())`,
        [tenant, `pkg-${i}`, `Package ${i}`, String(i)],
      );
    }
    const res = await rest('GET', '/', { token: alice });
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(count);
    expect(new Set(res.body.map((s: any) => s.package_id)).size).toBe(count);
    expect(res.body[0].package_id).toBe('pkg-0');
    expect(res.headers.get('link')).toBeNull();
  });

  it('pages with ?limit= and ?cursor=, pointing at the next page with a Link header', async () => {
    const alice = await tokenFor('alice');
    for (const id of ['one', 'two', 'three']) await publish(alice, { ...BY_CONTENT_EXAMPLE, package_id: id });
    const first = await rest('GET', '/?limit=2', { token: alice });
    expect(first.status).toBe(200);
    expect(first.body.map((s: any) => s.package_id)).toEqual(['three', 'two']);
    const link = first.headers.get('link');
    expect(link).toMatch(/^<\/api\/v1\/catalog\?limit=2&cursor=[\w-]+>; rel="next"$/);
    const nextPath = link!.slice(1, link!.indexOf('>'));
    const second = await fetch(`${t.url}${nextPath}`, { headers: { authorization: `Bearer ${alice}` } });
    expect(second.status).toBe(200);
    expect(((await second.json()) as any[]).map((s) => s.package_id)).toEqual(['one']);
    expect(second.headers.get('link')).toBeNull();
  });

  it.each([
    ['?limit=0', '$.limit'],
    ['?limit=101', '$.limit'],
    ['?limit=abc', '$.limit'],
    ['?limit=1&limit=2', '$.limit'],
    ['?cursor=not-a-cursor', '$.cursor'],
    ['?page=2', '$.page'],
  ])('refuses %s with a 400 naming %s', async (query, path) => {
    const res = await rest('GET', `/${query}`, { token: await tokenFor('alice') });
    const problem = expectProblem(res, 400, 'BAD_USER_INPUT', '/api/v1/catalog/');
    expect(problem.problems.map((p: any) => p.path)).toEqual([path]);
  });

  it('needs scaicore:view', async () => {
    const res = await rest('GET', '/', { token: await tokenFor('alice', { scopes: 'other:scope' }) });
    expect(expectProblem(res, 403, 'FORBIDDEN', '/api/v1/catalog/').detail).toContain('scaicore:view');
  });
});

describe('POST /api/v1/catalog/publish', () => {
  it('publishes the reference by-content example: 201 with the summary', async () => {
    const res = await publish(await tokenFor('alice'));
    expect(res.status).toBe(201);
    expect(res.contentType).toMatch(/^application\/json/);
    expect(Object.keys(res.body).sort()).toEqual(SUMMARY_FIELDS);
    expect(res.body).toEqual({
      package_id: 'customer-support',
      tenant_id: tenant,
      name: 'Customer Support',
      description: null,
      version: '0.2.0',
      author_id: 'alice',
      author_email: 'alice@example.test',
      visibility: 'tenant',
      visibility_group_ids: [],
      created_at: expect.stringMatching(ISO),
      updated_at: expect.stringMatching(ISO),
    });
    expect(await t.blobNames(`catalog/${tenant}/`)).toEqual([`catalog/${tenant}/customer-support/v0.2.0.scaipkg`]);
  });

  it('auto-bumps the patch on a republish of the same version and refuses a lower one', async () => {
    const alice = await tokenFor('alice');
    expect((await publish(alice)).body.version).toBe('0.2.0');
    expect((await publish(alice)).body.version).toBe('0.2.1');
    const lower = await publish(alice, { ...BY_CONTENT_EXAMPLE, version: '0.1.0' });
    expect(expectProblem(lower, 409, 'VERSION_REGRESSION', '/api/v1/catalog/publish').detail).toBe(
      'Version 0.1.0 is lower than the latest published version 0.2.1',
    );
    expect(await t.blobNames(`catalog/${tenant}/`)).toHaveLength(2);
  });

  it('replays the by-flow_id example: without FLOWS_API_URL a 502 that says how to configure it, nothing written', async () => {
    const res = await publish(await tokenFor('alice'), BY_FLOW_ID_EXAMPLE);
    expect(expectProblem(res, 502, 'FLOW_SOURCE_UNAVAILABLE', '/api/v1/catalog/publish').detail).toContain('FLOWS_API_URL');
    expect(await sqlCount('catalog_package')).toBe(0);
    expect(await t.blobNames(`catalog/${tenant}/`)).toEqual([]);
  });

  it('lists every compile problem (400 FLOW_COMPILE_FAILED) and writes nothing', async () => {
    const broken = {
      ...CUSTOMER_SUPPORT_FLOW,
      nodes: [...CUSTOMER_SUPPORT_FLOW.nodes, { id: 'start', type: 'llm.chat' }, { id: 'x', type: '9bad' }],
      edges: [...CUSTOMER_SUPPORT_FLOW.edges, { id: 'e9', source: 'start', target: 'nowhere' }],
    };
    const res = await publish(await tokenFor('alice'), { ...BY_CONTENT_EXAMPLE, content: broken });
    const problem = expectProblem(res, 400, 'FLOW_COMPILE_FAILED', '/api/v1/catalog/publish');
    expect(problem.problems.map((p: any) => p.path)).toEqual(['$.edges[3].target', '$.nodes[4].id', '$.nodes[5].type']);
    expect(await sqlCount('catalog_package')).toBe(0);
    expect(await t.blobNames(`catalog/${tenant}/`)).toEqual([]);
  });

  it('refuses unknown fields, listing each', async () => {
    const res = await publish(await tokenFor('alice'), { ...BY_CONTENT_EXAMPLE, packageId: 'x', visibility: 'groups' });
    const problem = expectProblem(res, 400, 'BAD_USER_INPUT', '/api/v1/catalog/publish');
    expect(problem.problems).toEqual([
      { path: '$.packageId', message: 'is not a known field' },
      { path: '$.visibility', message: 'is not a known field' },
    ]);
    expect(await sqlCount('catalog_package')).toBe(0);
  });

  it('refuses wrong types with a problem per field', async () => {
    const res = await publish(await tokenFor('alice'), { package_id: 42, name: ['x'], version: null, readme: false, content: CUSTOMER_SUPPORT_FLOW });
    const problem = expectProblem(res, 400, 'BAD_USER_INPUT', '/api/v1/catalog/publish');
    expect(problem.problems.map((p: any) => p.path)).toEqual(['$.package_id', '$.name', '$.version', '$.readme']);
  });

  it('reports the service rules with snake_case paths', async () => {
    const alice = await tokenFor('alice');
    const bad = await publish(alice, { ...BY_CONTENT_EXAMPLE, package_id: 'Not A Slug', version: 'v1' });
    expect(expectProblem(bad, 400, 'BAD_USER_INPUT', '/api/v1/catalog/publish').problems.map((p: any) => p.path)).toEqual(['$.package_id', '$.version']);
    const both = await publish(alice, { ...BY_CONTENT_EXAMPLE, flow_id: 'flow_abc123' });
    expect(expectProblem(both, 400, 'BAD_USER_INPUT', '/api/v1/catalog/publish').problems).toEqual([
      { path: '$.content', message: 'give exactly one of a flow id or inline content' },
    ]);
    const { content: _content, ...neither } = BY_CONTENT_EXAMPLE;
    const none = await publish(alice, neither);
    expect(expectProblem(none, 400, 'BAD_USER_INPUT', '/api/v1/catalog/publish').problems).toEqual([
      { path: '$.flow_id', message: 'give exactly one of a flow id or inline content' },
    ]);
  });

  it.each([
    ['malformed JSON', '{"package_id": "x",', 'application/json'],
    ['a JSON string', '"just a string"', 'application/json'],
    ['a JSON array', '[1, 2]', 'application/json'],
    ['an empty body', '', 'application/json'],
  ])('answers %s with a 400, never a 500', async (_name, raw, type) => {
    const res = await rest('POST', '/publish', { token: await tokenFor('alice'), raw, headers: { 'content-type': type } });
    const problem = expectProblem(res, 400, 'BAD_USER_INPUT', '/api/v1/catalog/publish');
    expect(problem.problems.length).toBeGreaterThan(0);
  });

  it('answers a POST or PATCH with no body at all (and no Content-Type) with a 400', async () => {
    const alice = await tokenFor('alice');
    const post = expectProblem(await rest('POST', '/publish', { token: alice }), 400, 'BAD_USER_INPUT', '/api/v1/catalog/publish');
    expect(post.problems.map((p: any) => p.path)).toEqual(['$']);
    await publish(alice);
    const patch = await rest('PATCH', '/customer-support/visibility', { token: alice });
    expectProblem(patch, 400, 'BAD_USER_INPUT', '/api/v1/catalog/customer-support/visibility');
  });

  it.each([
    ['text/plain', JSON.stringify(BY_CONTENT_EXAMPLE)],
    ['application/x-www-form-urlencoded', 'package_id=customer-support&name=x'],
    ['application/json; charset=latin1', JSON.stringify(BY_CONTENT_EXAMPLE)],
  ])('answers Content-Type %s with 415', async (type, raw) => {
    const res = await rest('POST', '/publish', { token: await tokenFor('alice'), raw, headers: { 'content-type': type } });
    expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE', '/api/v1/catalog/publish');
    expect(await sqlCount('catalog_package')).toBe(0);
  });

  it('answers a body over 2 MiB with 413, and accepts one just under it', async () => {
    const alice = await tokenFor('alice');
    const huge = { ...BY_CONTENT_EXAMPLE, readme: 'x'.repeat(2 * 1024 * 1024) };
    expectProblem(await publish(alice, huge), 413, 'PAYLOAD_TOO_LARGE', '/api/v1/catalog/publish');
    // Under the HTTP limit: the request is read and the service's own readme limit answers.
    const big = await publish(alice, { ...BY_CONTENT_EXAMPLE, readme: 'x'.repeat(1024 * 1024) });
    expect(expectProblem(big, 400, 'BAD_USER_INPUT', '/api/v1/catalog/publish').problems.map((p: any) => p.path)).toEqual(['$.readme']);
    expect(await sqlCount('catalog_package')).toBe(0);
  });

  it('accepts a near-1 MiB flow (the flow limit fits inside the body limit)', async () => {
    const padded = { ...CUSTOMER_SUPPORT_FLOW, config: { padding: 'p'.repeat(1_000_000) } };
    const res = await publish(await tokenFor('alice'), { ...BY_CONTENT_EXAMPLE, content: padded });
    expect(res.status).toBe(201);
  });

  it('needs scaicore:manage', async () => {
    const res = await publish(await tokenFor('alice', { scopes: 'scaicore:view' }));
    expect(expectProblem(res, 403, 'FORBIDDEN', '/api/v1/catalog/publish').detail).toContain('scaicore:manage');
  });

  it('lets only the author or an admin republish', async () => {
    await publish(await tokenFor('alice'));
    const bob = await publish(await tokenFor('bob'));
    expectProblem(bob, 403, 'FORBIDDEN', '/api/v1/catalog/publish');
    const admin = await publish(await tokenFor('dave', { roles: ['tenant_admin'] }));
    expect(admin.status).toBe(201);
    expect(admin.body).toMatchObject({ version: '0.2.1', author_id: 'alice' });
  });
});

describe('GET /api/v1/catalog/{package_id}/install', () => {
  it('answers { flow, metadata } with a fresh id and "Copy of" name, the rest verbatim', async () => {
    const alice = await tokenFor('alice');
    await publish(alice);
    const res = await rest('GET', '/customer-support/install', { token: await tokenFor('bob') });
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^application\/json/);
    expect(Object.keys(res.body).sort()).toEqual(['flow', 'metadata']);
    expect(res.body.metadata).toEqual({
      tenant_id: tenant,
      package_id: 'customer-support',
      name: 'Customer Support',
      version: '0.2.0',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      author_email: 'alice@example.test',
      deprecation: null,
    });
    const { id, name, ...rest_ } = res.body.flow;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(id).not.toBe(CUSTOMER_SUPPORT_FLOW.id);
    expect(name).toBe('Copy of Customer Support');
    const { id: _id, name: _name, ...original } = CUSTOMER_SUPPORT_FLOW;
    expect(rest_).toEqual(original);
  });

  it('installs an older version with ?version=, and 404s an unknown one', async () => {
    const alice = await tokenFor('alice');
    await publish(alice, { ...BY_CONTENT_EXAMPLE, content: { ...CUSTOMER_SUPPORT_FLOW, name: 'First' } });
    await publish(alice, { ...BY_CONTENT_EXAMPLE, version: '0.3.0' });
    const old = await rest('GET', '/customer-support/install?version=0.2.0', { token: alice });
    expect(old.status).toBe(200);
    expect(old.body.metadata.version).toBe('0.2.0');
    expect(old.body.flow.name).toBe('Copy of First');
    expect((await rest('GET', '/customer-support/install', { token: alice })).body.metadata.version).toBe('0.3.0');
    const missing = await rest('GET', '/customer-support/install?version=9.9.9', { token: alice });
    expectProblem(missing, 404, 'NOT_FOUND', '/api/v1/catalog/customer-support/install');
  });

  it('reports an invisible package exactly like a missing one', async () => {
    const alice = await tokenFor('alice');
    await publish(alice);
    await rest('PATCH', '/customer-support/visibility', { token: alice, body: VISIBILITY_EXAMPLE });
    const bob = await tokenFor('bob');
    const hidden = await rest('GET', '/customer-support/install', { token: bob });
    await publish(alice, { ...BY_CONTENT_EXAMPLE, package_id: 'other' });
    const strip = (body: any) => ({ ...body, detail: body.detail.replace(/customer-support|nope/, 'X'), instance: null, request_id: null });
    const missing = await rest('GET', '/nope/install', { token: bob });
    expectProblem(hidden, 404, 'NOT_FOUND', '/api/v1/catalog/customer-support/install');
    expectProblem(missing, 404, 'NOT_FOUND', '/api/v1/catalog/nope/install');
    expect(strip(hidden.body)).toEqual(strip(missing.body));
    expect((await rest('GET', '/customer-support/install', { token: await tokenFor('carol', { groups: ['group_acme_eng'] }) })).status).toBe(200);
  });

  it('refuses unknown query parameters', async () => {
    const res = await rest('GET', '/customer-support/install?versoin=1.0.0', { token: await tokenFor('alice') });
    expect(expectProblem(res, 400, 'BAD_USER_INPUT', '/api/v1/catalog/customer-support/install').problems).toEqual([
      { path: '$.versoin', message: 'is not a known field' },
    ]);
  });
});

describe('PATCH /api/v1/catalog/{package_id}/visibility', () => {
  it('applies the reference example and answers the updated summary', async () => {
    const alice = await tokenFor('alice');
    const published = (await publish(alice)).body;
    const res = await rest('PATCH', '/customer-support/visibility', { token: alice, body: VISIBILITY_EXAMPLE });
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^application\/json/);
    expect(Object.keys(res.body).sort()).toEqual(SUMMARY_FIELDS);
    expect(res.body).toEqual({
      ...published,
      visibility: 'groups',
      visibility_group_ids: ['group_acme_eng', 'group_acme_ops'],
      updated_at: expect.stringMatching(ISO),
    });
    expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(published.updated_at));

    const back = await rest('PATCH', '/customer-support/visibility', { token: alice, body: { visibility: 'tenant' } });
    expect(back.body).toMatchObject({ visibility: 'tenant', visibility_group_ids: [] });
  });

  it('needs group ids for groups, and refuses bad values and unknown fields', async () => {
    const alice = await tokenFor('alice');
    await publish(alice);
    const path = '/api/v1/catalog/customer-support/visibility';
    const noGroups = await rest('PATCH', '/customer-support/visibility', { token: alice, body: { visibility: 'groups' } });
    expect(expectProblem(noGroups, 400, 'BAD_USER_INPUT', path).problems).toEqual([
      { path: '$.visibility_group_ids', message: 'must list at least one group id' },
    ]);
    const empty = await rest('PATCH', '/customer-support/visibility', { token: alice, body: { visibility: 'groups', visibility_group_ids: [] } });
    expect(expectProblem(empty, 400, 'BAD_USER_INPUT', path).problems.map((p: any) => p.path)).toEqual(['$.visibility_group_ids']);
    const badValue = await rest('PATCH', '/customer-support/visibility', { token: alice, body: { visibility: 'public' } });
    expect(expectProblem(badValue, 400, 'BAD_USER_INPUT', path).problems.map((p: any) => p.path)).toEqual(['$.visibility']);
    const badItem = await rest('PATCH', '/customer-support/visibility', {
      token: alice,
      body: { visibility: 'groups', visibility_group_ids: ['ok', 7], visibilityGroupIds: ['x'] },
    });
    expect(expectProblem(badItem, 400, 'BAD_USER_INPUT', path).problems.map((p: any) => p.path)).toEqual(['$.visibility_group_ids[1]', '$.visibilityGroupIds']);
    const upper = await rest('PATCH', '/customer-support/visibility', { token: alice, body: { visibility: 'GROUPS', visibility_group_ids: ['g'] } });
    expectProblem(upper, 400, 'BAD_USER_INPUT', path);
    expectProblem(
      await rest('PATCH', '/customer-support/visibility', { token: alice, raw: '{oops', headers: { 'content-type': 'application/json' } }),
      400,
      'BAD_USER_INPUT',
      path,
    );
    expectProblem(
      await rest('PATCH', '/customer-support/visibility', { token: alice, raw: 'visibility=tenant', headers: { 'content-type': 'text/plain' } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      path,
    );
    const row = await t.app.orm.em.fork().getConnection().execute(`select visibility from catalog_package where tenant_id = ?`, [tenant]);
    expect(row).toEqual([{ visibility: 'tenant' }]);
  });

  it('is for the author and admins: 403 for someone who sees it, 404 for someone who does not', async () => {
    const alice = await tokenFor('alice');
    await publish(alice);
    const path = '/api/v1/catalog/customer-support/visibility';
    expectProblem(await rest('PATCH', '/customer-support/visibility', { token: await tokenFor('bob'), body: VISIBILITY_EXAMPLE }), 403, 'FORBIDDEN', path);
    expectProblem(
      await rest('PATCH', '/customer-support/visibility', { token: await t.token({ tenant: uniqueTenant(), user: 'alice' }), body: VISIBILITY_EXAMPLE }),
      404,
      'NOT_FOUND',
      path,
    );
    const admin = await rest('PATCH', '/customer-support/visibility', { token: await tokenFor('dave', { roles: ['tenant_admin'] }), body: VISIBILITY_EXAMPLE });
    expect(admin.status).toBe(200);
  });

  it('lets a super admin act in another tenant with ?tenant_id=, and nobody else', async () => {
    await publish(await tokenFor('alice'));
    const path = '/api/v1/catalog/customer-support/visibility';
    const outsiderAdmin = await t.token({ tenant: uniqueTenant(), user: 'mallory', roles: ['tenant_admin'] });
    expectProblem(
      await rest('PATCH', `/customer-support/visibility?tenant_id=${tenant}`, { token: outsiderAdmin, body: VISIBILITY_EXAMPLE }),
      403,
      'FORBIDDEN',
      path,
    );
    const superAdmin = await t.token({ tenant: uniqueTenant(), user: 'root', roles: ['super_admin'] });
    const res = await rest('PATCH', `/customer-support/visibility?tenant_id=${tenant}`, { token: superAdmin, body: VISIBILITY_EXAMPLE });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ visibility: 'groups', visibility_group_ids: ['group_acme_eng', 'group_acme_ops'], author_email: 'alice@example.test' });
    const wrongKey = await rest('PATCH', `/customer-support/visibility?tenantId=${tenant}`, { token: superAdmin, body: VISIBILITY_EXAMPLE });
    expect(expectProblem(wrongKey, 400, 'BAD_USER_INPUT', path).problems).toEqual([{ path: '$.tenantId', message: 'is not a known field' }]);
  });
});

describe('DELETE /api/v1/catalog/{package_id}', () => {
  it('answers 204 with no body, then the package is gone from install and list; blobs stay', async () => {
    const alice = await tokenFor('alice');
    await publish(alice);
    const res = await rest('DELETE', '/customer-support', { token: alice });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expectProblem(await rest('GET', '/customer-support/install', { token: alice }), 404, 'NOT_FOUND', '/api/v1/catalog/customer-support/install');
    expect((await rest('GET', '/', { token: alice })).body).toEqual([]);
    expectProblem(await rest('DELETE', '/customer-support', { token: alice }), 404, 'NOT_FOUND', '/api/v1/catalog/customer-support');
    expect(await t.blobNames(`catalog/${tenant}/`)).toEqual([`catalog/${tenant}/customer-support/v0.2.0.scaipkg`]);
    expect(await sqlCount('catalog_package', 'deleted_at is not null')).toBe(1);
  });

  it('is for the author and admins', async () => {
    await publish(await tokenFor('alice'));
    expectProblem(await rest('DELETE', '/customer-support', { token: await tokenFor('bob') }), 403, 'FORBIDDEN', '/api/v1/catalog/customer-support');
    expectProblem(
      await rest('DELETE', '/customer-support', { token: await tokenFor('bob', { scopes: 'scaicore:view' }) }),
      403,
      'FORBIDDEN',
      '/api/v1/catalog/customer-support',
    );
    expectProblem(await rest('DELETE', '/nope', { token: await tokenFor('alice') }), 404, 'NOT_FOUND', '/api/v1/catalog/nope');
    const superAdmin = await t.token({ tenant: uniqueTenant(), user: 'root', roles: ['super_admin'] });
    expectProblem(await rest('DELETE', '/customer-support', { token: superAdmin }), 404, 'NOT_FOUND', '/api/v1/catalog/customer-support');
    expect((await rest('DELETE', `/customer-support?tenant_id=${tenant}`, { token: superAdmin })).status).toBe(204);
  });
});

describe('the rest of the prefix', () => {
  it.each([
    ['PUT', '/customer-support'],
    ['POST', '/'],
    ['GET', '/customer-support/install/extra'],
    ['PUT', '/customer-support/visibility'],
    ['GET', '/publish/extra'],
  ])('%s %s is a 404 problem', async (method, path) => {
    const res = await rest(method, path, { token: await tokenFor('alice') });
    expect(expectProblem(res, 404, 'NOT_FOUND', `/api/v1/catalog${path}`).detail).toBe(`No such endpoint: ${method} /api/v1/catalog${path}`);
  });

  it('masks an unexpected failure as a 500 with the request id (a tampered archive)', async () => {
    const alice = await tokenFor('alice');
    // An archive of its own (the service caches verified archives by sha256), never installed before.
    const packageId = `${tenant}-tampered`;
    expect((await publish(alice, { ...BY_CONTENT_EXAMPLE, package_id: packageId })).status).toBe(201);
    const blob = BlobServiceClient.fromConnectionString(t.azurite.connectionString)
      .getContainerClient(t.container)
      .getBlockBlobClient(`catalog/${tenant}/${packageId}/v0.2.0.scaipkg`);
    await blob.upload(Buffer.from('not the archive'), 15);
    const res = await rest('GET', `/${packageId}/install`, { token: alice, headers: { 'x-request-id': 'tamper-1' } });
    const problem = expectProblem(res, 500, 'INTERNAL_SERVER_ERROR', `/api/v1/catalog/${packageId}/install`);
    expect(problem.request_id).toBe('tamper-1');
    expect(problem.detail).toBe('Internal server error (request id tamper-1)');
    expect(res.text).not.toContain('scaipkg');
  });
});

describe('REST and GraphQL leave the same state', () => {
  const steps = [
    { package_id: 'support', name: 'Support', description: 'first', version: '0.1.0', content: CUSTOMER_SUPPORT_FLOW },
    { package_id: 'support', name: 'Support', description: 'again', version: '0.1.0', readme: '# Support', content: CUSTOMER_SUPPORT_FLOW },
    { package_id: 'support', name: 'Support v2', version: '0.3.0', content: { ...CUSTOMER_SUPPORT_FLOW, name: 'Second' } },
  ];

  async function viaRest(token: string): Promise<unknown[]> {
    const seen: unknown[] = [];
    for (const step of steps) seen.push((await publish(token, step)).body.version);
    expect((await publish(token, { ...steps[0], version: '0.2.0' })).status).toBe(409);
    seen.push(
      (await rest('PATCH', '/support/visibility', { token, body: { visibility: 'groups', visibility_group_ids: ['g2', 'g1', 'g2'] } })).body.visibility,
    );
    const installed = (await rest('GET', '/support/install', { token })).body;
    // The tenants differ; the rest of the lineage (sha256 included: same archive bytes) does not.
    seen.push({ ...installed, flow: { ...installed.flow, id: 'fresh' }, metadata: { ...installed.metadata, tenant_id: 'T' } });
    return seen;
  }

  async function viaGraphql(token: string): Promise<unknown[]> {
    const seen: unknown[] = [];
    for (const { package_id, ...step } of steps) {
      const res = await t.request(PublishPackageVersionDocument, { input: { ...step, packageId: package_id } }, token);
      seen.push(res.body.data?.publishCatalogPackage.version);
    }
    const { package_id: _packageId, ...first } = steps[0]!;
    const regression = await t.request(PublishPackageVersionDocument, { input: { ...first, packageId: 'support', version: '0.2.0' } }, token);
    expect(regression.body.errors?.[0]?.extensions?.code).toBe('VERSION_REGRESSION');
    const vis = await t.request(ChangeVisibilityDocument, { packageId: 'support', visibility: 'GROUPS', groups: ['g2', 'g1', 'g2'] }, token);
    seen.push(vis.body.data?.setCatalogPackageVisibility.visibility.toLowerCase());
    const { flow, metadata } = (await t.request(InstallPackageDocument, { packageId: 'support' }, token)).body.data!.installCatalogPackage;
    seen.push({
      flow: { ...flow, id: 'fresh' },
      metadata: {
        tenant_id: 'T',
        package_id: metadata.packageId,
        name: metadata.name,
        version: metadata.version,
        sha256: metadata.sha256,
        author_email: metadata.authorEmail,
        deprecation: metadata.deprecation,
      },
    });
    return seen;
  }

  it('gives the same answers, versions, archives, visibility and audit events', async () => {
    const restTenant = tenant;
    const gqlTenant = uniqueTenant();
    const restToken = await t.token({ tenant: restTenant, user: 'alice' });
    const gqlToken = await t.token({ tenant: gqlTenant, user: 'alice' });

    const restSeen = await viaRest(restToken);
    const gqlSeen = await viaGraphql(gqlToken);
    expect(restSeen).toEqual(['0.1.0', '0.1.1', '0.3.0', 'groups', expect.anything()]);
    expect(gqlSeen).toEqual(restSeen);

    const restState = (await t.request(PackageStateDocument, { packageId: 'support' }, restToken)).body.data!;
    const gqlState = (await t.request(PackageStateDocument, { packageId: 'support' }, gqlToken)).body.data!;
    const normalize = (state: any) => ({
      ...state,
      catalogAuditEvents: state.catalogAuditEvents.edges.map((e: any) => ({ ...e.node, actorTenantId: 'T' })),
    });
    expect(restState.catalogPackage).toMatchObject({ version: '0.3.0', visibility: 'GROUPS', visibilityGroupIds: ['g2', 'g1'] });
    expect(restState.catalogPackage!.versions.edges.map((e: any) => e.node.version)).toEqual(['0.3.0', '0.1.1', '0.1.0']);
    expect(normalize(gqlState)).toEqual(normalize(restState));
    expect(normalize(restState).catalogAuditEvents.map((e: any) => e.action)).toEqual(['INSTALL', 'VISIBILITY', 'PUBLISH', 'PUBLISH', 'PUBLISH']);
    // Identical archives: same sha256 for every version, stored under each tenant.
    const blobsOf = async (tid: string) => (await t.blobNames(`catalog/${tid}/`)).map((name) => name.slice(`catalog/${tid}/`.length));
    expect(await blobsOf(gqlTenant)).toEqual(await blobsOf(restTenant));

    expect((await rest('DELETE', '/support', { token: restToken })).status).toBe(204);
    expect((await t.request(OpsDeleteDocument, { packageId: 'support' }, gqlToken)).body.data).toEqual({ deleteCatalogPackage: true });
    const restAfter = (await t.request(PackageAuditTrailDocument, { packageId: 'support' }, restToken)).body;
    const gqlAfter = (await t.request(PackageAuditTrailDocument, { packageId: 'support' }, gqlToken)).body;
    expect(restAfter.data!.catalogAuditEvents.edges[0].node.action).toBe('DELETE');
    expect(gqlAfter).toEqual(restAfter);
    expect((await t.request(OpsGetDocument, { packageId: 'support' }, restToken)).body.data).toEqual({ catalogPackage: null });
    expect((await t.request(OpsGetDocument, { packageId: 'support' }, gqlToken)).body.data).toEqual({ catalogPackage: null });
  });
});
