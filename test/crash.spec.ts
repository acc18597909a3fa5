import { createHash } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { Client } from 'pg';
import type { EmbeddedAzurite } from '../src/infra/blob/embedded-azurite';
import { startTestAzurite, uniqueContainerName } from './support/azurite';
import { UNLIMITED_ENV, buildOnce, sleep, startCatalog } from './support/catalog-process';
import { createTestDatabase, type TestDatabase } from './support/database';
import { flowContent } from './support/flows';
import { startTestIssuer, type TestIssuer } from './support/oidc-issuer';

/**
 * `kill -9` in the middle of publishing, ten times over (PostgreSQL only: PGlite lives in the
 * process). Afterwards every version row has its blob with its sha256, and a publish that died
 * (before or after its upload, before or after its commit) never moves the version the next
 * publish of that package gets: re-asking the same version answers exactly it.
 */
jest.setTimeout(300_000);

const CYCLES = Number(process.env.CRASH_ROUNDS ?? 10);
const PACKAGES = ['crash-a', 'crash-b', 'crash-c', 'crash-d'];
const PUBLISH = 'mutation($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { version } }';
const LATEST = 'query($p: String!) { catalogPackage(packageId: $p) { version } }';

const describeOnPostgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;

describeOnPostgres('kill -9 during publishes', () => {
  let issuer: TestIssuer;
  let azurite: EmbeddedAzurite;
  let database: TestDatabase;
  const container = uniqueContainerName('crash');

  beforeAll(async () => {
    await buildOnce();
    [issuer, azurite, database] = await Promise.all([startTestIssuer(), startTestAzurite(), createTestDatabase()]);
  });
  afterAll(async () => {
    await database?.drop();
    await azurite?.stop();
    await issuer?.close();
  });

  it(`keeps every row backed by its blob and every next version exact across ${CYCLES} kills`, async () => {
    const token = await issuer.tokenFor({ tenant: 'crash', user: 'alice', email: 'alice@example.test', scopes: 'scaicore:view scaicore:manage' });
    /** Per package: the patch number of the version to ask for next, and how many attempts so far. */
    const state = new Map(PACKAGES.map((id) => [id, { next: 0, attempts: 0 }]));
    let published = 0;
    let killedInFlight = 0;

    for (let cycle = 0; cycle < CYCLES; cycle += 1) {
      const app = await startCatalog({
        DATABASE_URL: database.url!,
        AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
        CATALOG_BLOB_CONTAINER: container,
        OIDC_ISSUER: issuer.issuer,
        OIDC_AUDIENCE: issuer.audience,
        ...UNLIMITED_ENV,
      });
      const gql = async (query: string, variables: Record<string, unknown>) => {
        const response = await fetch(`${app.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query, variables }),
        });
        return (await response.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
      };

      // A publish cut off by the previous kill may have committed: then its version is taken.
      for (const [packageId, s] of state) {
        const latest = (await gql(LATEST, { p: packageId })).data?.catalogPackage?.version;
        if (latest === `1.0.${s.next}`) s.next += 1;
      }

      let alive = true;
      const workers = [...state].map(async ([packageId, s]) => {
        while (alive) {
          const asked = `1.0.${s.next}`;
          s.attempts += 1;
          let answer;
          try {
            // Content differs per attempt, so an orphan left at this name never matches the retry.
            answer = await gql(PUBLISH, { input: { packageId, name: packageId, version: asked, content: flowContent(`${packageId} #${s.attempts}`) } });
          } catch {
            killedInFlight += 1;
            return; // the process died under this request
          }
          expect(answer.errors).toBeUndefined();
          expect(answer.data.publishCatalogPackage.version).toBe(asked);
          s.next += 1;
          published += 1;
        }
      });
      await sleep(200 + Math.random() * 1_500);
      alive = false;
      app.child.kill('SIGKILL');
      await Promise.all([app.exit, ...workers]);
    }

    // Every committed version's archive is there, byte for byte.
    const client = new Client({ connectionString: database.url! });
    await client.connect();
    const rows = (await client.query<{ blob_name: string; sha256: string }>('select blob_name, sha256 from catalog_package_version')).rows;
    await client.end();
    const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(container);
    for (const row of rows) {
      const bytes = await blobs.getBlobClient(row.blob_name).downloadToBuffer();
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(row.sha256);
    }
    expect(rows.length).toBeGreaterThanOrEqual(published);
    // Blobs no row points at: uploads cut off before their commit (the retry replaced those it reached).
    const names = new Set(rows.map((row) => row.blob_name));
    let orphans = 0;
    for await (const blob of blobs.listBlobsFlat()) if (!names.has(blob.name)) orphans += 1;
    console.log(
      `crash: ${CYCLES} kills, ${published} publishes answered, ${killedInFlight} cut off, ${rows.length} version rows (all blobs verified), ${orphans} orphan blobs left`,
    );
  });
});
