import { metrics } from '../src/infra/metrics/metrics';
import type { GqlResponse } from './support/graphql-client';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * Upgrading a copy without losing its edits (docs/API.md, "Upgrading a copy"), on the real app:
 * install, edit the copy, publish upstream, and preview the upgrade, alone and in bulk.
 */

jest.setTimeout(300_000);

const PUBLISH = `mutation P($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { version } }`;
const INSTALL = `mutation I($p: String!, $v: String, $params: JSON) { installCatalogPackage(packageId: $p, version: $v, parameters: $params) { flow } }`;
const PREVIEW_FIELDS = `packageId fromVersion toVersion state merged conflicts { kind nodeId path base ours theirs } applied { kind nodeId path value }
  requirements { code subject } deprecation { reason }`;
const PREVIEW = `query U($input: CatalogUpgradeInput!) { catalogUpgradePreview(input: $input) { ${PREVIEW_FIELDS} } }`;
const PREVIEWS = `query U($inputs: [CatalogUpgradeInput!]!) { catalogUpgradePreviews(inputs: $inputs) { packageId state toVersion conflicts { path } } }`;

let t: TestApp;
let tenant: string;

beforeAll(async () => {
  // No archive cache: "each archive read once" is then what one request does, not what the cache hides.
  t = await startTestApp({ tuning: { archiveCacheBytes: 0 } });
});
afterAll(() => t?.close());
beforeEach(() => {
  tenant = uniqueTenant();
});

const codeOf = (res: GqlResponse<any>) => res.body.errors?.[0]?.extensions?.code ?? 'OK';

/** An assistant flow: a trigger, a chat node with a prompt and a temperature, a reply. */
function assistant(prompt: string, temperature: number, extra: Record<string, unknown>[] = []) {
  return {
    name: 'Assistant',
    nodes: [{ id: 'in', type: 'trigger.webhook' }, { id: 'llm', type: 'llm.chat', config: { prompt, temperature } }, { id: 'out', type: 'reply' }, ...extra],
    edges: [
      { source: 'in', target: 'llm' },
      { source: 'llm', target: 'out' },
    ],
  };
}

async function publish(token: string, packageId: string, version: string, content: unknown, extra: Record<string, unknown> = {}) {
  const res = await t.gql(token, PUBLISH, { input: { packageId, name: packageId, version, content, ...extra } });
  expect(res.body.errors).toBeUndefined();
}

async function install(token: string, packageId: string, version: string, params?: Record<string, unknown>): Promise<any> {
  const res = await t.gql(token, INSTALL, { p: packageId, v: version, params });
  expect(res.body.errors).toBeUndefined();
  return res.body.data.installCatalogPackage.flow;
}

async function blobDownloads(): Promise<number> {
  const { values } = await metrics.blobCallDuration.get();
  return values
    .filter((v) => v.metricName === 'catalog_blob_call_duration_seconds_count' && v.labels.operation === 'download')
    .reduce((sum, v) => sum + v.value, 0);
}

describe('catalogUpgradePreview', () => {
  it('keeps the copy’s edit, applies the upstream change beside it, and lists the conflict once', async () => {
    const alice = await t.token({ tenant, user: 'alice' });
    await publish(alice, 'assistant', '1.0.0', assistant('You are helpful.', 0.2));
    const copy = await install(alice, 'assistant', '1.0.0');
    copy.nodes[1].config.prompt = 'You are terse.';
    await publish(alice, 'assistant', '1.1.0', assistant('You are kind.', 0.7));

    const res = await t.gql(alice, PREVIEW, { input: { packageId: 'assistant', fromVersion: '1.0.0', copy } });
    expect(res.body.errors).toBeUndefined();
    const preview = res.body.data.catalogUpgradePreview;
    expect(preview).toMatchObject({ packageId: 'assistant', fromVersion: '1.0.0', toVersion: '1.1.0', state: 'LOCALLY_MODIFIED_AND_STALE' });
    expect(preview.merged).toMatchObject({ id: copy.id, name: copy.name });
    expect(preview.merged.nodes[1].config).toEqual({ prompt: 'You are terse.', temperature: 0.7 });
    expect(preview.conflicts).toEqual([
      { kind: 'BOTH_CHANGED', nodeId: 'llm', path: '/config/prompt', base: 'You are helpful.', ours: 'You are terse.', theirs: 'You are kind.' },
    ]);
    expect(preview.applied).toEqual([{ kind: 'VALUE_CHANGED', nodeId: 'llm', path: '/config/temperature', value: 0.7 }]);
    expect(preview.requirements).toBeNull();
  });

  it('gives an unedited copy exactly the new version, with its own id and name', async () => {
    const alice = await t.token({ tenant, user: 'alice' });
    const added = [{ id: 'log', type: 'log' }];
    await publish(alice, 'plain', '1.0.0', assistant('A', 0.1));
    const copy = await install(alice, 'plain', '1.0.0');
    await publish(alice, 'plain', '2.0.0', assistant('B', 0.1, added));
    const upstream = await install(alice, 'plain', '2.0.0');

    const preview = (await t.gql(alice, PREVIEW, { input: { packageId: 'plain', fromVersion: '1.0.0', copy } })).body.data.catalogUpgradePreview;
    expect(preview.state).toBe('STALE');
    expect(preview.conflicts).toEqual([]);
    expect(preview.merged).toEqual({ ...upstream, id: copy.id, name: copy.name });

    const current = (await t.gql(alice, PREVIEW, { input: { packageId: 'plain', fromVersion: '2.0.0', copy: upstream } })).body.data.catalogUpgradePreview;
    expect(current).toMatchObject({ state: 'UP_TO_DATE', conflicts: [], applied: [] });
    const edited = { ...upstream, nodes: [...upstream.nodes, { id: 'mine', type: 'note' }] };
    const local = (await t.gql(alice, PREVIEW, { input: { packageId: 'plain', fromVersion: '2.0.0', copy: edited } })).body.data.catalogUpgradePreview;
    expect(local).toMatchObject({ state: 'LOCALLY_MODIFIED', merged: edited });
  });

  it('re-applies the parameter values the install recorded, so that they are not taken for local edits', async () => {
    const alice = await t.token({ tenant, user: 'alice' });
    const parameters = [{ name: 'tone', type: 'string', default: 'neutral' }];
    await publish(alice, 'toned', '1.0.0', assistant('Speak {{params.tone}}.', 0.2), { parameters });
    const copy = await install(alice, 'toned', '1.0.0', { tone: 'warm' });
    expect(copy.nodes[1].config.prompt).toBe('Speak warm.');
    await publish(alice, 'toned', '1.1.0', assistant('Speak {{params.tone}}, briefly.', 0.2), { parameters });

    const res = await t.gql(alice, PREVIEW, { input: { packageId: 'toned', fromVersion: '1.0.0', copy, parameters: { tone: 'warm' } } });
    const preview = res.body.data.catalogUpgradePreview;
    expect(preview.state).toBe('STALE');
    expect(preview.merged.nodes[1].config.prompt).toBe('Speak warm, briefly.');
  });

  it('lists the target’s install problems in the environment given, and says when it is deprecated', async () => {
    const alice = await t.token({ tenant, user: 'alice' });
    await publish(alice, 'env', '1.0.0', assistant('A', 0.1));
    const copy = await install(alice, 'env', '1.0.0');
    await publish(alice, 'env', '1.1.0', assistant('B', 0.1));
    const deprecate = await t.gql(alice, `mutation { deprecateCatalogPackageVersion(packageId: "env", version: "1.1.0", reason: "use 2.x") { status } }`);
    expect(deprecate.body.errors).toBeUndefined();
    const environment = { nodeTypes: [{ type: 'trigger.webhook' }, { type: 'llm.chat' }], credentials: [] };
    const res = await t.gql(alice, PREVIEW, { input: { packageId: 'env', fromVersion: '1.0.0', toVersion: '1.1.0', copy, environment } });
    expect(res.body.data.catalogUpgradePreview).toMatchObject({
      requirements: [{ code: 'MISSING_NODE_TYPE', subject: 'reply' }],
      deprecation: { reason: 'use 2.x' },
    });
  });

  it('refuses a withdrawn target, a target below the copy, a channel, and answers NOT_FOUND for what the caller may not see', async () => {
    const alice = await t.token({ tenant, user: 'alice' });
    await publish(alice, 'guarded', '1.0.0', assistant('A', 0.1));
    const copy = await install(alice, 'guarded', '1.0.0');
    await publish(alice, 'guarded', '2.0.0', assistant('B', 0.1));
    await t.gql(alice, `mutation { withdrawCatalogPackageVersion(packageId: "guarded", version: "2.0.0", reason: "broken") { status } }`);
    const ask = (input: Record<string, unknown>, token = alice) => t.gql(token, PREVIEW, { input: { packageId: 'guarded', copy, ...input } });
    expect(codeOf(await ask({ fromVersion: '1.0.0', toVersion: '2.0.0' }))).toBe('VERSION_WITHDRAWN');
    await publish(alice, 'guarded', '3.0.0', assistant('C', 0.1));
    expect(codeOf(await ask({ fromVersion: '3.0.0', toVersion: '1.0.0' }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await ask({ fromVersion: '1.0.0', channel: 'stable' }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await ask({ fromVersion: '1.0.0', copy: { nodes: 'none' } }))).toBe('BAD_USER_INPUT');
    const stranger = await t.token({ tenant: uniqueTenant(), user: 'mallory' });
    expect(codeOf(await ask({ fromVersion: '1.0.0', tenantId: tenant }, stranger))).toBe('NOT_FOUND');
  });
});

describe('catalogUpgradePreviews', () => {
  it('previews 100 copies in input order with one SQL statement, reading each archive once; invisible packages answer null', async () => {
    const alice = await t.token({ tenant, user: 'alice' });
    for (const id of ['bulk-a', 'bulk-b']) {
      await publish(alice, id, '1.0.0', assistant('A', 0.1));
      await publish(alice, id, '1.1.0', assistant('B', 0.5));
    }
    const copy = await install(alice, 'bulk-a', '1.0.0');
    const edited = { ...copy, nodes: copy.nodes.map((node: any) => (node.id === 'llm' ? { ...node, config: { ...node.config, prompt: 'Mine' } } : node)) };
    const other = uniqueTenant();
    const inputs = Array.from({ length: 100 }, (_, i) => {
      if (i % 10 === 9) return { packageId: 'bulk-a', fromVersion: '1.0.0', tenantId: other, copy };
      return { packageId: i % 2 === 0 ? 'bulk-a' : 'bulk-b', fromVersion: '1.0.0', copy: i % 3 === 0 ? edited : copy };
    });

    const downloadsBefore = await blobDownloads();
    t.sqlLog.length = 0;
    const res = await t.gql(alice, PREVIEWS, { inputs });
    const statements = t.sqlLog.filter((sql) => !sql.includes('rate_limit_counter'));
    expect(res.body.errors).toBeUndefined();
    expect(statements).toHaveLength(1);
    // Four archives: 1.0.0 and 1.1.0 of each package.
    expect((await blobDownloads()) - downloadsBefore).toBe(4);
    const previews = res.body.data.catalogUpgradePreviews as any[];
    expect(previews).toHaveLength(100);
    previews.forEach((preview, i) => {
      if (i % 10 === 9) return expect(preview).toBeNull();
      expect(preview.packageId).toBe(i % 2 === 0 ? 'bulk-a' : 'bulk-b');
      expect(preview.toVersion).toBe('1.1.0');
      expect(preview.state).toBe(i % 3 === 0 ? 'LOCALLY_MODIFIED_AND_STALE' : 'STALE');
      expect(preview.conflicts).toEqual(i % 3 === 0 ? [{ path: '/config/prompt' }] : []);
    });
  });

  it('refuses more than 100 copies', async () => {
    const alice = await t.token({ tenant, user: 'alice' });
    const inputs = Array.from({ length: 101 }, () => ({ packageId: 'x', fromVersion: '1.0.0', copy: { nodes: [{ id: 'a', type: 't' }], edges: [] } }));
    expect(codeOf(await t.gql(alice, PREVIEWS, { inputs }))).toBe('BAD_USER_INPUT');
  });
});
