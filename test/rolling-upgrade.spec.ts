import { Client } from 'pg';
import type { EmbeddedAzurite } from '../src/infra/blob/embedded-azurite';
import { MIGRATIONS } from '../src/infra/db/migrations';
import { startTestAzurite, uniqueContainerName } from './support/azurite';
import { buildOnce, startCatalog, type RunningCatalog } from './support/catalog-process';
import { createTestDatabase, type TestDatabase } from './support/database';
import { flowContent } from './support/flows';
import { startTestIssuer, type TestIssuer } from './support/oidc-issuer';
import { previousRelease, PREVIOUS_RELEASE, type PreviousRelease } from './support/previous-release';

/**
 * A rolling upgrade on one PostgreSQL database: the previous release serves, the current build
 * starts beside it (and migrates the schema under it), both serve at once, then the old one stops.
 * Publishes, installs, lists and update checks go through both builds, each reading what the other
 * wrote, with no error. This is what "Expand, then contract" (docs/DEVELOPMENT.md) promises.
 */
jest.setTimeout(900_000);

const serverUrl = process.env.TEST_DATABASE_URL;

const PUBLISH = `mutation($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { packageId version } }`;
const INSTALL = `mutation($p: String!, $v: String) { installCatalogPackage(packageId: $p, version: $v) { flow metadata { packageId version sha256 } } }`;
const LIST = `{ catalogPackages(first: 100) { edges { node { packageId version } } } }`;
const UPDATES = `query($i: [CatalogInstalledInput!]!) { catalogUpdates(installed: $i) { packageId latestVersion updateAvailable } }`;

interface Answer<T = any> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function graphql<T = any>(app: RunningCatalog, token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Answer<T>;
  if (body.errors?.length || !body.data) throw new Error(`${response.status} from ${app.url}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

if (!serverUrl) {
  describe('rolling upgrade', () => {
    it.skip('needs PostgreSQL (TEST_DATABASE_URL): PGlite belongs to one process, so two builds never share it', () => {});
  });
} else {
  describe(`rolling upgrade from ${PREVIOUS_RELEASE.slice(0, 7)} to this build`, () => {
    let release: PreviousRelease;
    let issuer: TestIssuer;
    let azurite: EmbeddedAzurite;
    let database: TestDatabase;
    const running: RunningCatalog[] = [];

    beforeAll(async () => {
      [release] = await Promise.all([previousRelease(), buildOnce()]);
      if ('unavailable' in release) console.warn(`rolling upgrade test skipped: ${release.unavailable}`);
      [issuer, azurite, database] = await Promise.all([startTestIssuer(), startTestAzurite(), createTestDatabase()]);
    });
    afterAll(async () => {
      for (const app of running) {
        app.child.kill('SIGKILL');
        await app.exit;
      }
      await database?.drop();
      await azurite?.stop();
      await issuer?.close();
    });

    it('old and new build side by side: publishes and installs through both, each sees the other, no error', async () => {
      if ('unavailable' in release) return;
      const env = {
        DATABASE_URL: database.url!,
        AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
        CATALOG_BLOB_CONTAINER: uniqueContainerName('upgrade'),
        OIDC_ISSUER: issuer.issuer,
        OIDC_AUDIENCE: issuer.audience,
        LOG_LEVEL: 'info',
      };
      const alice = await issuer.tokenFor({ tenant: 'upgrade', user: 'alice', scopes: 'scaicore:view scaicore:manage' });
      const bob = await issuer.tokenFor({ tenant: 'upgrade', user: 'bob', scopes: 'scaicore:view scaicore:manage' });
      const publish = (app: RunningCatalog, token: string, packageId: string, version: string) =>
        graphql(app, token, PUBLISH, { input: { packageId, name: packageId, version, content: flowContent(`${packageId} ${version}`) } });
      const listed = async (app: RunningCatalog, token: string) =>
        new Map(
          (await graphql(app, token, LIST)).catalogPackages.edges.map((edge: { node: { packageId: string; version: string } }) => [
            edge.node.packageId,
            edge.node.version,
          ]),
        );

      // Release N alone, on its own schema.
      const old = await startCatalog(env, 120_000, { main: release.main, cwd: release.cwd });
      running.push(old);
      await publish(old, alice, 'before-upgrade', '1.0.0');
      const oldMigrations = await migrationNames(database.url!);
      expect(oldMigrations.length).toBeLessThan(MIGRATIONS.length);

      // Release N+1 starts while N serves, and migrates the schema under it.
      const current = await startCatalog(env, 120_000);
      running.push(current);
      expect(await migrationNames(database.url!)).toHaveLength(MIGRATIONS.length);
      expect(current.output()).toContain('schema is migrated');

      // Both serve at once: writes through each, reads of each other's writes, some at the same moment.
      await publish(old, alice, 'before-upgrade', '1.1.0');
      await publish(current, alice, 'before-upgrade', '1.2.0');
      await Promise.all([
        ...['a', 'b', 'c'].map((id) => publish(old, alice, `from-old-${id}`, '1.0.0')),
        ...['a', 'b', 'c'].map((id) => publish(current, bob, `from-new-${id}`, '1.0.0')),
      ]);
      for (const [app, other] of [
        [old, current],
        [current, old],
      ] as const) {
        const seen = await listed(app, alice);
        expect(seen.get('before-upgrade')).toBe('1.2.0');
        for (const id of ['a', 'b', 'c']) {
          expect(seen.get(`from-old-${id}`)).toBe('1.0.0');
          expect(seen.get(`from-new-${id}`)).toBe('1.0.0');
        }
        // Installs through one build of what the other published, by version and by default.
        const byVersion = await graphql(app, bob, INSTALL, { p: 'before-upgrade', v: '1.1.0' });
        expect(byVersion.installCatalogPackage.metadata).toMatchObject({ packageId: 'before-upgrade', version: '1.1.0' });
        expect(byVersion.installCatalogPackage.flow.name).toContain('before-upgrade 1.1.0');
        const fromOther = await graphql(app, bob, INSTALL, { p: app === old ? 'from-new-a' : 'from-old-a' });
        expect(fromOther.installCatalogPackage.metadata.version).toBe('1.0.0');
        const updates = await graphql(other, alice, UPDATES, { i: [{ packageId: 'before-upgrade', version: '1.0.0' }] });
        expect(updates.catalogUpdates).toEqual([{ packageId: 'before-upgrade', latestVersion: '1.2.0', updateAvailable: true }]);
      }
      // Publishes of one package through both builds at once: both versions kept.
      await publish(current, alice, 'both-at-once', '1.0.0');
      const both = await Promise.allSettled([publish(old, alice, 'both-at-once', '1.0.1'), publish(current, alice, 'both-at-once', '1.0.2')]);
      expect(both.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled']);
      expect((await listed(current, alice)).get('both-at-once')).toBe('1.0.2');
      expect((await listed(old, alice)).get('both-at-once')).toBe('1.0.2');

      // The old release stops; the new one carries on with everything.
      old.child.kill('SIGTERM');
      await old.exit;
      await publish(current, alice, 'after-upgrade', '1.0.0');
      const after = await listed(current, bob);
      expect([...after.keys()].sort()).toEqual([
        'after-upgrade',
        'before-upgrade',
        'both-at-once',
        'from-new-a',
        'from-new-b',
        'from-new-c',
        'from-old-a',
        'from-old-b',
        'from-old-c',
      ]);
      for (const app of [old, current]) expect(app.output()).not.toMatch(/"level":(50|60)/);
    });
  });
}

async function migrationNames(url: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ name: string }>('select name from mikro_orm_migrations order by id')).rows.map((row) => row.name);
  } finally {
    await client.end();
  }
}
