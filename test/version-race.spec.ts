import { BlobServiceClient } from '@azure/storage-blob';
import fc from 'fast-check';
import { CatalogError } from '../src/common/errors';
import { planPublishVersion } from '../src/modules/package/versioning';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * Version resolution is a function of the committed history: concurrent publishes end exactly as
 * some serial order of the same publishes would. Raced for real, on PGlite and PostgreSQL.
 */
// latestVersion: the version this publish got (`version` is the default install, a release).
const PUBLISH = `mutation Publish($input: PublishCatalogPackageInput!) {
  publishCatalogPackage(input: $input) { latestVersion }
}`;

type Outcome = { version: string } | { code: string };

let t: TestApp;
let token: string;
let tenant: string;

beforeAll(async () => {
  t = await startTestApp();
  tenant = uniqueTenant();
  token = await t.token({ tenant, user: 'alice' });
}, 120_000);
afterAll(() => t?.close());

function flow(label: string): Record<string, unknown> {
  return { name: label, nodes: [{ id: 'start', type: 'trigger.manual', config: { label } }], edges: [] };
}

async function publish(packageId: string, version: string): Promise<Outcome> {
  const response = await t.gql<{ publishCatalogPackage: { latestVersion: string } }>(token, PUBLISH, {
    input: { packageId, name: packageId, version, content: flow(`v${version}`) },
  });
  const error = response.body.errors?.[0];
  if (error) return { code: String(error.extensions?.code) };
  return { version: response.body.data!.publishCatalogPackage.latestVersion };
}

/** What publishing `requests` one after the other would answer, with the rules alone. */
function serialOutcomes(requests: readonly string[]): Outcome[] {
  let latest: string | null = null;
  let base: string | null = null;
  return requests.map((requested) => {
    try {
      const plan = planPublishVersion(requested, latest, base);
      latest = plan.version;
      base = plan.republishBase;
      return { version: plan.version };
    } catch (error) {
      return { code: (error as CatalogError).code };
    }
  });
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

describe('concurrent publishes resolve versions as some serial order would', () => {
  it('never promotes a concurrent hotfix above a higher version (200 rounds of 1.4.0, then 2.0.0 and 1.4.1 together)', async () => {
    const seen = { regressed: 0, hotfixFirst: 0 };
    // Five packages at a time: ten publishes in flight, within the pool (10) and its 3 s acquire deadline
    // even on a loaded machine (each publish holds its connection, and the package lock, through the upload).
    for (let batch = 0; batch < 40; batch++) {
      await Promise.all(
        Array.from({ length: 5 }, async (_, i) => {
          const packageId = `race-${batch}-${i}`;
          expect(await publish(packageId, '1.4.0')).toEqual({ version: '1.4.0' });
          const [major, hotfix] = await Promise.all([publish(packageId, '2.0.0'), publish(packageId, '1.4.1')]);
          expect(major).toEqual({ version: '2.0.0' });
          // Either the hotfix committed first (and kept its version) or it is below 2.0.0: refused.
          expect([{ version: '1.4.1' }, { code: 'VERSION_REGRESSION' }]).toContainEqual(hotfix);
          if ('code' in hotfix) seen.regressed += 1;
          else seen.hotfixFirst += 1;
        }),
      );
    }
    expect(seen.regressed + seen.hotfixFirst).toBe(200);
    const rows = await t.app.orm.em
      .fork()
      .getConnection()
      .execute(`select p.package_id, p.latest_version from catalog_package p where p.tenant_id = ? and p.package_id like 'race-%'`, [tenant]);
    expect(rows).toHaveLength(200);
    for (const row of rows) expect(row.latest_version).toBe('2.0.0');
    const bumped = await t.app.orm.em.fork().getConnection().execute(`select count(*)::int as n from catalog_package_version v where v.version = '2.0.1'`);
    expect(bumped[0].n).toBe(0);
  }, 600_000);

  it('answers random concurrent batches exactly like one of their serial orders (property)', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('1.0.0', '1.0.0', '1.1.0', '2.0.0'),
        fc.array(fc.constantFrom('0.9.0', '1.0.0', '1.0.1', '1.1.0', '2.0.0', '2.0.0-rc.1'), { minLength: 2, maxLength: 4 }),
        async (first, batch) => {
          const packageId = `prop-${round++}`;
          await publish(packageId, first);
          const outcomes = await Promise.all(batch.map((version) => publish(packageId, version)));
          const indices = batch.map((_, i) => i);
          const explained = permutations(indices).some((order) => {
            const serial = serialOutcomes([first, ...order.map((i) => batch[i]!)]).slice(1);
            return order.every((requestIndex, position) => JSON.stringify(serial[position]) === JSON.stringify(outcomes[requestIndex]));
          });
          expect({ batch, outcomes, explained }).toEqual({ batch, outcomes, explained: true });
        },
      ),
      { numRuns: 25 },
    );
  }, 600_000);

  it('reclaims an orphaned archive: a publish that died before its commit does not move the next version', async () => {
    const container = BlobServiceClient.fromConnectionString(t.azurite.connectionString).getContainerClient(t.container);
    const orphan = Buffer.from('left by a publish that crashed before its commit');
    await container.getBlockBlobClient(`catalog/${tenant}/orphaned/v1.0.0.scaipkg`).upload(orphan, orphan.length);

    expect(await publish('orphaned', '1.0.0')).toEqual({ version: '1.0.0' });
    const install = await t.gql<{ installCatalogPackage: { flow: { name: string } } }>(
      token,
      `mutation { installCatalogPackage(packageId: "orphaned") { flow } }`,
    );
    // The archive served is the one published (its sha256 is checked on install), not the orphan.
    expect(install.body.errors).toBeUndefined();
    expect(install.body.data!.installCatalogPackage.flow.name).toBe('Copy of v1.0.0');
  }, 60_000);
});
