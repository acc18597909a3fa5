import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEV_ISSUER_AUDIENCE } from '../src/config';
import { DevIssuer, devIssuerUrl } from '../src/infra/auth/dev-issuer';
import { findFreePort } from '../src/infra/blob/embedded-azurite';
import { UNLIMITED_ENV, buildOnce, sleep, startCatalog, type RunningCatalog } from './support/catalog-process';
import { flowContent } from './support/flows';

/**
 * The zero-setup start (`npm start` with no settings: PGlite and blob files under DATA_DIR, the
 * development issuer) killed with `kill -9` of its whole process group in the middle of
 * concurrent publishes, ten times over. After each restart, every publish that was answered
 * installs: its bytes are there, with the sha256 its version row records, holding the flow that
 * was sent. The PostgreSQL + Azurite variant is test/crash.spec.ts.
 */
jest.setTimeout(600_000);

const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 10);
const PACKAGES = ['crash-a', 'crash-b', 'crash-c', 'crash-d'];
const PUBLISH = 'mutation($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { version } }';
const INSTALL = `mutation($p: String!, $v: String) { installCatalogPackage(packageId: $p, version: $v) { flow metadata { version sha256 } } }`;
const LATEST = 'query($p: String!) { catalogPackage(packageId: $p) { version } }';
const VERSIONS = `query($p: String!, $after: String) {
  catalogPackage(packageId: $p) { versions(first: 100, after: $after) { edges { node { version sha256 } } pageInfo { hasNextPage endCursor } } }
}`;

// PGlite lives in the service's process: the embedded default is the same in both runs of the
// suite, so the PostgreSQL run (TEST_DATABASE_URL) skips it.
const embeddedOnly = process.env.TEST_DATABASE_URL ? describe.skip : describe;

interface Answer {
  data?: any;
  errors?: { message: string; extensions?: { code?: string } }[];
}

embeddedOnly('kill -9 of the zero-setup start during publishes', () => {
  let dataDir: string;

  beforeAll(async () => {
    await buildOnce();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'catalog-crash-embedded-'));
  });
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it(`installs every acknowledged publish with its sha256 after ${ROUNDS} kills`, async () => {
    // The development issuer's URL holds the port: every round serves on the same one.
    const port = await findFreePort();
    /** Acknowledged publishes: package → version → the flow name sent with it. */
    const acknowledged = new Map<string, Map<string, string>>(PACKAGES.map((id) => [id, new Map()]));
    const next = new Map(PACKAGES.map((id) => [id, 0]));
    let attempts = 0;
    let cutOff = 0;
    let token = '';

    for (let round = 0; round < ROUNDS; round += 1) {
      const app = await startCatalog({ DATA_DIR: dataDir, PORT: String(port), ...UNLIMITED_ENV }, 120_000, { processGroup: true });
      if (!token) {
        const issuer = await DevIssuer.loadOrCreate(path.join(dataDir, 'dev-issuer'), devIssuerUrl('127.0.0.1', port));
        token = await issuer.signToken(
          { sub: 'alice', tid: 'crash', email: 'alice@example.test', scope: 'scaicore:view scaicore:manage' },
          { audience: DEV_ISSUER_AUDIENCE, expiresIn: '2h' },
        );
      }
      const gql = (query: string, variables: Record<string, unknown>) => post(app, token, query, variables);
      // Everything acknowledged before this restart is still there (checked each round, not only at the end).
      await expectAllInstall(gql, acknowledged);
      // A publish cut off by the kill may have committed: its version is then taken.
      for (const packageId of PACKAGES) {
        const latest = (await gql(LATEST, { p: packageId })).data?.catalogPackage?.version as string | undefined;
        if (latest) next.set(packageId, Number(latest.split('.')[2]) + 1);
      }

      let alive = true;
      const workers = PACKAGES.map(async (packageId) => {
        while (alive) {
          const version = `1.0.${next.get(packageId)!}`;
          const name = `${packageId} #${(attempts += 1)}`;
          let answer: Answer;
          try {
            answer = await gql(PUBLISH, { input: { packageId, name: packageId, version, content: flowContent(name) } });
          } catch {
            cutOff += 1;
            return; // the process died under this request
          }
          expect(answer.errors).toBeUndefined();
          expect(answer.data.publishCatalogPackage.version).toBe(version);
          acknowledged.get(packageId)!.set(version, name);
          next.set(packageId, next.get(packageId)! + 1);
        }
      });
      await sleep(300 + Math.random() * 1_500);
      alive = false;
      process.kill(-app.child.pid!, 'SIGKILL');
      await Promise.all([app.exit, ...workers]);
    }

    const last = await startCatalog({ DATA_DIR: dataDir, PORT: String(port), ...UNLIMITED_ENV }, 120_000, { processGroup: true });
    try {
      const checked = await expectAllInstall((q, v) => post(last, token, q, v), acknowledged);
      const total = [...acknowledged.values()].reduce((n, versions) => n + versions.size, 0);
      expect(checked.installed).toBe(total);
      expect(total).toBeGreaterThan(ROUNDS);
      console.log(
        `crash (embedded): ${ROUNDS} kills of the process group, ${total} publishes acknowledged, ${cutOff} cut off, ` +
          `${checked.rows} version rows, ${checked.installed} acknowledged installs verified, ${checked.broken} broken rows`,
      );
    } finally {
      process.kill(-last.child.pid!, 'SIGKILL');
      await last.exit;
    }
  });
});

async function post(app: RunningCatalog, token: string, query: string, variables: Record<string, unknown>): Promise<Answer> {
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(30_000),
  });
  return (await response.json()) as Answer;
}

/**
 * Installs every acknowledged version and every version row: each answers with the sha256 its
 * row records, and an acknowledged one with the flow that was sent. A row whose install fails
 * is a broken row (its archive is gone); there must be none.
 */
async function expectAllInstall(
  gql: (query: string, variables: Record<string, unknown>) => Promise<Answer>,
  acknowledged: Map<string, Map<string, string>>,
): Promise<{ rows: number; installed: number; broken: number }> {
  let rows = 0;
  let installed = 0;
  let broken = 0;
  for (const [packageId, versions] of acknowledged) {
    const shaOf = new Map<string, string>();
    for (let after: string | null = null, more = true; more;) {
      const listed = await gql(VERSIONS, { p: packageId, after });
      expect(listed.errors).toBeUndefined();
      const page = listed.data.catalogPackage?.versions;
      for (const { node } of page?.edges ?? []) shaOf.set(node.version, node.sha256);
      more = page?.pageInfo.hasNextPage ?? false;
      after = page?.pageInfo.endCursor ?? null;
    }
    for (const version of versions.keys()) expect(shaOf.has(version)).toBe(true);
    for (const [version, sha256] of shaOf) {
      rows += 1;
      const install = await gql(INSTALL, { p: packageId, v: version });
      if (install.errors || install.data.installCatalogPackage.metadata.sha256 !== sha256) {
        broken += 1;
        console.log(`broken row ${packageId}@${version}: ${JSON.stringify(install.errors ?? install.data)}`);
        continue;
      }
      const sent = versions.get(version);
      if (sent !== undefined) {
        expect(install.data.installCatalogPackage.flow.name).toBe(`Copy of ${sent}`);
        installed += 1;
      }
    }
  }
  expect(broken).toBe(0);
  return { rows, installed, broken };
}
