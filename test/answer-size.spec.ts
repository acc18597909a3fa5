import { CHANGELOG_MAX_BYTES, README_MAX_BYTES, wordsOfBytes } from './support/big-content';
import { flowContent } from './support/flows';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * Answers sized to what was asked (docs/API.md, "Answer size"): a query whose answer could pass
 * MAX_RESPONSE_BYTES is refused before any SQL; one that grows past it anyway is cut, not sent;
 * update checks read only the newer versions and changelogs their selection asks for. Here with
 * a small limit (300 KiB); test/answer-size-process.spec.ts runs the built service at the defaults.
 */
jest.setTimeout(120_000);

const LIMIT = 300 * 1024;
const PUBLISH = 'mutation($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { version } }';
const UPDATES = (selection: string) => `query($installed: [CatalogInstalledInput!]!) { catalogUpdates(installed: $installed) { ${selection} } }`;
const codeOf = (response: { body: { errors?: { extensions?: Record<string, unknown> }[] } }) => response.body.errors?.[0]?.extensions?.['code'];
const catalogSql = (log: string[]) => log.filter((sql) => /catalog_package/.test(sql));

describe('answer size', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp({ tuning: { maxResponseBytes: LIMIT } });
    token = await t.token({ tenant: 'size', user: 'alice' });
    const publish = async (input: Record<string, unknown>) => {
      const response = await t.gql(token, PUBLISH, { input: { name: 'P', content: flowContent(), ...input } });
      expect(response.body.errors).toBeUndefined();
    };
    await publish({ packageId: 'big', version: '1.0.0', readme: wordsOfBytes(200 * 1024) });
    // JSON escapes each quote: 200 KiB stored, 400 KiB answered, past what the estimate counts.
    await publish({ packageId: 'quotes', version: '1.0.0', readme: '"'.repeat(200 * 1024) });
    for (let patch = 0; patch < 12; patch += 1) {
      await publish({ packageId: 'many', version: `1.0.${patch}`, changelog: wordsOfBytes(CHANGELOG_MAX_BYTES, String(patch)) });
    }
  });
  afterAll(() => t?.close());

  it('refuses before any SQL a list whose readmes could pass the limit, with the limit and the estimate', async () => {
    t.sqlLog.length = 0;
    const response = await t.gql(token, '{ catalogPackages(first: 2) { edges { node { readme } } } }');
    expect(response.status).toBe(400);
    expect(codeOf(response)).toBe('RESPONSE_TOO_LARGE');
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ limit: LIMIT, responseBytes: expect.any(Number) });
    expect(response.body.errors![0]!.extensions!['responseBytes']).toBeGreaterThan(2 * README_MAX_BYTES);
    expect(response.body.data).toBeUndefined();
    expect(catalogSql(t.sqlLog)).toEqual([]);
  });

  it('answers one package with its readme (within the limit)', async () => {
    const response = await t.gql(token, '{ catalogPackage(packageId: "big") { readme } }');
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data.catalogPackage.readme).toHaveLength(200 * 1024);
  });

  it('cuts an answer that grows past the limit during execution instead of sending it', async () => {
    const response = await t.gql(token, '{ catalogPackage(packageId: "quotes") { readme } }');
    expect(response.status).toBe(400);
    expect(codeOf(response)).toBe('RESPONSE_TOO_LARGE');
    expect(response.body.data).toBeUndefined();
    expect(JSON.stringify(response.body).length).toBeLessThan(1024);
  });

  it('lists at most `first` newer versions (default 10), newest first, and refuses `first` out of 1–100 before SQL', async () => {
    const installed = [{ packageId: 'many', version: '1.0.0' }];
    const byDefault = await t.gql(token, UPDATES('newerVersions { version }'), { installed });
    expect(byDefault.body.data.catalogUpdates[0].newerVersions.map((v: { version: string }) => v.version)).toEqual(
      Array.from({ length: 10 }, (_, i) => `1.0.${11 - i}`),
    );
    const three = await t.gql(token, UPDATES('updateAvailable newerVersions(first: 3) { version }'), { installed });
    expect(three.body.data.catalogUpdates[0]).toEqual({
      updateAvailable: true,
      newerVersions: [{ version: '1.0.11' }, { version: '1.0.10' }, { version: '1.0.9' }],
    });
    for (const first of [0, 101]) {
      t.sqlLog.length = 0;
      const refused = await t.gql(token, UPDATES(`newerVersions(first: ${first}) { version }`), { installed });
      expect(codeOf(refused)).toBe('BAD_USER_INPUT');
      expect(catalogSql(t.sqlLog)).toEqual([]);
    }
  });

  it('reads no changelog unless one is selected, and at most the largest `first` of the aliases', async () => {
    const installed = Array.from({ length: 20 }, () => ({ packageId: 'many', version: '1.0.0' }));
    t.sqlLog.length = 0;
    const only = await t.gql(token, UPDATES('updateAvailable'), { installed });
    expect(only.body.data.catalogUpdates).toEqual(installed.map(() => ({ updateAvailable: true })));
    const [statement] = catalogSql(t.sqlLog);
    expect(statement).toContain('null::text as changelog');
    expect(catalogSql(t.sqlLog)).toHaveLength(1);

    const aliases = await t.gql(token, UPDATES('a: newerVersions(first: 1) { version } b: newerVersions(first: 2) { changelog }'), {
      installed: installed.slice(0, 1),
    });
    expect(aliases.body.errors).toBeUndefined();
    expect(aliases.body.data.catalogUpdates[0].a).toEqual([{ version: '1.0.11' }]);
    expect(aliases.body.data.catalogUpdates[0].b.map((v: { changelog: string }) => v.changelog.length)).toEqual([CHANGELOG_MAX_BYTES, CHANGELOG_MAX_BYTES]);
  });

  it('refuses an update check whose changelogs would pass the limit, measured by the statement before it reads them', async () => {
    const installed = Array.from({ length: 20 }, () => ({ packageId: 'many', version: '1.0.0' }));
    t.sqlLog.length = 0;
    const response = await t.gql(token, UPDATES('newerVersions { changelog }'), { installed });
    expect(codeOf(response)).toBe('RESPONSE_TOO_LARGE');
    expect(response.body.errors![0]!.extensions!['responseBytes']).toBeGreaterThan(20 * 10 * CHANGELOG_MAX_BYTES);
    expect(catalogSql(t.sqlLog)).toHaveLength(1);
  });

  it('counts the distinct inputs of catalogUpdates in the cost (not 5 whatever their number)', async () => {
    const installed = Array.from({ length: 500 }, (_, i) => ({ packageId: `p${i}`, version: '1.0.0' }));
    t.sqlLog.length = 0;
    const response = await t.gql(token, UPDATES('newerVersions(first: 100) { version sha256 }'), { installed });
    expect(codeOf(response)).toBe('COST_LIMIT_EXCEEDED');
    expect(response.body.errors![0]!.extensions!['cost']).toBeGreaterThan(500 * 100);
    expect(catalogSql(t.sqlLog)).toEqual([]);
    const five = await t.gql(token, UPDATES('newerVersions(first: 100) { version sha256 }'), { installed: installed.slice(0, 5) });
    expect(five.body.errors).toBeUndefined();
  });
});
