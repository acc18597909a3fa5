import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { fake } from '../src/modules/secrets/__fixtures__/fake-secrets';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * The secret guard in the publish path, through both edges, by inline content and by flow id: the
 * refusal lists exact paths and rules, and the credential is nowhere afterwards (answer, log
 * lines, any column of any table, the blob container).
 */

jest.setTimeout(60_000);

const GITHUB_TOKEN = fake.gitHubToken(77);
const OPENAI_KEY = fake.openAiLegacyKey(78);

const LEAKY_FLOW = {
  name: 'Leaky',
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'fetch', type: 'http.request', config: { url: 'https://api.github.com/repos', headers: { 'X-Token': GITHUB_TOKEN } } },
  ],
  edges: [{ id: 'e1', source: 'start', target: 'fetch' }],
};
const README = `Set the key ${OPENAI_KEY} before running.`;
const EXPECTED = [
  { path: '/nodes/1/config/headers/X-Token', rule: 'secretlint/github' },
  { path: '/readme', rule: 'secretlint/openai' },
];
const FLOW_FINDING = EXPECTED.slice(0, 1);

const PUBLISH = `mutation Publish($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { packageId version } }`;

let t: TestApp;
let flows: Server;
const logLines: string[] = [];

beforeAll(async () => {
  // A real flows service: the leaky flow, deployable by anyone.
  flows = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ flow: LEAKY_FLOW, permissions: ['deploy'] }));
  });
  await new Promise<void>((resolve) => flows.listen(0, '127.0.0.1', resolve));
  const logger = pino({ level: 'trace' }, { write: (line: string) => void logLines.push(line) });
  t = await startTestApp({ flowsApiUrl: `http://127.0.0.1:${(flows.address() as AddressInfo).port}` }, { logger });
});

afterAll(async () => {
  await t?.close();
  await new Promise((resolve) => flows?.close(resolve));
});

async function restPublish(token: string, body: Record<string, unknown>) {
  const response = await fetch(`${t.url}/api/v1/catalog/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}

/** Every row of every table, as text: the credential must be in none of them. */
async function databaseText(): Promise<string> {
  const connection = t.app.orm.em.fork().getConnection();
  const tables = await connection.execute<{ table_name: string }[]>(
    `select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
  );
  const dumps = await Promise.all(tables.map(({ table_name }: { table_name: string }) => connection.execute<{ row: string }[]>(`select t::text as row from "${table_name}" t`)));
  return dumps.flat().map((r) => r.row).join('\n');
}

async function expectNothingLeftBy(tenant: string): Promise<void> {
  expect(await t.blobNames(`catalog/${tenant}/`)).toEqual([]);
  const text = await databaseText();
  const logs = logLines.join('');
  expect(logs).toContain('"level"'); // the capture works: request lines were logged
  for (const secret of [GITHUB_TOKEN, OPENAI_KEY]) {
    expect(text).not.toContain(secret);
    expect(logs).not.toContain(secret);
  }
  const rows = await t.app.orm.em.fork().getConnection().execute(`select 1 from catalog_package where tenant_id = ?`, [tenant]);
  expect(rows).toEqual([]);
}

describe('publishing a flow that holds credentials', () => {
  it('GraphQL, inline content: FLOW_CONTAINS_SECRETS with each path and rule, nothing written', async () => {
    const tenant = uniqueTenant();
    const res = await t.gql(await t.token({ tenant }), PUBLISH, {
      input: { packageId: 'leaky', name: 'Leaky', version: '1.0.0', content: LEAKY_FLOW, readme: README },
    });
    const error = res.body.errors?.[0];
    expect(error?.extensions).toMatchObject({ code: 'FLOW_CONTAINS_SECRETS', problems: EXPECTED });
    expect(JSON.stringify(res.body)).not.toContain(GITHUB_TOKEN);
    expect(JSON.stringify(res.body)).not.toContain(OPENAI_KEY);
    await expectNothingLeftBy(tenant);
  });

  it('REST, inline content: 422 problem document with the problems, nothing written', async () => {
    const tenant = uniqueTenant();
    const res = await restPublish(await t.token({ tenant }), { package_id: 'leaky', name: 'Leaky', version: '1.0.0', content: LEAKY_FLOW, readme: README });
    expect(res.status).toBe(422);
    expect(res.contentType).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.text)).toMatchObject({ code: 'FLOW_CONTAINS_SECRETS', status: 422, problems: EXPECTED });
    expect(res.text).not.toContain(GITHUB_TOKEN);
    expect(res.text).not.toContain(OPENAI_KEY);
    await expectNothingLeftBy(tenant);
  });

  it('GraphQL and REST by flow id: the fetched flow is scanned the same way', async () => {
    const tenant = uniqueTenant();
    const token = await t.token({ tenant });
    const gql = await t.gql(token, PUBLISH, { input: { packageId: 'leaky', name: 'Leaky', version: '1.0.0', flowId: 'flow_leaky' } });
    expect(gql.body.errors?.[0]?.extensions).toMatchObject({ code: 'FLOW_CONTAINS_SECRETS', problems: FLOW_FINDING });
    const rest = await restPublish(token, { package_id: 'leaky', name: 'Leaky', version: '1.0.0', flow_id: 'flow_leaky' });
    expect(rest.status).toBe(422);
    expect(JSON.parse(rest.text).problems).toEqual(FLOW_FINDING);
    expect(JSON.stringify(gql.body) + rest.text).not.toContain(GITHUB_TOKEN);
    await expectNothingLeftBy(tenant);
  });

  it('a reference in place of the credential publishes', async () => {
    const tenant = uniqueTenant();
    const clean = structuredClone(LEAKY_FLOW);
    clean.nodes[1]!.config!.headers['X-Token'] = '{{credentials.github}}';
    const res = await t.gql(await t.token({ tenant }), PUBLISH, { input: { packageId: 'clean', name: 'Clean', version: '1.0.0', content: clean } });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.publishCatalogPackage).toEqual({ packageId: 'clean', version: '1.0.0' });
  });
});
