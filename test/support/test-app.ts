import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createApp, type App, type AppOptions } from '../../src/app';
import { configWith, type QuotaLimits, type Tuning, type AppConfig, type DatabaseConfig, type EdgeConfig, type RateLimitConfig } from '../../src/config';
import { createLogger } from '../../src/common/logger';
import { createOrm } from '../../src/infra/db/orm';
import type { EmbeddedAzurite } from '../../src/infra/blob/embedded-azurite';
import { listBlobNames, startTestAzurite, uniqueContainerName } from './azurite';
import { startTestIssuer, type TestIssuer, type TokenSubject } from './oidc-issuer';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';

/**
 * The real app for integration tests, built exactly like production: PGlite in memory (or a fresh
 * PostgreSQL database when TEST_DATABASE_URL is set, as in CI), an in-memory Azurite, and a real
 * local OIDC issuer. One per test file; `reset()` empties the tables between tests.
 */
export interface TestApp {
  url: string;
  app: App;
  issuer: TestIssuer;
  azurite: EmbeddedAzurite;
  container: string;
  config: AppConfig;
  /** With `viaProxies`: the proxies in front of PostgreSQL (null on PGlite) and Azurite. */
  proxies: { database: TcpProxy | null; blob: TcpProxy } | null;
  /** SQL statements seen since the last `sqlLog.length = 0`. */
  sqlLog: string[];
  token(who: Partial<TokenSubject>): Promise<string>;
  gql<T = any>(token: string | null, query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GqlResponse<T>>;
  blobNames(prefix?: string): Promise<string[]>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

export interface GqlResponse<T> {
  status: number;
  body: { data?: T | null; errors?: { message: string; path?: string[]; extensions?: Record<string, any> }[] };
}

export const ALL_SCOPES = 'scaicore:view scaicore:manage';

/** A tenant id unused by other tests, so that tests never see each other's packages or blobs. */
export function uniqueTenant(prefix = 't'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/**
 * Tests send many requests a minute: the harness raises the rate limits far above them unless a
 * test sets `edge.rateLimit` itself (test/rate-limit.spec.ts).
 */
export type TestEdgeOverrides = Omit<Partial<EdgeConfig>, 'rateLimit'> & { rateLimit?: Partial<RateLimitConfig> };

export const TEST_RATE_LIMITS = { tenantReads: 1_000_000, tenantWrites: 1_000_000, callerReads: 1_000_000, callerWrites: 1_000_000 };

export async function startTestApp(
  overrides: Partial<Pick<AppConfig, 'routerSecret' | 'flowsApiUrl' | 'nodeEnv'>> & {
    tuning?: Partial<Tuning>;
    quotas?: Partial<QuotaLimits>;
    edge?: TestEdgeOverrides;
    /** Puts a TCP proxy (test/support/tcp-proxy.ts) between the app and PostgreSQL and Azurite. */
    viaProxies?: boolean;
  } = {},
  options: AppOptions = {},
): Promise<TestApp> {
  const { viaProxies, ...configOverrides } = overrides;
  const issuer = await startTestIssuer();
  const azurite = await startTestAzurite();
  const container = uniqueContainerName();
  const { database: direct, dropDatabase } = await testDatabase();
  const proxies = viaProxies ? await startProxies(direct, azurite.connectionString) : null;
  const database: DatabaseConfig =
    proxies?.database && direct.kind === 'postgres' ? { kind: 'postgres', url: throughProxy(direct.url, proxies.database) } : direct;
  const blobConnectionString = proxies ? azurite.connectionString.replace(/:\d+\//, `:${proxies.blob.port}/`) : azurite.connectionString;
  const sqlLog: string[] = [];
  const defaults = configWith({ nodeEnv: 'test', database });
  const config: AppConfig = {
    ...defaults,
    port: 0,
    host: '127.0.0.1',
    dataDir: '/nonexistent',
    nodeEnv: 'test',
    logLevel: 'silent',
    database,
    blob: { kind: 'connection-string', connectionString: blobConnectionString, container },
    auth: { kind: 'oidc', issuer: issuer.issuer, audience: issuer.audience },
    flowsApiUrl: null,
    routerSecret: null,
    migrate: true,
    ...configOverrides,
    tuning: { ...defaults.tuning, ...configOverrides.tuning },
    quotas: { ...defaults.quotas, ...configOverrides.quotas },
    edge: { ...defaults.edge, ...overrides.edge, rateLimit: { ...defaults.edge.rateLimit, ...TEST_RATE_LIMITS, ...overrides.edge?.rateLimit } },
  };
  const app = await createApp(config, {
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    onQuery: (sql) => sqlLog.push(sql),
    ...options,
  });
  await new Promise<void>((resolve) => app.httpServer.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(app.httpServer.address() as AddressInfo).port}`;
  const tables = app.orm.getMetadata().getAll();

  return {
    url,
    app,
    issuer,
    azurite,
    container,
    config,
    proxies,
    sqlLog,
    token: (who) =>
      issuer.tokenFor({ tenant: 'acme', user: 'alice', email: `${who.user ?? 'alice'}@example.test`, scopes: ALL_SCOPES, ...who }),
    async gql(token, query, variables, headers = {}) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, body: (await response.json()) as GqlResponse<any>['body'] };
    },
    blobNames: (prefix) => listBlobNames(azurite.connectionString, container, prefix),
    async reset() {
      const names = [...tables.values()].map((meta) => `"${meta.tableName}"`);
      await app.orm.em.fork().getConnection().execute(`truncate ${names.join(', ')} cascade`);
    },
    async close() {
      await app.close();
      await proxies?.database?.close();
      await proxies?.blob.close();
      await dropDatabase();
      await azurite.stop();
      await issuer.close();
    },
  };
}

/** A proxy in front of Azurite, and one in front of PostgreSQL when there is a server (PGlite is in-process). */
async function startProxies(database: DatabaseConfig, azuriteConnectionString: string) {
  const blobPort = Number(/:(\d+)\//.exec(azuriteConnectionString)![1]);
  const server = database.kind === 'postgres' ? new URL(database.url) : null;
  return {
    database: server ? await startTcpProxy(server.hostname, Number(server.port || 5432)) : null,
    blob: await startTcpProxy('127.0.0.1', blobPort),
  };
}

function throughProxy(databaseUrl: string, proxy: TcpProxy): string {
  const url = new URL(databaseUrl);
  url.host = proxy.address;
  return url.toString();
}

/** PGlite in memory, or a database of its own on the server named by TEST_DATABASE_URL. */
async function testDatabase(): Promise<{ database: DatabaseConfig; dropDatabase: () => Promise<void> }> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) return { database: { kind: 'pglite', dataDir: ':memory:' }, dropDatabase: async () => {} };
  const name = `catalog_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = await createOrm({ kind: 'postgres', url: serverUrl });
  try {
    await admin.em.fork().getConnection().execute(`create database "${name}"`);
  } finally {
    await admin.close();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    database: { kind: 'postgres', url: url.toString() },
    async dropDatabase() {
      const again = await createOrm({ kind: 'postgres', url: serverUrl });
      try {
        await again.em.fork().getConnection().execute(`drop database if exists "${name}" with (force)`);
      } finally {
        await again.close();
      }
    },
  };
}
