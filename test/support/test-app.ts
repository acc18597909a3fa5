import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { createApp, type App, type AppOptions } from '../../src/app';
import { loadConfig, type QuotaLimits, type Tuning, type AppConfig, type DatabaseConfig, type EdgeConfig, type RateLimitConfig } from '../../src/config';
import { createLogger } from '../../src/common/logger';
import type { EmbeddedAzurite } from '../../src/infra/blob/embedded-azurite';
import { listBlobNames, startTestAzurite, uniqueContainerName } from './azurite';
import { createTestDatabase } from './database';
import { bearer, postQuery, request, type GqlResponse } from './graphql-client';
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
  /** A typed document from test/generated, as `token` (see graphql-client.ts). */
  request<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
    token: string | null,
    headers?: Record<string, string>,
  ): Promise<GqlResponse<TData>>;
  /** A raw query string: for tests whose point is the query itself (malformed, hostile, too big). */
  gql<T = any>(token: string | null, query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GqlResponse<T>>;
  blobNames(prefix?: string): Promise<string[]>;
  reset(): Promise<void>;
  close(): Promise<void>;
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

/** One provenance signing key per test process, given as production gives it (never written to disk). */
const TEST_SIGNING_KEY = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

export const TEST_RATE_LIMITS = { tenantReads: 1_000_000, tenantWrites: 1_000_000, callerReads: 1_000_000, callerWrites: 1_000_000 };

export async function startTestApp(
  overrides: Partial<Pick<AppConfig, 'routerSecret' | 'flowsApiUrl' | 'nodeEnv' | 'metricsPort' | 'signing'>> & {
    tuning?: Partial<Tuning>;
    quotas?: Partial<QuotaLimits>;
    edge?: TestEdgeOverrides;
    /** Puts a TCP proxy (test/support/tcp-proxy.ts) between the app and PostgreSQL and Azurite. */
    viaProxies?: boolean;
    /** On PostgreSQL: the read replicas' URLs (`DATABASE_REPLICA_URLS`) for the test's database name. */
    replicaUrls?: (databaseName: string) => string[];
  } = {},
  options: AppOptions = {},
): Promise<TestApp> {
  const { viaProxies, replicaUrls, ...configOverrides } = overrides;
  const issuer = await startTestIssuer();
  const azurite = await startTestAzurite();
  const container = uniqueContainerName();
  const testDatabase = await createTestDatabase();
  const direct = testDatabase.config;
  const proxies = viaProxies ? await startProxies(direct, azurite.connectionString) : null;
  const primary: DatabaseConfig =
    proxies?.database && direct.kind === 'postgres' ? { kind: 'postgres', url: throughProxy(direct.url, proxies.database) } : direct;
  const database: DatabaseConfig =
    replicaUrls && primary.kind === 'postgres' ? { ...primary, replicaUrls: replicaUrls(new URL(primary.url).pathname.slice(1)) } : primary;
  const blobConnectionString = proxies ? azurite.connectionString.replace(/:\d+\//, `:${proxies.blob.port}/`) : azurite.connectionString;
  const sqlLog: string[] = [];
  // The defaults `npm start` would take for this NODE_ENV (production turns playground and introspection off).
  const defaults = loadConfig({
    NODE_ENV: overrides.nodeEnv ?? 'test',
    OIDC_ISSUER: issuer.issuer,
    OIDC_AUDIENCE: issuer.audience,
    METRICS_PORT: 'off',
    CATALOG_SIGNING_KEY: TEST_SIGNING_KEY,
    ...(database.kind === 'postgres' ? { DATABASE_URL: database.url } : {}),
  });
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
    token: (who) => issuer.tokenFor({ tenant: 'acme', user: 'alice', email: `${who.user ?? 'alice'}@example.test`, scopes: ALL_SCOPES, ...who }),
    request: (document, variables, token, headers) => request(`${url}/graphql`, document, variables, token, headers),
    gql: (token, query, variables, headers = {}) => postQuery(`${url}/graphql`, query, variables, { ...(token ? bearer(token) : {}), ...headers }),
    blobNames: (prefix) => listBlobNames(azurite.connectionString, container, prefix),
    async reset() {
      const names = [...tables.values()].map((meta) => `"${meta.tableName}"`);
      await app.orm.em
        .fork()
        .getConnection()
        .execute(`truncate ${names.join(', ')} cascade`);
    },
    async close() {
      await app.close();
      await proxies?.database?.close();
      await proxies?.blob.close();
      await testDatabase.drop();
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
