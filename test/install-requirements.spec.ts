import { parse } from 'yaml';
import { readPackageArchive } from '../src/modules/package/package-archive';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';
import type { GqlResponse } from './support/graphql-client';

/**
 * Install that works the first time (docs/API.md, "Requirements and pre-flight"), on the real app:
 * requirements derived at publish, the pre-flight check in one statement that writes nothing, and
 * install with parameter values and credential bindings through both edges.
 */

jest.setTimeout(300_000);

const PUBLISH = `mutation P($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { packageId version } }`;
const REQUIREMENTS = `query R($p: String!) { catalogPackage(packageId: $p) { versions { edges { node { version requirements {
  nodeTypes { type minVersion nodeIds } credentials { name kind nodeIds } hosts runtime
  parameters { name type description required default enum pattern } } } } } } }`;
const CHECK = `query C($p: String!, $env: CatalogEnvironmentInput!, $v: String, $channel: String) {
  catalogInstallCheck(packageId: $p, environment: $env, version: $v, channel: $channel) {
    packageId version installable problems { code subject message nodeIds } bindings { slot credential matchedBy } newestCompatibleVersion } }`;
const INSTALL = `mutation I($p: String!, $v: String, $params: JSON, $bindings: [CatalogCredentialBindingInput!]) {
  installCatalogPackage(packageId: $p, version: $v, parameters: $params, credentialBindings: $bindings) {
    flow metadata { version parameters credentialBindings { slot credential } } } }`;

/** A flow with every kind of reference: node versions, two credential slots, two parameters, two hosts. */
const TRIAGE_FLOW = {
  name: 'Ticket triage',
  nodes: [
    { id: 'in', type: 'trigger.webhook', config: { path: '/hook' } },
    {
      id: 'llm',
      type: 'openai.chat',
      typeVersion: 2,
      config: { apiKey: '{{credentials.openai}}', model: '{{params.model}}', url: 'https://api.openai.com/v1' },
    },
    {
      id: 'post',
      type: 'http.request',
      typeVersion: 1.2,
      config: { url: 'https://crm.example.com/api/tickets', auth: 'Bearer {{credentials.crm.token}}', retries: '{{ params.retries }}' },
    },
  ],
  edges: [
    { source: 'in', target: 'llm' },
    { source: 'llm', target: 'post' },
  ],
};

const TRIAGE_PARAMETERS = [
  { name: 'model', type: 'enum', enum: ['gpt-4o', 'gpt-4o-mini'], default: 'gpt-4o-mini', description: 'The chat model' },
  { name: 'retries', type: 'number', required: true },
];

/** Everything the triage flow needs. */
const FULL_ENVIRONMENT = {
  nodeTypes: [{ type: 'trigger.webhook' }, { type: 'openai.chat', version: '2.1' }, { type: 'http.request', version: '1.10' }],
  credentials: [
    { name: 'team-openai', kind: 'openai' },
    { name: 'crm', kind: 'http' },
  ],
  runtimeVersion: '2.4.0',
  parameters: { retries: 3 },
};

let t: TestApp;
let tenant: string;

beforeAll(async () => {
  t = await startTestApp();
});

afterAll(async () => {
  await t?.close();
});

beforeEach(() => {
  tenant = uniqueTenant();
});

const tokenFor = (user: string, extra: Record<string, unknown> = {}) => t.token({ tenant, user, ...extra });
const codeOf = (res: GqlResponse<any>) => res.body.errors?.[0]?.extensions?.code ?? 'OK';

async function publish(token: string, packageId: string, version: string, extra: Record<string, unknown> = {}): Promise<void> {
  const input = { packageId, name: packageId, version, content: TRIAGE_FLOW, parameters: TRIAGE_PARAMETERS, runtime: '>=2.3 <3', ...extra };
  const res = await t.gql(token, PUBLISH, { input });
  expect(res.body.errors).toBeUndefined();
}

async function rowCount(table: string): Promise<number> {
  const rows = await t.app.orm.em.fork().getConnection().execute<{ n: number }[]>(`select count(*)::int as n from ${table}`);
  return Number(rows[0]!.n);
}

async function installCounts(): Promise<number> {
  const rows = await t.app.orm.em
    .fork()
    .getConnection()
    .execute<{ n: number }[]>(`select coalesce(sum(install_count), 0)::int as n from catalog_package_version`);
  return Number(rows[0]!.n);
}

describe('requirements derived at publish', () => {
  it('lists the node types with their versions, the credential slots, the parameters, the hosts and the runtime', async () => {
    const alice = await tokenFor('alice');
    await publish(alice, 'triage', '1.0.0');
    const res = await t.gql(alice, REQUIREMENTS, { p: 'triage' });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.catalogPackage.versions.edges[0].node).toEqual({
      version: '1.0.0',
      requirements: {
        nodeTypes: [
          { type: 'http.request', minVersion: '1.2', nodeIds: ['post'] },
          { type: 'openai.chat', minVersion: '2', nodeIds: ['llm'] },
          { type: 'trigger.webhook', minVersion: null, nodeIds: ['in'] },
        ],
        credentials: [
          { name: 'crm', kind: null, nodeIds: ['post'] },
          { name: 'openai', kind: 'openai', nodeIds: ['llm'] },
        ],
        hosts: ['api.openai.com', 'crm.example.com'],
        runtime: '>=2.3 <3',
        parameters: [
          {
            name: 'model',
            type: 'enum',
            description: 'The chat model',
            required: false,
            default: 'gpt-4o-mini',
            enum: ['gpt-4o', 'gpt-4o-mini'],
            pattern: null,
          },
          { name: 'retries', type: 'number', description: null, required: true, default: null, enum: null, pattern: null },
        ],
      },
    });
  });

  it("writes them into the archive's manifest too, as stored with the version", async () => {
    const alice = await tokenFor('alice');
    await publish(alice, 'triage', '1.0.0');
    const stored = (await t.gql(alice, REQUIREMENTS, { p: 'triage' })).body.data.catalogPackage.versions.edges[0].node.requirements;
    const archive = readPackageArchive(await t.app.blobs.download(`catalog/${tenant}/triage/v1.0.0.scaipkg`));
    expect(parse(archive.manifestYaml).spec.requirements).toEqual(stored);
  });

  it('refuses a flow using an undeclared parameter or declaring an unused one, listing both, and writes nothing', async () => {
    const alice = await tokenFor('alice');
    const before = await rowCount('catalog_package_version');
    const parameters = [TRIAGE_PARAMETERS[1], { name: 'unused', type: 'string' }];
    const res = await t.gql(alice, PUBLISH, { input: { packageId: 'bad-params', name: 'x', version: '1.0.0', content: TRIAGE_FLOW, parameters } });
    expect(codeOf(res)).toBe('FLOW_COMPILE_FAILED');
    const messages = (res.body.errors![0]!.extensions!.problems as { path: string; message: string }[]).map((problem) => problem.message).join('\n');
    expect(messages).toMatch(/model/);
    expect(messages).toMatch(/unused/);
    expect(await rowCount('catalog_package_version')).toBe(before);
  });

  it('refuses a credential written into a parameter declaration, as in the flow', async () => {
    const alice = await tokenFor('alice');
    const content = { name: 'Repo sync', nodes: [{ id: 'gh', type: 'github.repo', config: { token: '{{params.token}}' } }], edges: [] };
    // The shape of a GitHub token, built at run time so that no scanner flags this file.
    const token = ['ghp', 'R8fK2mQ9xT4vL7nB3wY6cJ1dH5sA0eZ8uP2o'].join('_');
    const parameters = [{ name: 'token', type: 'string', default: token }];
    const res = await t.gql(alice, PUBLISH, { input: { packageId: 'leaky-default', name: 'x', version: '1.0.0', content, parameters } });
    expect(codeOf(res)).toBe('FLOW_CONTAINS_SECRETS');
    expect(res.body.errors![0]!.extensions!.problems).toEqual([expect.objectContaining({ path: '/parameters/0/default' })]);
    expect(JSON.stringify(res.body)).not.toContain(token);
  });

  it('refuses a runtime that is not a semver range', async () => {
    const alice = await tokenFor('alice');
    const res = await t.gql(alice, PUBLISH, {
      input: { packageId: 'bad-runtime', name: 'x', version: '1.0.0', content: TRIAGE_FLOW, parameters: TRIAGE_PARAMETERS, runtime: 'soon' },
    });
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.body.errors![0]!.extensions!.problems).toEqual([expect.objectContaining({ path: '$.runtime' })]);
  });
});

describe('the pre-flight check', () => {
  it('finds nothing missing in an environment that has everything, and binds by kind and by name', async () => {
    const alice = await tokenFor('alice');
    await publish(alice, 'triage', '1.0.0');
    const res = await t.gql(alice, CHECK, { p: 'triage', env: FULL_ENVIRONMENT });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.catalogInstallCheck).toEqual({
      packageId: 'triage',
      version: '1.0.0',
      installable: true,
      problems: [],
      bindings: [
        // crm has no kind (http.request implies none): bound by its name.
        { slot: 'crm', credential: 'crm', matchedBy: 'name' },
        // The only credential of kind openai, whatever its name.
        { slot: 'openai', credential: 'team-openai', matchedBy: 'kind' },
      ],
      newestCompatibleVersion: null,
    });
  });

  it('lists every problem kind with the nodes concerned', async () => {
    const alice = await tokenFor('alice');
    await publish(alice, 'triage', '1.0.0');
    const environment = {
      nodeTypes: [{ type: 'openai.chat', version: '1.9' }, { type: 'http.request' }],
      // Two of kind openai and none named openai: no automatic binding.
      credentials: [
        { name: 'a', kind: 'openai' },
        { name: 'b', kind: 'openai' },
      ],
      runtimeVersion: '3.0.1',
    };
    const res = await t.gql(alice, CHECK, { p: 'triage', env: environment });
    expect(res.body.errors).toBeUndefined();
    const check = res.body.data.catalogInstallCheck;
    expect(check.installable).toBe(false);
    const problems = check.problems.map((p: any) => [p.code, p.subject, p.nodeIds]);
    expect(problems).toEqual([
      ['NODE_TYPE_TOO_OLD', 'http.request', ['post']],
      ['NODE_TYPE_TOO_OLD', 'openai.chat', ['llm']],
      ['MISSING_NODE_TYPE', 'trigger.webhook', ['in']],
      ['MISSING_CREDENTIAL', 'crm', ['post']],
      ['MISSING_CREDENTIAL', 'openai', ['llm']],
      ['RUNTIME_INCOMPATIBLE', '>=2.3 <3', []],
      ['PARAMETER_REQUIRED', 'retries', []],
    ]);
    expect(check.bindings).toEqual([
      { slot: 'crm', credential: null, matchedBy: null },
      { slot: 'openai', credential: null, matchedBy: null },
    ]);
  });

  it('names the newest compatible version when the asked one does not fit', async () => {
    const alice = await tokenFor('alice');
    const simple = { name: 'Simple', nodes: [{ id: 'a', type: 'trigger.webhook' }], edges: [] };
    await publish(alice, 'evolving', '1.0.0', { content: simple, parameters: null, runtime: null });
    await publish(alice, 'evolving', '1.1.0', { content: simple, parameters: null, runtime: null });
    await publish(alice, 'evolving', '2.0.0');
    await publish(alice, 'evolving', '2.1.0-rc.1', { content: simple, parameters: null, runtime: null });
    const onlyWebhooks = { nodeTypes: [{ type: 'trigger.webhook' }], credentials: [] };
    const res = await t.gql(alice, CHECK, { p: 'evolving', env: onlyWebhooks });
    expect(res.body.errors).toBeUndefined();
    // The default version (2.0.0) needs more; the prerelease is not offered to a copy at a release.
    expect(res.body.data.catalogInstallCheck).toMatchObject({ version: '2.0.0', installable: false, newestCompatibleVersion: '1.1.0' });
    const prerelease = await t.gql(alice, CHECK, { p: 'evolving', v: '2.1.0-rc.1', env: onlyWebhooks });
    expect(prerelease.body.data.catalogInstallCheck).toMatchObject({ version: '2.1.0-rc.1', installable: true, newestCompatibleVersion: null });
    const asked = await t.gql(alice, CHECK, { p: 'evolving', v: '1.0.0', env: onlyWebhooks });
    expect(asked.body.data.catalogInstallCheck).toMatchObject({ version: '1.0.0', installable: true, newestCompatibleVersion: null });
  });

  it('reads in one SQL statement and writes nothing', async () => {
    const alice = await tokenFor('alice');
    await publish(alice, 'triage', '1.0.0');
    await publish(alice, 'triage', '1.1.0');
    const [audit, installs] = [await rowCount('catalog_audit_event'), await installCounts()];
    t.sqlLog.length = 0;
    const res = await t.gql(alice, CHECK, { p: 'triage', env: { nodeTypes: [], credentials: [] } });
    const statements = t.sqlLog.filter((sql) => !sql.includes('rate_limit_counter'));
    expect(res.body.errors).toBeUndefined();
    expect(statements).toHaveLength(1);
    expect([await rowCount('catalog_audit_event'), await installCounts()]).toEqual([audit, installs]);
  });

  it('answers NOT_FOUND for a package the caller may not see, as for an unknown one', async () => {
    const alice = await tokenFor('alice');
    await publish(alice, 'hidden', '1.0.0');
    const set = await t.gql(
      alice,
      `mutation { setCatalogPackageVisibility(packageId: "hidden", visibility: GROUPS, visibilityGroupIds: ["team-a"]) { visibility } }`,
    );
    expect(set.body.errors).toBeUndefined();
    const bob = await tokenFor('bob', { groups: ['team-b'] });
    const hidden = await t.gql(bob, CHECK, { p: 'hidden', env: FULL_ENVIRONMENT });
    const unknown = await t.gql(bob, CHECK, { p: 'nothing-here', env: FULL_ENVIRONMENT });
    expect([codeOf(hidden), codeOf(unknown)]).toEqual(['NOT_FOUND', 'NOT_FOUND']);
    const member = await tokenFor('carol', { groups: ['team-a'] });
    expect(codeOf(await t.gql(member, CHECK, { p: 'hidden', env: FULL_ENVIRONMENT }))).toBe('OK');
  });

  it('refuses a malformed environment and a malformed channel with BAD_USER_INPUT, and answers NOT_FOUND for an unknown channel', async () => {
    const alice = await tokenFor('alice');
    await publish(alice, 'triage', '1.0.0');
    const tooMany = { nodeTypes: Array.from({ length: 1001 }, (_, i) => ({ type: `t${i}` })), credentials: [] };
    expect(codeOf(await t.gql(alice, CHECK, { p: 'triage', env: tooMany }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await t.gql(alice, CHECK, { p: 'triage', env: FULL_ENVIRONMENT, channel: '1.x' }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await t.gql(alice, CHECK, { p: 'triage', env: FULL_ENVIRONMENT, channel: 'stable', v: '1.0.0' }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await t.gql(alice, CHECK, { p: 'triage', env: FULL_ENVIRONMENT, channel: 'nightly' }))).toBe('NOT_FOUND');
    const stable = await t.gql(alice, CHECK, { p: 'triage', env: FULL_ENVIRONMENT, channel: 'stable' });
    expect(codeOf(stable)).toBe('OK');
    expect(stable.body.data.catalogInstallCheck.version).toBe('1.0.0');
  });

  it('checks a version published before requirements existed by its node types', async () => {
    const alice = await tokenFor('alice');
    await publish(alice, 'legacy', '1.0.0');
    await t.app.orm.em
      .fork()
      .getConnection()
      .execute(`update catalog_package_version set requirements = null where blob_name like ?`, [`catalog/${tenant}/legacy/%`]);
    const res = await t.gql(alice, CHECK, { p: 'legacy', env: { nodeTypes: [{ type: 'openai.chat' }], credentials: [] } });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.catalogInstallCheck.problems.map((p: any) => [p.code, p.subject])).toEqual([
      ['MISSING_NODE_TYPE', 'http.request'],
      ['MISSING_NODE_TYPE', 'trigger.webhook'],
    ]);
  });
});

describe('install with values', () => {
  it('stamps parameters and bindings into the copy and records them in its metadata', async () => {
    const alice = await tokenFor('alice');
    await publish(alice, 'triage', '1.0.0');
    const res = await t.gql(alice, INSTALL, {
      p: 'triage',
      params: { retries: 5 },
      bindings: [{ slot: 'openai', credential: 'team-openai' }],
    });
    expect(res.body.errors).toBeUndefined();
    const { flow, metadata } = res.body.data.installCatalogPackage;
    const config = (id: string) => flow.nodes.find((node: any) => node.id === id).config;
    expect(config('llm')).toMatchObject({ apiKey: '{{credentials.team-openai}}', model: 'gpt-4o-mini' });
    // A whole-string reference to a number parameter becomes the number; an unbound slot stays as written.
    expect(config('post')).toMatchObject({ retries: 5, auth: 'Bearer {{credentials.crm.token}}' });
    expect(metadata).toEqual({
      version: '1.0.0',
      parameters: { retries: 5, model: 'gpt-4o-mini' },
      credentialBindings: [{ slot: 'openai', credential: 'team-openai' }],
    });
  });

  it('without values installs exactly as before: references kept, no values in the metadata', async () => {
    const alice = await tokenFor('alice');
    await publish(alice, 'triage', '1.0.0');
    const res = await t.gql(alice, INSTALL, { p: 'triage' });
    expect(res.body.errors).toBeUndefined();
    const { flow, metadata } = res.body.data.installCatalogPackage;
    expect(flow.nodes.map((node: any) => node.config)).toEqual(TRIAGE_FLOW.nodes.map((node) => node.config));
    expect(metadata).toEqual({ version: '1.0.0', parameters: null, credentialBindings: null });
  });

  it('refuses invalid values with every problem, and counts no install', async () => {
    const alice = await tokenFor('alice');
    await publish(alice, 'triage', '1.0.0');
    const installs = await installCounts();
    const res = await t.gql(alice, INSTALL, {
      p: 'triage',
      params: { model: 'gpt-2', surprise: true },
      bindings: [
        { slot: 'nope', credential: 'x' },
        { slot: 'openai', credential: 'a' },
        { slot: 'openai', credential: 'b' },
      ],
    });
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    const paths = (res.body.errors![0]!.extensions!.problems as { path: string }[]).map((problem) => problem.path);
    // The enum value, the unknown parameter, the missing required one, the unknown slot, the slot bound twice.
    expect(paths.length).toBeGreaterThanOrEqual(5);
    expect(paths.join(' ')).toMatch(/model/);
    expect(paths.join(' ')).toMatch(/surprise/);
    expect(paths.join(' ')).toMatch(/retries/);
    expect(paths.join(' ')).toMatch(/credentialBindings\[0\]/);
    expect(paths.join(' ')).toMatch(/credentialBindings\[2\]/);
    expect(await installCounts()).toBe(installs);
  });

  it('works the same through REST: POST with values, GET unchanged', async () => {
    const alice = await tokenFor('alice');
    await publish(alice, 'triage', '1.0.0');
    const headers = { authorization: `Bearer ${alice}`, 'content-type': 'application/json' };
    const body = JSON.stringify({ parameters: { retries: 2, model: 'gpt-4o' }, credential_bindings: [{ slot: 'crm', credential: 'crm-prod' }] });
    const posted = await fetch(`${t.url}/api/v1/catalog/triage/install`, { method: 'POST', headers, body });
    expect(posted.status).toBe(200);
    const installed = (await posted.json()) as any;
    expect(installed.metadata).toMatchObject({ parameters: { retries: 2, model: 'gpt-4o' }, credential_bindings: [{ slot: 'crm', credential: 'crm-prod' }] });
    expect(installed.flow.nodes.find((node: any) => node.id === 'post').config.auth).toBe('Bearer {{credentials.crm-prod.token}}');

    const invalid = await fetch(`${t.url}/api/v1/catalog/triage/install`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ parameters: { retries: 'many' } }),
    });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as any).code).toBe('BAD_USER_INPUT');

    const got = await fetch(`${t.url}/api/v1/catalog/triage/install`, { headers: { authorization: `Bearer ${alice}` } });
    const plain = (await got.json()) as any;
    expect(Object.keys(plain.metadata).sort()).toEqual(['author_email', 'deprecation', 'name', 'package_id', 'sha256', 'tenant_id', 'version']);
  });
});
