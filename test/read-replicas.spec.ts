import { Client } from 'pg';
import { startSqlCounter, type SqlCounter } from '../bench/sql-counter';
import { loadConfig } from '../src/config';
import { metrics } from '../src/infra/metrics/metrics';
import { catalogOps, type CatalogOps } from './support/catalog-ops';
import { closedPort } from './support/closed-port';
import { makeStreamingReplica, type StreamingReplica } from './support/streaming-replica';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * Read replicas (DATABASE_REPLICA_URLS) with a real streaming replica of the local PostgreSQL
 * server, made by pg_basebackup in the setup and removed after. The replica's traffic goes
 * through a statement counter on the wire, so "served by the replica" is counted, not assumed.
 */
jest.setTimeout(120_000);

const serverUrl = process.env.TEST_DATABASE_URL;
const MAX_LAG_MS = 3_000;
const READ_YOUR_WRITES_MS = 1_500;
const CHECK_EVERY_MS = 200;

interface ReadyBody {
  status: string;
  replicas?: { name: string; state: string; lagSeconds: number | null }[];
}

async function readsBy(target: 'primary' | 'replica' | 'fallback'): Promise<number> {
  const found = (await metrics.databaseReads.get()).values.find((value) => value.labels.target === target);
  return found?.value ?? 0;
}

async function replicaGauges(): Promise<{ usable?: number; lag?: number }> {
  const pick = async (gauge: typeof metrics.replicaLag) => (await gauge.get()).values.find((value) => value.labels.replica === 'replica-1')?.value;
  return { usable: await pick(metrics.replicaUsable), lag: await pick(metrics.replicaLag) };
}

async function ready(t: TestApp): Promise<{ status: number; body: ReadyBody }> {
  const response = await fetch(`${t.url}/readyz`);
  return { status: response.status, body: (await response.json()) as ReadyBody };
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, withinMs = 15_000): Promise<T> {
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    const found = await probe();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what}: not within ${withinMs} ms`);
}

describe('read replica settings', () => {
  const primary = 'postgres://catalog@db.example:5432/catalog';

  it('reads DATABASE_REPLICA_URLS, READ_YOUR_WRITES_SECONDS and REPLICA_MAX_LAG_SECONDS', () => {
    const config = loadConfig({
      DATABASE_URL: primary,
      DATABASE_REPLICA_URLS: ' postgres://catalog@r1.example/catalog, postgresql://catalog@r2.example:6432/catalog ,',
      READ_YOUR_WRITES_SECONDS: '2.5',
      REPLICA_MAX_LAG_SECONDS: '30',
    });
    expect(config.database).toEqual({
      kind: 'postgres',
      url: primary,
      replicaUrls: ['postgres://catalog@r1.example/catalog', 'postgresql://catalog@r2.example:6432/catalog'],
    });
    expect(config.tuning).toMatchObject({ readYourWritesMs: 2_500, replicaMaxLagMs: 30_000 });
  });

  it('defaults: no replicas, 5 s of read-your-writes, 10 s of lag', () => {
    const config = loadConfig({ DATABASE_URL: primary });
    expect(config.database).toEqual({ kind: 'postgres', url: primary });
    expect(config.tuning).toMatchObject({ readYourWritesMs: 5_000, replicaMaxLagMs: 10_000 });
  });

  it('refuses replicas without DATABASE_URL, and URLs that are not PostgreSQL', () => {
    expect(() => loadConfig({ DATABASE_REPLICA_URLS: 'postgres://r1.example/catalog' })).toThrow(/DATABASE_REPLICA_URLS needs DATABASE_URL/);
    expect(() => loadConfig({ DATABASE_URL: primary, DATABASE_REPLICA_URLS: 'mysql://r1.example/catalog' })).toThrow(/DATABASE_REPLICA_URLS.*postgres/);
    expect(() => loadConfig({ DATABASE_URL: primary, READ_YOUR_WRITES_SECONDS: '-1' })).toThrow(/READ_YOUR_WRITES_SECONDS/);
  });
});

/** Waits until the app's /readyz shows its replica in `state`, and gives that answer. */
function readyWithReplica(t: TestApp, state: string, withinMs?: number): Promise<{ status: number; body: ReadyBody }> {
  return eventually(
    `the replica shows as ${state}`,
    async () => {
      const answer = await ready(t);
      return answer.body.replicas?.[0]?.state === state ? answer : undefined;
    },
    withinMs,
  );
}

if (!serverUrl) {
  describe('read replicas', () => {
    it.skip('needs PostgreSQL (TEST_DATABASE_URL): the embedded database has no replicas', () => {});
  });
} else {
  describe('read replicas', () => {
    let replica: StreamingReplica | { unavailable: string };

    beforeAll(async () => {
      replica = await makeStreamingReplica(serverUrl);
      if ('unavailable' in replica) console.warn(`read replica tests skipped: ${replica.unavailable}`);
    });
    afterAll(async () => {
      if (!('unavailable' in replica)) await replica.remove();
    });

    describe('with a streaming replica', () => {
      let t: TestApp;
      let ops: CatalogOps;
      let counter: SqlCounter;
      let primary: Client;
      let standby: StreamingReplica;
      const tenant = uniqueTenant('rr');
      let alice: string;
      let bob: string;
      const others: TestApp[] = [];

      /** Waits until the replica has replayed everything the primary has written so far. */
      async function caughtUp(): Promise<void> {
        const { rows } = await primary.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn');
        await eventually('the replica catches up', async () => {
          const [row] = await standby.query<{ done: boolean }>(`select pg_last_wal_replay_lsn() >= '${rows[0]!.lsn}'::pg_lsn as done`);
          return row?.done ? true : undefined;
        });
      }

      const listIds = async (token: string) => {
        const page = await ops.listPage(token, 50);
        if (!page.ok) throw new Error(`list failed: ${page.code} ${page.message}`);
        return page.data.edges.map((edge) => edge.node.packageId);
      };

      beforeAll(async () => {
        if ('unavailable' in replica) return;
        standby = replica;
        counter = await startSqlCounter('127.0.0.1', standby.port);
        t = await startTestApp({
          replicaUrls: (name) => {
            const url = new URL(standby.urlOf(name));
            url.port = String(counter.port);
            return [url.toString()];
          },
          tuning: { replicaMaxLagMs: MAX_LAG_MS, readYourWritesMs: READ_YOUR_WRITES_MS, replicaCheckMs: CHECK_EVERY_MS },
        });
        ops = catalogOps(t);
        primary = new Client({ connectionString: (t.config.database as { url: string }).url });
        await primary.connect();
        alice = await t.token({ tenant, user: 'alice' });
        bob = await t.token({ tenant, user: 'bob' });
      });
      afterAll(async () => {
        if ('unavailable' in replica) return;
        await primary.end();
        for (const other of others) await other.close();
        await t.close();
        await counter.close();
      });

      it('serves lists, searches, gets, versions, update checks and _entities from the replica', async () => {
        if ('unavailable' in replica) return;
        const published = await ops.publish(alice, { packageId: 'on-replica', version: '1.0.0', name: 'Replicated flow' });
        expect(published.ok).toBe(true);
        await caughtUp();
        await readyWithReplica(t, 'ok');

        counter.reset();
        const before = { replica: await readsBy('replica'), primary: await readsBy('primary') };
        expect(await listIds(bob)).toEqual(['on-replica']);
        const search = await ops.listPage(bob, 10, null, { query: 'replicated' });
        expect(search.ok && search.data.edges.map((edge) => edge.node.packageId)).toEqual(['on-replica']);
        const got = await ops.get(bob, 'on-replica');
        expect(got.ok && got.data?.version).toBe('1.0.0');
        const versions = await ops.versions(bob, 'on-replica');
        expect(versions.ok && versions.data?.edges.map((edge) => edge.node.version)).toEqual(['1.0.0']);
        const updates = await ops.updates(bob, [{ packageId: 'on-replica', version: '0.9.0' }]);
        expect(updates.ok && updates.data.map((update) => update.latestVersion)).toEqual(['1.0.0']);
        const entities = await ops.entities(bob, [(got.ok && got.data?.id) || '']);
        expect(entities.ok && entities.data.map((entity) => entity?.packageId)).toEqual(['on-replica']);

        // On the wire to the replica: the package reads themselves, besides the lag checks.
        const packageReads = counter.log().filter((sql) => !sql.includes('pg_is_in_recovery()')).length;
        expect(packageReads).toBeGreaterThanOrEqual(6);
        expect((await readsBy('replica')) - before.replica).toBeGreaterThanOrEqual(6);
        expect((await readsBy('primary')) - before.primary).toBe(0);
        const body = (await ready(t)).body;
        expect(body).toMatchObject({ status: 'ready', replicas: [{ name: 'replica-1', state: 'ok' }] });
        expect(body.replicas![0]!.lagSeconds).toBeLessThan(MAX_LAG_MS / 1000);
        const gauges = await replicaGauges();
        expect(gauges.usable).toBe(1);
        expect(gauges.lag).toBeLessThan(MAX_LAG_MS / 1000);
      });

      it('a caller reads their own write at once (the primary), another caller the replica; beyond the lag limit, everyone the primary', async () => {
        if ('unavailable' in replica) return;
        await caughtUp();
        await standby.query('select pg_wal_replay_pause()');
        try {
          const published = await ops.publish(alice, { packageId: 'while-paused', version: '1.0.0' });
          expect(published.ok).toBe(true);
          // Alice just wrote: her reads go to the primary and see it.
          expect(await listIds(alice)).toContain('while-paused');
          // Bob did not: his read goes to the replica, which has not replayed the publish yet.
          const replicaReads = await readsBy('replica');
          expect(await listIds(bob)).not.toContain('while-paused');
          expect((await readsBy('replica')) - replicaReads).toBe(1);

          // Past READ_YOUR_WRITES_SECONDS alice's reads go to the replica again (still behind): the window is what kept her on the primary.
          await new Promise((resolve) => setTimeout(resolve, READ_YOUR_WRITES_MS + 100));
          const stateNow = (await ready(t)).body.replicas?.[0]?.state;
          if (stateNow === 'ok') expect(await listIds(alice)).not.toContain('while-paused');

          // Beyond REPLICA_MAX_LAG_SECONDS the replica is skipped: /readyz says so and stays ready.
          const lagging = await readyWithReplica(t, 'lagging');
          expect(lagging.status).toBe(200);
          expect(lagging.body.status).toBe('ready');
          expect(lagging.body.replicas![0]!.lagSeconds).toBeGreaterThan(MAX_LAG_MS / 1000);
          const gauges = await replicaGauges();
          expect(gauges.usable).toBe(0);
          expect(gauges.lag).toBeGreaterThan(MAX_LAG_MS / 1000);
          const primaryReads = await readsBy('primary');
          expect(await listIds(bob)).toContain('while-paused');
          expect((await readsBy('primary')) - primaryReads).toBe(1);
        } finally {
          await standby.query('select pg_wal_replay_resume()');
        }
        // Caught up again: back to ok, and bob's reads back on the replica.
        await readyWithReplica(t, 'ok');
        const replicaReads = await readsBy('replica');
        expect(await listIds(bob)).toContain('while-paused');
        expect((await readsBy('replica')) - replicaReads).toBe(1);
      });

      it('a stopped replica: the read that finds it gone runs again on the primary within the connect deadline; later reads skip it; it comes back', async () => {
        if ('unavailable' in replica) return;
        // An instance whose lag checks are rare, so that the read, not a check, is what finds the replica gone.
        const rare = await startTestApp({
          replicaUrls: (name) => [standby.urlOf(name)],
          tuning: { replicaMaxLagMs: MAX_LAG_MS, readYourWritesMs: READ_YOUR_WRITES_MS, replicaCheckMs: 5_000 },
        });
        others.push(rare);
        try {
          const rareOps = catalogOps(rare);
          const carol = await rare.token({ tenant, user: 'carol' });
          const dave = await rare.token({ tenant, user: 'dave' });
          expect((await rareOps.publish(carol, { packageId: 'survives-a-stop', version: '1.0.0' })).ok).toBe(true);
          await caughtUp();
          await readyWithReplica(rare, 'ok', 20_000);
          const idsOf = async (token: string) => {
            const page = await rareOps.listPage(token, 50);
            if (!page.ok) throw new Error(`list failed: ${page.code} ${page.message}`);
            return page.data.edges.map((edge) => edge.node.packageId);
          };
          expect(await idsOf(dave)).toEqual(['survives-a-stop']);

          await standby.stop();
          const before = { fallback: await readsBy('fallback'), replica: await readsBy('replica') };
          const started = Date.now();
          expect(await idsOf(dave)).toEqual(['survives-a-stop']);
          expect(Date.now() - started).toBeLessThan(rare.config.tuning.connectTimeoutMs + 1_000);
          expect((await readsBy('fallback')) - before.fallback).toBe(1);
          // Marked down by that read: /readyz says so (still ready), and the next reads go straight to the primary.
          const down = await ready(rare);
          expect(down.status).toBe(200);
          expect(down.body).toMatchObject({ status: 'ready', replicas: [{ name: 'replica-1', state: 'down', lagSeconds: null }] });
          for (let i = 0; i < 5; i += 1) expect(await idsOf(dave)).toEqual(['survives-a-stop']);
          expect((await readsBy('fallback')) - before.fallback).toBe(1);
          expect((await readsBy('replica')) - before.replica).toBe(0);
        } finally {
          await standby.start();
        }
        // Up again: the next check finds it, and reads go back to it.
        await readyWithReplica(rare, 'ok', 30_000);
        const replicaReads = await readsBy('replica');
        const dave = await rare.token({ tenant, user: 'dave' });
        const page = await catalogOps(rare).listPage(dave, 50);
        expect(page.ok && page.data.edges.map((edge) => edge.node.packageId)).toEqual(['survives-a-stop']);
        expect((await readsBy('replica')) - replicaReads).toBe(1);
      });

      it('a stopped replica seen by the lag check: down in /readyz and the metrics, every read answered by the primary', async () => {
        if ('unavailable' in replica) return;
        await caughtUp();
        await standby.stop();
        try {
          const down = await readyWithReplica(t, 'down');
          expect(down.status).toBe(200);
          expect(down.body.replicas![0]!.lagSeconds).toBeNull();
          expect(await replicaGauges()).toEqual({ usable: 0, lag: undefined });
          const before = { fallback: await readsBy('fallback'), primary: await readsBy('primary') };
          for (let i = 0; i < 5; i += 1) expect(await listIds(bob)).toContain('on-replica');
          expect((await readsBy('primary')) - before.primary).toBe(5);
          expect((await readsBy('fallback')) - before.fallback).toBe(0);
        } finally {
          await standby.start();
        }
        await readyWithReplica(t, 'ok', 30_000);
        const replicaReads = await readsBy('replica');
        expect(await listIds(bob)).toContain('on-replica');
        expect((await readsBy('replica')) - replicaReads).toBe(1);
      });
    });

    it('a replica that never answers: the instance starts, says so in /readyz, and serves reads from the primary', async () => {
      const port = await closedPort();
      const t = await startTestApp({ replicaUrls: (name) => [`postgres://postgres@127.0.0.1:${port}/${name}`], tuning: { connectTimeoutMs: 1_000 } });
      try {
        const ops = catalogOps(t);
        const token = await t.token({ tenant: uniqueTenant('rr'), user: 'carol' });
        expect((await ops.publish(token, { packageId: 'no-replica', version: '1.0.0' })).ok).toBe(true);
        const page = await ops.listPage(token, 10);
        expect(page.ok && page.data.edges.map((edge) => edge.node.packageId)).toEqual(['no-replica']);
        const answer = await ready(t);
        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject({ status: 'ready', replicas: [{ name: 'replica-1', state: 'down', lagSeconds: null }] });
        expect(JSON.stringify(answer.body)).not.toContain(String(port));
      } finally {
        await t.close();
      }
    });
  });
}
