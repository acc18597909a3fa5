import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/common/logger';
import type { Caller } from '../src/common/caller';
import { Database } from '../src/infra/db/database';
import { registry } from '../src/infra/metrics/metrics';
import { RateLimiter } from '../src/modules/ratelimit/rate-limit.service';
import { closedPort } from './support/closed-port';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

// Some tests start two apps; on a busy machine each start takes tens of seconds.
jest.setTimeout(180_000);

const LIST = '{ catalogPackages(first: 1) { edges { node { id } } } }';
const DELETE = 'mutation { deleteCatalogPackage(packageId: "nothing-here") }';

/** Long windows, so that a test never straddles two of them (and `waitForFreshWindow` makes sure). */
const WINDOW_SECONDS = 3600;
const LIMITS = { windowSeconds: WINDOW_SECONDS, tenantReads: 4, callerReads: 2, tenantWrites: 3, callerWrites: 1 };

/** Keys of this run only, so that runs sharing the Redis server never share a budget. */
const redisStore = () => ({ store: 'redis' as const, keyPrefix: `catalog-rl-test-${randomBytes(6).toString('hex')}` });

async function waitForFreshWindow(windowSeconds: number, margin = 10): Promise<void> {
  const intoWindow = (Date.now() / 1000) % windowSeconds;
  if (windowSeconds - intoWindow < margin) await new Promise((resolve) => setTimeout(resolve, (windowSeconds - intoWindow + 0.1) * 1000));
}

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function post(t: TestApp, token: string, query: string): Promise<Answer> {
  const response = await fetch(`${t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

function limitHeaders(answer: Answer) {
  return {
    limit: answer.headers.get('x-ratelimit-limit'),
    remaining: answer.headers.get('x-ratelimit-remaining'),
    reset: Number(answer.headers.get('x-ratelimit-reset')),
    retryAfter: answer.headers.get('retry-after'),
  };
}

describe.each([['memory'], ['database'], ['redis']] as const)('rate limits (%s store)', (store) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ edge: { rateLimit: { ...(store === 'redis' ? redisStore() : { store }), ...LIMITS } } });
  });
  afterAll(() => t.close());
  beforeEach(() => waitForFreshWindow(WINDOW_SECONDS));

  it('counts reads per caller, with X-RateLimit headers, and answers 429 + Retry-After past the limit', async () => {
    const token = await t.token({ tenant: uniqueTenant(), user: 'alice' });
    const first = await post(t, token, LIST);
    expect(first.status).toBe(200);
    expect(limitHeaders(first)).toMatchObject({ limit: '2', remaining: '1', retryAfter: null });
    expect(limitHeaders(first).reset).toBeGreaterThan(0);
    expect(limitHeaders(first).reset).toBeLessThanOrEqual(WINDOW_SECONDS);
    expect(limitHeaders(await post(t, token, LIST))).toMatchObject({ limit: '2', remaining: '0' });

    t.sqlLog.length = 0;
    const refused = await post(t, token, LIST);
    expect(refused.status).toBe(429);
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors).toEqual([
      { message: expect.stringMatching(/^Too many reads: the limit is 2 per window; retry in \d+ s$/), extensions: { code: 'TOO_MANY_REQUESTS' } },
    ]);
    const headers = limitHeaders(refused);
    expect(headers).toMatchObject({ limit: '2', remaining: '0' });
    expect(Number(headers.retryAfter)).toBe(headers.reset);
    // Refused before any resolver: no catalog SQL at all.
    expect(t.sqlLog.filter((sql) => /catalog_/.test(sql))).toEqual([]);
  });

  it('shares one budget per tenant between its callers, and keeps tenants apart', async () => {
    const tenant = uniqueTenant();
    const alice = await t.token({ tenant, user: 'alice' });
    const bob = await t.token({ tenant, user: 'bob' });
    const carol = await t.token({ tenant, user: 'carol' });
    expect((await post(t, alice, LIST)).status).toBe(200);
    expect((await post(t, alice, LIST)).status).toBe(200);
    expect((await post(t, bob, LIST)).status).toBe(200);
    const lastOfTenant = await post(t, bob, LIST);
    expect(lastOfTenant.status).toBe(200);
    expect(limitHeaders(lastOfTenant)).toMatchObject({ remaining: '0' });
    // carol has her own caller budget left, but the tenant's is spent.
    const refused = await post(t, carol, LIST);
    expect(refused.status).toBe(429);
    expect(limitHeaders(refused)).toMatchObject({ limit: '4', remaining: '0' });

    const elsewhere = await t.token({ tenant: uniqueTenant(), user: 'alice' });
    expect((await post(t, elsewhere, LIST)).status).toBe(200);
  });

  it('counts writes (mutations) apart from reads', async () => {
    const token = await t.token({ tenant: uniqueTenant(), user: 'alice' });
    await post(t, token, LIST);
    await post(t, token, LIST);
    expect((await post(t, token, LIST)).status).toBe(429);

    const write = await post(t, token, DELETE);
    expect(write.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND'); // it ran
    expect(limitHeaders(write)).toMatchObject({ limit: '1', remaining: '0' });
    const refused = await post(t, token, DELETE);
    expect(refused.status).toBe(429);
    expect(refused.body.errors[0].message).toMatch(/^Too many writes: the limit is 1 per window/);
  });

  it('does not count documents refused by the request limits', async () => {
    const token = await t.token({ tenant: uniqueTenant(), user: 'alice' });
    for (let i = 0; i < 5; i += 1) expect((await post(t, token, '{ nope }')).status).toBe(400);
    expect(limitHeaders(await post(t, token, LIST))).toMatchObject({ remaining: '1' });
  });

  it('limits the REST shim too: GET is a read, other methods are writes', async () => {
    const token = await t.token({ tenant: uniqueTenant(), user: 'alice' });
    const get = () => fetch(`${t.url}/api/v1/catalog`, { headers: { authorization: `Bearer ${token}` } });
    const first = await get();
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
    await get();
    const refused = await get();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS', title: 'Too many requests' });

    const del = await fetch(`${t.url}/api/v1/catalog/nothing-here`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(del.status).toBe(404);
    expect(del.headers.get('x-ratelimit-limit')).toBe('1');
    const delAgain = await fetch(`${t.url}/api/v1/catalog/nothing-here`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(delAgain.status).toBe(429);
  });

  it('leaves requests without a valid token to authentication (401, not counted)', async () => {
    const response = await fetch(`${t.url}/api/v1/catalog`, { headers: { authorization: 'Bearer nope' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('x-ratelimit-limit')).toBeNull();
  });
});

describe('rate limit windows and stores', () => {
  const caller: Caller = {
    tenantId: 'acme',
    userId: 'alice',
    email: null,
    groups: [],
    permissions: new Set(),
    roles: new Set(),
  };

  it('starts counting again in the next window (Retry-After is honest)', async () => {
    const t = await startTestApp({ edge: { rateLimit: { store: 'memory', windowSeconds: 2, callerReads: 1 } } });
    try {
      await waitForFreshWindow(2, 1.5);
      const token = await t.token({ tenant: uniqueTenant(), user: 'alice' });
      expect((await post(t, token, LIST)).status).toBe(200);
      const refused = await post(t, token, LIST);
      expect(refused.status).toBe(429);
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(2);
      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 50));
      expect((await post(t, token, LIST)).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('keeps database counters shared by every instance that uses the same database', async () => {
    const t = await startTestApp();
    try {
      const db = new Database(t.app.orm, t.config.database.kind === 'pglite');
      const config = { store: 'database' as const, ...LIMITS };
      const logger = createLogger('silent');
      // Two limiters, as two instances of the service would have: they see each other's hits.
      const one = await RateLimiter.create(config, { db, logger });
      const two = await RateLimiter.create(config, { db, logger });
      await waitForFreshWindow(WINDOW_SECONDS);
      expect(await one.check(caller, 'read')).toMatchObject({ allowed: true, remaining: 1 });
      expect(await two.check(caller, 'read')).toMatchObject({ allowed: true, remaining: 0 });
      expect(await one.check(caller, 'read')).toMatchObject({ allowed: false, remaining: 0 });
      const rows = await t.app.orm.em.fork().getConnection().execute<{ points: number }[]>('select points from rate_limit_counter order by key');
      expect(rows.map((row: { points: number }) => Number(row.points))).toEqual([3, 3]);
    } finally {
      await t.close();
    }
  });
});

describe('the redis store', () => {
  it('gives two app instances one shared budget', async () => {
    const t = await startTestApp({ edge: { rateLimit: { ...redisStore(), ...LIMITS } } });
    // A second instance of the service: same config (so same Redis and key prefix), its own process state.
    const second = await createApp(t.config, { logger: createLogger('silent') });
    try {
      await new Promise<void>((resolve) => second.httpServer.listen(0, '127.0.0.1', resolve));
      const other = { ...t, url: `http://127.0.0.1:${(second.httpServer.address() as AddressInfo).port}` };
      const token = await t.token({ tenant: uniqueTenant(), user: 'alice' });
      expect(limitHeaders(await post(t, token, LIST))).toMatchObject({ limit: '2', remaining: '1' });
      expect(limitHeaders(await post(other, token, LIST))).toMatchObject({ limit: '2', remaining: '0' });
      expect((await post(t, token, LIST)).status).toBe(429);
      expect((await post(other, token, LIST)).status).toBe(429);
    } finally {
      await second.close();
      await t.close();
    }
  });

  it('lets requests through uncounted when Redis is down, with one warning and a metric', async () => {
    const lines: { level: number; msg: string; store?: string }[] = [];
    const logs = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const failuresBefore = await storeFailures();
    const t = await startTestApp(
      { edge: { rateLimit: { ...redisStore(), redisUrl: `redis://127.0.0.1:${await closedPort()}`, ...LIMITS } } },
      { logger: createLogger('warn', logs) },
    );
    try {
      const token = await t.token({ tenant: uniqueTenant(), user: 'alice' });
      for (let i = 0; i < 4; i += 1) {
        const answer = await post(t, token, LIST);
        expect(answer.status).toBe(200);
        expect(answer.headers.get('x-ratelimit-limit')).toBeNull();
      }
      const warnings = lines.filter((line) => line.msg === 'rate limit store unavailable; requests pass uncounted');
      expect(warnings).toEqual([expect.objectContaining({ level: 40, store: 'redis' })]);
      expect(await storeFailures()).toBeGreaterThanOrEqual(failuresBefore + 4);
    } finally {
      await t.close();
    }
  });
});

async function storeFailures(): Promise<number> {
  const metric = await registry.getSingleMetric('catalog_rate_limit_store_failures_total')!.get();
  return metric.values.find((value) => value.labels.store === 'redis')?.value ?? 0;
}

describe('rate limit configuration', () => {
  it('uses the database when DATABASE_URL is set, memory otherwise, and generous defaults', () => {
    expect(loadConfig({ DATA_DIR: '/tmp/x' }).edge?.rateLimit).toEqual({
      store: 'memory',
      windowSeconds: 60,
      tenantReads: 600,
      tenantWrites: 60,
      callerReads: 300,
      callerWrites: 30,
    });
    expect(loadConfig({ DATABASE_URL: 'postgres://localhost/x' }).edge?.rateLimit?.store).toBe('database');
  });

  it('takes Redis from REDIS_URL, or the local one, with RATE_LIMIT_STORE=redis', () => {
    expect(loadConfig({ RATE_LIMIT_STORE: 'redis' }).edge?.rateLimit).toMatchObject({ store: 'redis', redisUrl: 'redis://127.0.0.1:6379' });
    expect(loadConfig({ RATE_LIMIT_STORE: 'redis', REDIS_URL: 'redis://cache:6380/2' }).edge?.rateLimit?.redisUrl).toBe('redis://cache:6380/2');
    expect(() => loadConfig({ RATE_LIMIT_STORE: 'redis', REDIS_URL: 'http://cache' })).toThrow(/REDIS_URL/);
  });

  it('reads the limits from the environment', () => {
    const config = loadConfig({
      RATE_LIMIT_TENANT_READS_PER_MINUTE: '1000',
      RATE_LIMIT_TENANT_WRITES_PER_MINUTE: '100',
      RATE_LIMIT_CALLER_READS_PER_MINUTE: '500',
      RATE_LIMIT_CALLER_WRITES_PER_MINUTE: '50',
      RATE_LIMIT_STORE: 'memory',
      DATABASE_URL: 'postgres://localhost/x',
    });
    expect(config.edge?.rateLimit).toMatchObject({ store: 'memory', tenantReads: 1000, tenantWrites: 100, callerReads: 500, callerWrites: 50 });
  });

  it('refuses nonsense', () => {
    expect(() => loadConfig({ RATE_LIMIT_CALLER_READS_PER_MINUTE: '0' })).toThrow(/RATE_LIMIT_CALLER_READS_PER_MINUTE/);
    expect(() => loadConfig({ RATE_LIMIT_STORE: 'database' })).toThrow(/RATE_LIMIT_STORE=database needs DATABASE_URL/);
  });
});
