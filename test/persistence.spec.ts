import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../src/app';
import { loadConfig, type AppConfig } from '../src/config';
import { configProblemsOf } from './support/config-problems';
import { findFreePort } from '../src/infra/blob/embedded-azurite';
import { InstallPackageDocument, ListPackageNodesDocument, PublishPackageStampDocument } from './generated/graphql';
import { request } from './support/graphql-client';

/**
 * The embedded defaults (no DATABASE_URL, no AZURE_STORAGE_CONNECTION_STRING, no OIDC_ISSUER):
 * PGlite and fsync'ed blob files on disk under DATA_DIR and the development issuer, built from the environment
 * by `loadConfig` exactly as `npm start` does. Data and the signing key survive a restart.
 */

jest.setTimeout(120_000);

const FLOW = {
  id: 'flow-1',
  name: 'Persisted flow',
  nodes: [
    { id: 'start', type: 'trigger.manual', config: { note: 'kept across restarts' } },
    { id: 'end', type: 'log.write' },
  ],
  edges: [{ source: 'start', target: 'end' }],
};

async function listen(config: AppConfig): Promise<{ app: App; base: string }> {
  const app = await createApp(config);
  try {
    await new Promise<void>((resolve, reject) => {
      app.httpServer.once('error', reject);
      app.httpServer.listen(config.port, config.host, resolve);
    });
  } catch (error) {
    await app.close();
    throw error;
  }
  return { app, base: `http://${config.host}:${config.port}` };
}

describe('embedded defaults across a restart', () => {
  let dataDir: string;
  let running: App | null = null;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'catalog-persistence-'));
  });
  afterEach(async () => {
    await running?.close();
    running = null;
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps packages, archives and the development signing key', async () => {
    // The development issuer's URL includes the port, so the restart must use the same one.
    const config = loadConfig({ DATA_DIR: dataDir, PORT: String(await findFreePort()), LOG_LEVEL: 'silent', METRICS_PORT: 'off' });
    expect(config.database).toEqual({ kind: 'pglite', dataDir: path.join(dataDir, 'pglite') });
    expect(config.blob).toMatchObject({ kind: 'files', directory: path.join(dataDir, 'blobs'), container: 'catalog' });
    expect(config.auth.kind).toBe('dev-issuer');

    // First run: publish twice.
    let { app, base } = await listen(config);
    running = app;
    expect(app.devIssuer).not.toBeNull();
    const token = await app.devIssuer!.signToken(
      { sub: 'alice', tid: 'acme', email: 'alice@acme.example', scope: 'scaicore:view scaicore:manage' },
      { audience: config.auth.audience, expiresIn: '1h' },
    );

    const healthz = await fetch(`${base}/healthz`);
    expect(healthz.status).toBe(200);
    const readyz = await fetch(`${base}/readyz`);
    expect(readyz.status).toBe(200);
    expect(await readyz.json()).toMatchObject({ database: 'ok', blobStorage: 'ok' });

    const input = { packageId: 'persisted', name: 'Persisted', version: '0.1.0', readme: '# hi', content: FLOW };
    const first = await request(`${base}/graphql`, PublishPackageStampDocument, { input }, token);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data!.publishCatalogPackage.version).toBe('0.1.0');
    const second = await request(`${base}/graphql`, PublishPackageStampDocument, { input }, token);
    expect(second.body.data!.publishCatalogPackage.version).toBe('0.1.1');
    const id = first.body.data!.publishCatalogPackage.id as string;

    await app.close();
    running = null;

    // Everything lives under DATA_DIR.
    for (const dir of ['pglite', 'blobs', 'dev-issuer']) expect((await stat(path.join(dataDir, dir))).isDirectory()).toBe(true);

    // Second run, same DATA_DIR: the token minted before the restart still verifies.
    ({ app, base } = await listen(loadConfig({ DATA_DIR: dataDir, PORT: String(config.port), LOG_LEVEL: 'silent', METRICS_PORT: 'off' })));
    running = app;

    const listed = await request(`${base}/graphql`, ListPackageNodesDocument, {}, token);
    expect(listed.status).toBe(200);
    expect(listed.body.errors).toBeUndefined();
    expect(listed.body.data!.catalogPackages.edges).toEqual([{ node: { id, packageId: 'persisted', name: 'Persisted', version: '0.1.1' } }]);

    const installed = await request(`${base}/graphql`, InstallPackageDocument, { packageId: 'persisted' }, token);
    expect(installed.body.errors).toBeUndefined();
    expect(installed.body.data!.installCatalogPackage.metadata).toEqual({
      tenantId: 'acme',
      packageId: 'persisted',
      name: 'Persisted',
      version: '0.1.1',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      authorEmail: 'alice@acme.example',
      deprecation: null,
    });
    expect(installed.body.data!.installCatalogPackage.flow).toMatchObject({
      name: 'Copy of Persisted flow',
      nodes: FLOW.nodes,
      edges: FLOW.edges,
    });

    // The version history survived too: republishing the latest continues from it, and a version
    // below everything published is still a regression.
    const third = await request(`${base}/graphql`, PublishPackageStampDocument, { input: { ...input, version: '0.1.1' } }, token);
    expect(third.body.errors).toBeUndefined();
    expect(third.body.data!.publishCatalogPackage.version).toBe('0.1.2');
    const older = await request(`${base}/graphql`, PublishPackageStampDocument, { input: { ...input, version: '0.0.9' } }, token);
    expect(older.body.errors?.[0]?.extensions?.code).toBe('VERSION_REGRESSION');

    const readyAgain = await fetch(`${base}/readyz`);
    expect(readyAgain.status).toBe(200);
  });
});

describe('loadConfig', () => {
  it('gives the embedded defaults (README, "Configuration") for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4001,
      host: '127.0.0.1',
      dataDir: path.resolve('.data'),
      database: { kind: 'pglite', dataDir: path.resolve('.data', 'pglite') },
      blob: { kind: 'files', directory: path.resolve('.data', 'blobs'), importAzuriteFrom: path.resolve('.data', 'azurite'), container: 'catalog' },
      auth: { kind: 'dev-issuer' },
      flowsApiUrl: null,
      routerSecret: null,
      migrate: true,
    });
  });

  it('uses the servers it is given', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u@db.example:5432/catalog',
      AZURE_STORAGE_CONNECTION_STRING: 'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net',
      CATALOG_BLOB_CONTAINER: 'packages',
      OIDC_ISSUER: 'https://login.example/tenant/v2.0',
      OIDC_AUDIENCE: 'api://catalog',
      FLOWS_API_URL: 'https://flows.example',
      ROUTER_SECRET: 's3cret',
      MIGRATE: 'false',
      NODE_ENV: 'production',
      CATALOG_SIGNING_KEY_FILE: '/run/secrets/catalog-signing-key',
    });
    expect(config).toMatchObject({
      database: { kind: 'postgres', url: 'postgres://u@db.example:5432/catalog' },
      blob: { kind: 'connection-string', container: 'packages' },
      auth: { kind: 'oidc', issuer: 'https://login.example/tenant/v2.0', audience: 'api://catalog' },
      flowsApiUrl: 'https://flows.example',
      routerSecret: 's3cret',
      migrate: false,
      signing: { kind: 'configured', currentKey: { file: '/run/secrets/catalog-signing-key' }, retiredKeysFile: null },
    });
  });

  it('lists every problem at once', () => {
    const problems = configProblemsOf({ PORT: 'eighty', DATABASE_URL: 'mysql://db.example/catalog', LOG_LEVEL: 'loud' });
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^PORT: /), expect.stringMatching(/^LOG_LEVEL: /), expect.stringMatching(/^DATABASE_URL: .*postgres/)]),
    );
    expect(problems).toHaveLength(3);
  });

  it('refuses NODE_ENV=production without OIDC_ISSUER/OIDC_AUDIENCE', () => {
    const signed = { NODE_ENV: 'production', CATALOG_SIGNING_KEY_FILE: '/run/secrets/key' };
    expect(configProblemsOf(signed)).toEqual([expect.stringMatching(/OIDC_ISSUER.*OIDC_AUDIENCE.*production/)]);
    expect(configProblemsOf({ ...signed, OIDC_ISSUER: 'https://login.example' })).toEqual([
      expect.stringMatching(/OIDC_ISSUER and OIDC_AUDIENCE must be set together/),
    ]);
    // Without a signing key as well, both are listed.
    expect(configProblemsOf({ NODE_ENV: 'production' })).toEqual([
      expect.stringMatching(/OIDC_ISSUER.*production/),
      expect.stringMatching(/CATALOG_SIGNING_KEY/),
    ]);
  });

  it('lists problems between variables together with bad values', () => {
    const problems = configProblemsOf({ NODE_ENV: 'production', PORT: '70000', DATABASE_URL: 'mysql://db.example/catalog', CATALOG_SIGNING_KEY_FILE: '/k' });
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^PORT: /), expect.stringMatching(/^DATABASE_URL: /), expect.stringMatching(/OIDC_ISSUER.*production/)]),
    );
    expect(problems).toHaveLength(3);
    // The message shows them all, one per line.
    let message = '';
    try {
      loadConfig({ NODE_ENV: 'production', PORT: '70000' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/PORT[\s\S]*OIDC_ISSUER/);
  });
});
