import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { CLEAN_CASES } from '../src/modules/secrets/__fixtures__/clean-flows';
import { fake } from '../src/modules/secrets/__fixtures__/fake-secrets';
import { PLANTED_CASES } from '../src/modules/secrets/__fixtures__/planted-secrets';
import { packageIdDigest } from '../src/modules/secrets/publish-refusal';
import type { SecretFinding, SecretScanInput } from '../src/modules/secrets/secret-guard';
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
  const dumps = await Promise.all(
    tables.map(({ table_name }: { table_name: string }) => connection.execute<{ row: string }[]>(`select t::text as row from "${table_name}" t`)),
  );
  return dumps
    .flat()
    .map((r) => r.row)
    .join('\n');
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

/** The publish request of a corpus case, in GraphQL's field names. */
function publishInputOf(input: SecretScanInput, index: number) {
  return {
    packageId: input.packageId ?? `corpus-${index}`,
    name: input.name ?? 'Corpus case',
    version: '1.0.0',
    content: input.flow,
    ...(input.tags && { tags: input.tags }),
    ...(input.readme != null && { readme: input.readme }),
    ...(input.description != null && { description: input.description }),
    ...(input.changelog != null && { changelog: input.changelog }),
  };
}

function restBodyOf(input: ReturnType<typeof publishInputOf>) {
  const { packageId, ...rest } = input;
  return { package_id: packageId, ...rest };
}

/** The string a finding refuses: a publish text, a tag, or the flow's value or key at the path. */
function refusedValue(input: SecretScanInput, path: string): string {
  const [field, ...rest] = path.split('/').slice(1);
  if (field === 'tags') return input.tags![Number(rest[0])]!;
  if (field !== undefined && ['packageId', 'name', 'readme', 'description', 'changelog'].includes(field) && rest.length === 0) {
    return input[field as 'packageId']!;
  }
  let node: unknown = input.flow;
  for (const segment of path.split('/').slice(1)) {
    const container = node as Record<string, unknown>;
    const keyIndex = /^#key(\d+)$/.exec(segment);
    const name = keyIndex ? Object.keys(container)[Number(keyIndex[1])]! : segment.replace(/~1/g, '/').replace(/~0/g, '~');
    if (keyIndex && segment === path.split('/').at(-1)) return name;
    node = container[name];
  }
  return node as string;
}

/**
 * No 12-character stretch of the credential-looking runs of any refused value (letters and digits
 * together, as keys, tokens and passwords are) is in `text`. The surrounding words (`Bearer`,
 * `application/json`) are not the secret, and the test logger records the caller's own token.
 */
function expectNoneOf(values: readonly string[], text: string, where: string): void {
  for (const value of values) {
    for (const run of value.match(/[A-Za-z0-9_+/=%$-]{12,}/g) ?? []) {
      if (!/\d/.test(run) || !/[A-Za-z]/.test(run)) continue;
      for (let start = 0; start + 12 <= run.length; start++) {
        const part = run.slice(start, start + 12);
        if (text.includes(part)) throw new Error(`${where} holds part of a refused value: ${JSON.stringify(part)}`);
      }
    }
  }
}

describe('the whole corpus through both edges', () => {
  it.each(PLANTED_CASES.map((c, i) => [c.name, c, i] as const))('refused with its paths and rules: %s', async (_name, { input, expected }, index) => {
    const values = expected.map(({ path }) => refusedValue(input, path));
    const tenant = uniqueTenant();
    const token = await t.token({ tenant });
    const publish = publishInputOf(input, index);
    const firstLine = logLines.length;
    const gql = await t.gql(token, PUBLISH, { input: publish });
    expect(gql.body.errors?.[0]?.extensions).toMatchObject({ code: 'FLOW_CONTAINS_SECRETS' });
    expect((gql.body.errors![0]!.extensions as { problems: SecretFinding[] }).problems).toEqual(expected);
    const rest = await restPublish(token, restBodyOf(publish));
    expect(rest.status).toBe(422);
    expect(JSON.parse(rest.text).problems).toEqual(expected);
    expectNoneOf(values, JSON.stringify(gql.body), 'the GraphQL answer');
    expectNoneOf(values, rest.text, 'the REST answer');
    const logs = logLines.slice(firstLine).join('');
    const refusals = logLines.slice(firstLine).filter((line) => line.includes('publish refused'));
    expect(refusals).toHaveLength(2);
    for (const line of refusals) expect(JSON.parse(line)).toMatchObject({ level: 30, packageIdSha256: packageIdDigest(publish.packageId), findings: expected });
    expectNoneOf(values, logs, 'the log');
    if (input.packageId) expect(logs).not.toContain(input.packageId);
  });

  it.each(CLEAN_CASES.map((c, i) => [c.name, c, i] as const))('published: %s', async (_name, { input }, index) => {
    const tenant = uniqueTenant();
    const publish = publishInputOf(input, index);
    const res = await t.gql(await t.token({ tenant }), PUBLISH, { input: publish });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.publishCatalogPackage).toEqual({ packageId: publish.packageId, version: '1.0.0' });
  });
});
