/**
 * `npm run bench [-- --quick | --scale]`: the catalog measured against bare baselines on the same
 * data, in the same run. docs/PERFORMANCE.md describes the method and records the figures.
 *
 * Options: --quick (small, CI smoke), --scale (adds the 10k / 1M list and search scenario), --runs N,
 * --slices N and --slice S (measured time per scenario and run: N slices of S seconds), --warmup S,
 * --only list,entities,install,publish,search,updates,diff,scale, --rate-limit-store
 * redis|memory|database (default redis, as several instances would run), --sql-log,
 * --profile (V8 CPU profiles into bench/results/profiles), --service-node-options "<flags>"
 * (experiments), --ab-env KEY=VALUE and/or --ab-script <other build's dist/src/main.js> (a second
 * service B with that environment or code, measured alongside as list_b and entities_*_b),
 * --keep (keep the scale databases).
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { findFreePort, startEmbeddedAzurite, type EmbeddedAzurite } from '../src/infra/blob/embedded-azurite';
import { dropDatabase, loadPackages, recreateDatabase, type DatasetShape } from './dataset';
import { startBenchIssuer, type BenchIssuer } from './issuer';
import { Tally, median, slice, type BenchRequest, type Measurement, type Target } from './load';
import { installCleanupHandlers, killAll, peakRssMb, resetPeakRss, startNode, waitForHttp, type Started } from './processes';
import { startSqlCounter, type SqlCounter } from './sql-counter';
import {
  DIFF_NODES,
  OPTIONAL_OPERATIONS,
  diffRequests,
  diffSetup,
  diffTargets,
  fieldIsMissing,
  searchAndListRequests,
  updatesRequests,
} from './search-and-versions';
import {
  PUBLISH_MUTATION,
  PublishWorkload,
  Tokens,
  benchFlow,
  body,
  checkBaseline,
  checkGraphql,
  cycle,
  entitiesRequests,
  installRequests,
  installTargets,
  listRequests,
} from './workloads';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    scale: { type: 'boolean', default: false },
    runs: { type: 'string' },
    slices: { type: 'string' },
    slice: { type: 'string' },
    warmup: { type: 'string' },
    only: { type: 'string' },
    'rate-limit-store': { type: 'string' },
    'sql-log': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'service-node-options': { type: 'string' },
    'service-env': { type: 'string', multiple: true },
    'ab-env': { type: 'string', multiple: true },
    'ab-script': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

const MODE = flags.quick ? 'quick' : flags.scale ? 'full-scale' : 'full';
// autocannon stops on its 1 s sampling tick, so durations are whole seconds; quick slices last 2 s,
// so that a slow scenario (publish, updates) completes requests in every slice on a loaded machine. In the scale databases
// tenants grow with the catalog: 100 tenants of 100 packages at 10k, 1,000 tenants of 1,000 at 1M (issue 12's shape).
const SETTINGS = flags.quick
  ? {
      packages: 10_000,
      tenants: 100,
      maxVersions: 3,
      slices: 1,
      slice: 2,
      warmup: 1,
      warmupEveryRun: false,
      runs: 3,
      templates: 400,
      callers: 100,
      installs: 5,
      publishSet: 30,
      scale: { small: 1_000, smallTenants: 10, large: 20_000, largeTenants: 20 },
      entityBaselines: false,
    }
  : {
      packages: 100_000,
      tenants: 1_000,
      maxVersions: 5,
      slices: 4,
      slice: 2,
      warmup: 2,
      warmupEveryRun: true,
      runs: 3,
      templates: 2_000,
      callers: 300,
      installs: 40,
      publishSet: 300,
      scale: flags.scale ? { small: 10_000, smallTenants: 100, large: 1_000_000, largeTenants: 1_000 } : null,
      entityBaselines: true,
    };
const RUNS = Number(flags.runs ?? SETTINGS.runs);
const SLICES = Number(flags.slices ?? SETTINGS.slices);
const SLICE = Number(flags.slice ?? SETTINGS.slice);
const WARMUP = Number(flags.warmup ?? SETTINGS.warmup);
const ONLY = new Set((flags.only ?? 'list,entities,install,publish,search,updates,diff,scale').split(','));
/** Installed copies per `catalogUpdates` call (the contract's maximum), and diff targets. */
const UPDATES_SIZE = 500;
const DIFF_TARGETS = flags.quick ? 4 : 20;
/** A multi-instance production setup counts rate limits in Redis; --rate-limit-store overrides it. */
const RATE_LIMIT_STORE = flags['rate-limit-store'] ?? 'redis';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CONNECTIONS = 10;
const SEED = 20261122;
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_MAIN = 'catalog_bench';
const DB_SCALE = { small: 'catalog_bench_scale_small', large: 'catalog_bench_scale_large' } as const;
const CONTAINER = 'bench';
const RESULTS_DIR = path.resolve(__dirname, '..', '..', 'bench', 'results');
const PROFILE_DIR = path.join(RESULTS_DIR, 'profiles');
const APP_SCRIPT = path.resolve(__dirname, '..', 'src', 'main.js');
const BASELINE_SCRIPT = path.resolve(__dirname, 'baseline-server.js');

const T0 = Date.now();
const log = (message: string) => process.stderr.write(`[bench ${((Date.now() - T0) / 1000).toFixed(1).padStart(5)}s] ${message}\n`);
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)}s`;

interface Service {
  name: string;
  started: Started;
  url: string;
}

const services: Service[] = [];

async function startService(name: string, script: string, env: Record<string, string>, health: string, nodeArgs: string[] = []): Promise<Service> {
  const port = await findFreePort();
  const started = startNode(
    name,
    script,
    { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env, PORT: String(port), HOST: '127.0.0.1' },
    nodeArgs,
  );
  const service = { name, started, url: `http://127.0.0.1:${port}` };
  services.push(service);
  await waitForHttp(`${service.url}${health}`, started);
  return service;
}

/** Every service of a run signs with this one key, as instances on one database must. */
const SIGNING_KEY = JSON.stringify(generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }));

/** The production configuration, pointed at the bench's database, Azurite and issuer. */
function serviceEnv(databaseUrl: string, azurite: EmbeddedAzurite, issuer: BenchIssuer, dataDir: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
    CATALOG_BLOB_CONTAINER: CONTAINER,
    OIDC_ISSUER: issuer.issuer,
    OIDC_AUDIENCE: issuer.audience,
    CATALOG_SIGNING_KEY: SIGNING_KEY,
    MIGRATE: 'false',
    // Several services run side by side: none opens the metrics port.
    METRICS_PORT: 'off',
    RATE_LIMIT_STORE,
    REDIS_URL,
    // The production image's Node flags (heap sizing); --service-node-options replaces them, for experiments.
    NODE_OPTIONS: flags['service-node-options'] ?? PRODUCTION_NODE_OPTIONS,
    ...Object.fromEntries((flags['service-env'] ?? []).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)])),
    // Every request is still counted by the limiter (its statement is part of the measured cost),
    // but the production limits (600 reads a minute per tenant) would refuse most of a load test.
    RATE_LIMIT_TENANT_READS_PER_MINUTE: '1000000000',
    RATE_LIMIT_TENANT_WRITES_PER_MINUTE: '1000000000',
    RATE_LIMIT_CALLER_READS_PER_MINUTE: '1000000000',
    RATE_LIMIT_CALLER_WRITES_PER_MINUTE: '1000000000',
  };
}

/** NODE_OPTIONS of the Dockerfile's runtime stage: the service is measured as it ships. */
function productionNodeOptions(): string {
  const file = path.resolve(__dirname, '..', '..', 'Dockerfile');
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8').replace(/\\\n/g, ' ');
  const runtime = text.slice(text.lastIndexOf('\nFROM '));
  const match = /NODE_OPTIONS=(?:"([^"]*)"|(\S+))/.exec(runtime);
  return match ? (match[1] ?? match[2]!) : '';
}
const PRODUCTION_NODE_OPTIONS = productionNodeOptions();

/** The URL of database `name` on the admin URL's server, or through a proxy on `port`. */
function databaseUrl(name: string, port?: number): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  if (port !== undefined) {
    url.hostname = '127.0.0.1';
    url.port = String(port);
  }
  return url.toString();
}

async function postOk(url: string, request: BenchRequest, check: (status: number, text: string) => string | null): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${request.token}` },
    body: request.body,
  });
  const text = await response.text();
  const problem = check(response.status, text);
  if (problem) throw new Error(`${url}: ${problem}`);
  return text;
}

/** Runs `work` over `items`, `concurrency` at a time. */
async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < items.length) await work(items[i++]!);
    }),
  );
}

interface ScenarioDef extends Target {
  name: string;
  /** The service (its peak RSS is read around each slice), or a baseline. */
  service: boolean;
  afterSlice?: () => void;
}

interface ScenarioResult {
  runs: Measurement[];
  rps: number;
  p50_ms: number;
  p99_ms: number;
  cpu_ms_per_request: number;
  loadgen_cpu_ms_per_request: number;
  peak_rss_mb?: number;
}

interface SqlCount {
  /** Every statement the service sent per call, BEGIN/COMMIT included. */
  service: number;
  /** Of those, the rate limiter's (one upsert per request with the database store, none with Redis). */
  service_rate_limit: number;
  /** The rest: the catalog's own statements. */
  service_catalog: number;
  /** null: the scenario has no baseline. */
  baseline: number | null;
}

async function main(): Promise<void> {
  installCleanupHandlers();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'catalog-bench-'));
  const shape: DatasetShape = { packages: SETTINGS.packages, tenants: SETTINGS.tenants, maxVersions: SETTINGS.maxVersions, seed: SEED };
  const scaleShapes =
    SETTINGS.scale && ONLY.has('scale')
      ? {
          small: { packages: SETTINGS.scale.small, tenants: SETTINGS.scale.smallTenants, maxVersions: 0, seed: SEED },
          large: { packages: SETTINGS.scale.large, tenants: SETTINGS.scale.largeTenants, maxVersions: 0, seed: SEED },
        }
      : null;
  let issuer: BenchIssuer | undefined;
  let azurite: EmbeddedAzurite | undefined;
  let counter: SqlCounter | undefined;
  const scaleDbs: string[] = [];
  try {
    log(
      `mode ${MODE}: ${shape.packages} packages, ${shape.tenants} tenants; ${RUNS} runs of ${SLICES} x ${SLICE}s per scenario (after ${WARMUP}s warm-up), ${CONNECTIONS} connections`,
    );

    // Data, in parallel: the main database and the scale databases (packages only: a list never reads versions).
    let t = Date.now();
    const loadMain = (async () => {
      const url = await recreateDatabase(ADMIN_URL, DB_MAIN);
      return { url, versionRows: await loadPackages(url, shape) };
    })();
    const loadScale = scaleShapes
      ? Promise.all(
          (['small', 'large'] as const).map(async (key) => {
            scaleDbs.push(DB_SCALE[key]);
            const url = await recreateDatabase(ADMIN_URL, DB_SCALE[key]);
            await loadPackages(url, scaleShapes[key]);
            return url;
          }),
        )
      : Promise.resolve(null);
    const [main, scaleUrls] = await Promise.all([loadMain, loadScale]);
    log(
      `loaded ${shape.packages} packages with ${main.versionRows} versions${scaleShapes ? `, and ${scaleShapes.small.packages} and ${scaleShapes.large.packages} packages for scale,` : ''} in ${seconds(t)}`,
    );

    // Processes, in parallel: the service, the baseline, a second pair behind the SQL counter, the scale services.
    t = Date.now();
    issuer = await startBenchIssuer();
    azurite = await startEmbeddedAzurite({ location: null });
    counter = await startSqlCounter('127.0.0.1', Number(new URL(ADMIN_URL).port || 5432));
    const env = (url: string) => serviceEnv(url, azurite!, issuer!, dataDir);
    const countedUrl = databaseUrl(DB_MAIN, counter.port);
    // --ab-env KEY=VALUE: a second service with that environment, measured in the same groups as
    // `<scenario>_b` (list and _entities): a paired comparison of one lever, on the same machine state.
    const abEnv = Object.fromEntries((flags['ab-env'] ?? []).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
    const [app, baseline, countedApp, countedBase, scaleSmall, scaleLarge, serviceB, memoryStoreApp] = await Promise.all([
      // --profile: V8 CPU profiles of the measured service and baseline, written when they stop.
      startService('service', APP_SCRIPT, env(main.url), '/readyz', flags.profile ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR] : []),
      startService(
        'baseline',
        BASELINE_SCRIPT,
        env(main.url),
        '/healthz',
        flags.profile ? ['--cpu-prof', '--cpu-prof-dir', path.join(PROFILE_DIR, 'baseline')] : [],
      ),
      startService('service (SQL counted)', APP_SCRIPT, env(countedUrl), '/readyz'),
      startService('baseline (SQL counted)', BASELINE_SCRIPT, env(countedUrl), '/healthz'),
      scaleUrls ? startService('service (scale small)', APP_SCRIPT, env(scaleUrls[0]!), '/readyz') : null,
      scaleUrls ? startService('service (scale large)', APP_SCRIPT, env(scaleUrls[1]!), '/readyz') : null,
      flags['ab-env'] || flags['ab-script']
        ? startService('service B', path.resolve(flags['ab-script'] ?? APP_SCRIPT), { ...env(main.url), ...abEnv }, '/readyz')
        : null,
      // The list also with rate limits counted in memory (a single instance's choice), as list_memory_store.
      ONLY.has('list') ? startService('service (memory store)', APP_SCRIPT, { ...env(main.url), RATE_LIMIT_STORE: 'memory' }, '/readyz') : null,
    ]);
    log(
      `service pid ${app.started.pid}, baseline pid ${baseline.started.pid}, ${services.length} processes started in ${seconds(t)}; rate limits in ${RATE_LIMIT_STORE}`,
    );

    // Operations other work adds: their scenarios run once the schema has them.
    const available = { updates: false, diff: false };
    const probeToken = await new Tokens(issuer).get({ tenant: 0, user: 0, groups: [], roles: [] });
    for (const [key, field] of [
      ['updates', 'catalogUpdates'],
      ['diff', 'catalogPackageDiff'],
    ] as const) {
      const response = await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${probeToken}` },
        body: JSON.stringify({ query: OPTIONAL_OPERATIONS[field] }),
      });
      available[key] = !fieldIsMissing(await response.text());
      if (!available[key]) log(`${key}: not available (the schema has no Query.${field}); its scenario and ratio are skipped`);
    }

    // Workloads: the same request lists drive both arms.
    t = Date.now();
    const tokens = new Tokens(issuer);
    const list = await listRequests(shape, tokens, SETTINGS.templates, SETTINGS.callers);
    const entities: Record<number, BenchRequest[]> = {};
    for (const size of [1, 10, 100]) entities[size] = await entitiesRequests(shape, tokens, size, Math.min(400, SETTINGS.templates), SETTINGS.callers);
    const targets = installTargets(shape, SETTINGS.installs);
    const publishTenants = Math.min(50, shape.tenants);
    const publisherTokens = new Map<number, string>();
    for (const tenant of new Set([...Array(publishTenants).keys(), ...targets.map((target) => target.tenant)])) {
      publisherTokens.set(tenant, await tokens.get({ tenant, user: 0, groups: [], roles: [] }));
    }
    const tokenOf = (tenant: number) => publisherTokens.get(tenant)!;
    const publishApp = new PublishWorkload('app', SETTINGS.publishSet, (k) => k % publishTenants, tokenOf);
    const publishBase = new PublishWorkload('base', SETTINGS.publishSet, (k) => k % publishTenants, tokenOf);
    // Install targets (real archives) and each arm's publish set, created through the service's own API.
    const setup = [
      ...targets.map((target) => ({
        token: tokenOf(target.tenant),
        body: body(PUBLISH_MUTATION, {
          input: { packageId: target.packageId, name: `Install ${target.packageId}`, version: '1.0.0', content: benchFlow(target.packageId) },
        }),
      })),
      ...[...Array(SETTINGS.publishSet).keys()].flatMap((k) => [publishApp.first(k), publishBase.first(k)]),
    ];
    await pool(setup, 4, (request) => postOk(`${app.url}/graphql`, request, checkGraphql));
    const install = await installRequests(shape, tokens, targets, Math.min(400, SETTINGS.templates));
    const search = await searchAndListRequests(shape, tokens, SETTINGS.templates, SETTINGS.callers);
    const updates = available.updates ? await updatesRequests(shape, tokens, UPDATES_SIZE, Math.min(200, SETTINGS.templates), SETTINGS.callers) : [];
    const diffs = diffTargets(shape, DIFF_TARGETS);
    if (available.diff) {
      for (const target of diffs) publisherTokens.set(target.tenant, await tokens.get({ tenant: target.tenant, user: 0, groups: [], roles: [] }));
      await pool(diffs, 4, async (target) => {
        for (const request of diffSetup(target, tokenOf)) await postOk(`${app.url}/graphql`, request, checkGraphql);
      });
    }
    const diff = available.diff ? await diffRequests(shape, tokens, diffs, Math.min(400, SETTINGS.templates)) : [];
    const scaleLists = scaleShapes
      ? {
          small: await listRequests(scaleShapes.small, tokens, SETTINGS.templates, SETTINGS.callers),
          large: await listRequests(scaleShapes.large, tokens, SETTINGS.templates, SETTINGS.callers),
          largeSearch: (await searchAndListRequests(scaleShapes.large, tokens, SETTINGS.templates, SETTINGS.callers)).search,
        }
      : null;
    log(`workloads ready in ${seconds(t)}: ${tokens.size} callers, ${targets.length} install targets, 2 x ${SETTINGS.publishSet} packages to publish to`);

    // Same answers: the baseline must return what the service returns, field for field.
    await compareAnswers(app.url, baseline.url, '/list', list.slice(0, 40));
    for (const size of [1, 10, 100]) await compareAnswers(app.url, baseline.url, '/entities', entities[size]!.slice(0, 10));
    log('baseline answers equal the service answers (40 lists, 30 _entities calls)');
    // Lists are only comparable on equal pages: the mean page size of each list workload.
    const pageSizes: Record<string, number> = {
      list: await meanPageSize(app.url, list.slice(0, 30)),
      search: await meanPageSize(app.url, search.search.slice(0, 30)),
      list_for_search: await meanPageSize(app.url, search.list.slice(0, 30)),
    };
    if (scaleShapes && scaleLists && scaleSmall && scaleLarge) {
      pageSizes[`list_at_${scaleShapes.small.packages}`] = await meanPageSize(scaleSmall.url, scaleLists.small.slice(0, 30));
      pageSizes[`list_at_${scaleShapes.large.packages}`] = await meanPageSize(scaleLarge.url, scaleLists.large.slice(0, 30));
      pageSizes[`search_at_${scaleShapes.large.packages}`] = await meanPageSize(scaleLarge.url, scaleLists.largeSearch.slice(0, 30));
    }
    log(
      `mean page size: ${Object.entries(pageSizes)
        .map(([name, size]) => `${name} ${size}`)
        .join(', ')}`,
    );

    // Statements per call, counted on the wire (sql-counter.ts) for the second service and baseline.
    const sqlPerCall: Record<string, SqlCount> = {};
    const count = async (
      name: string,
      next: () => BenchRequest,
      basePath: string | null,
      { nextBase = next, check = checkGraphql, checkBase = checkBaseline } = {},
    ) => {
      const calls = 5;
      const measure = async (url: string, pick: () => BenchRequest, check: typeof checkGraphql) => {
        await postOk(url, pick(), check); // warm: pool connection, JWKS
        counter!.reset();
        for (let i = 0; i < calls; i++) await postOk(url, pick(), check);
        if (flags['sql-log'])
          log(
            `${name} ${url}:\n  ${counter!
              .log()
              .slice(0, Math.ceil(counter!.log().length / calls))
              .join('\n  ')}`,
          );
        return { all: counter!.statements() / calls, rateLimit: counter!.log().filter((sql) => sql.includes('rate_limit_counter')).length / calls };
      };
      const ours = await measure(`${countedApp.url}/graphql`, next, check);
      const theirs = basePath === null ? null : await measure(`${countedBase.url}${basePath}`, nextBase, checkBase);
      sqlPerCall[name] = { service: ours.all, service_rate_limit: ours.rateLimit, service_catalog: ours.all - ours.rateLimit, baseline: theirs?.all ?? null };
    };
    await count('list', cycle(list), '/list');
    for (const size of [1, 10, 100]) await count(`entities_${size}`, cycle(entities[size]!), '/entities');
    await count('install', cycle(install), '/install');
    await count('search', cycle(search.search), null);
    if (available.updates) await count(`updates_${UPDATES_SIZE}`, cycle(updates), null);
    if (available.diff) await count('diff', cycle(diff), null);
    const checkPublish = publishApp.checked(checkGraphql);
    const checkPublishBase = publishBase.checked(checkBaseline);
    await count('publish', publishApp.next, '/publish', { nextBase: publishBase.next, check: checkPublish, checkBase: checkPublishBase });
    await countedApp.started.stop();
    await countedBase.started.stop();
    log(`SQL per call (service catalog + rate limit / baseline): ${describeSql(sqlPerCall)}`);

    // The scenarios, in pairs measured back to back; the order within a pair flips every run.
    const gql = `${app.url}/graphql`;
    const pid = app.started.pid;
    const basePid = baseline.started.pid;
    const groups: ScenarioDef[][] = [];
    if (ONLY.has('list')) {
      groups.push([
        { name: 'list', url: gql, next: cycle(list), check: checkGraphql, pid, service: true },
        { name: 'list_baseline', url: `${baseline.url}/list`, next: cycle(list), check: checkBaseline, pid: basePid, service: false },
        ...(serviceB
          ? [{ name: 'list_b', url: `${serviceB.url}/graphql`, next: cycle(list), check: checkGraphql, pid: serviceB.started.pid, service: true }]
          : []),
        ...(memoryStoreApp
          ? [
              {
                name: 'list_memory_store',
                url: `${memoryStoreApp.url}/graphql`,
                next: cycle(list),
                check: checkGraphql,
                pid: memoryStoreApp.started.pid,
                service: true,
              },
            ]
          : []),
      ]);
    }
    if (ONLY.has('entities')) {
      groups.push(
        [1, 10, 100].flatMap((size) => [
          { name: `entities_${size}`, url: gql, next: cycle(entities[size]!), check: checkGraphql, pid, service: true },
          ...(SETTINGS.entityBaselines
            ? [
                {
                  name: `entities_${size}_baseline`,
                  url: `${baseline.url}/entities`,
                  next: cycle(entities[size]!),
                  check: checkBaseline,
                  pid: basePid,
                  service: false,
                },
              ]
            : []),
          ...(serviceB
            ? [
                {
                  name: `entities_${size}_b`,
                  url: `${serviceB.url}/graphql`,
                  next: cycle(entities[size]!),
                  check: checkGraphql,
                  pid: serviceB.started.pid,
                  service: true,
                },
              ]
            : []),
        ]),
      );
      // Measured among the _entities scenarios: updates_500_vs_entities_100 is a paired ratio.
      if (available.updates && ONLY.has('updates'))
        groups.at(-1)!.push({ name: `updates_${UPDATES_SIZE}`, url: gql, next: cycle(updates), check: checkGraphql, pid, service: true });
    }
    if (ONLY.has('install')) {
      groups.push([
        { name: 'install', url: gql, next: cycle(install), check: checkGraphql, pid, service: true },
        { name: 'install_baseline', url: `${baseline.url}/install`, next: cycle(install), check: checkBaseline, pid: basePid, service: false },
        ...(available.diff && ONLY.has('diff') ? [{ name: 'diff', url: gql, next: cycle(diff), check: checkGraphql, pid, service: true }] : []),
      ]);
    }
    if (ONLY.has('search')) {
      groups.push([
        { name: 'search', url: gql, next: cycle(search.search), check: checkGraphql, pid, service: true },
        { name: 'list_for_search', url: gql, next: cycle(search.list), check: checkGraphql, pid, service: true },
      ]);
    }
    if (ONLY.has('publish')) {
      groups.push([
        { name: 'publish', url: gql, next: publishApp.next, check: checkPublish, pid, service: true, afterSlice: () => publishApp.releaseAll() },
        {
          name: 'publish_baseline',
          url: `${baseline.url}/publish`,
          next: publishBase.next,
          check: checkPublishBase,
          pid: basePid,
          service: false,
          afterSlice: () => publishBase.releaseAll(),
        },
      ]);
    }
    if (scaleShapes && scaleLists && scaleSmall && scaleLarge) {
      groups.push([
        {
          name: `list_at_${scaleShapes.small.packages}`,
          url: `${scaleSmall.url}/graphql`,
          next: cycle(scaleLists.small),
          check: checkGraphql,
          pid: scaleSmall.started.pid,
          service: true,
        },
        {
          name: `list_at_${scaleShapes.large.packages}`,
          url: `${scaleLarge.url}/graphql`,
          next: cycle(scaleLists.large),
          check: checkGraphql,
          pid: scaleLarge.started.pid,
          service: true,
        },
        {
          name: `search_at_${scaleShapes.large.packages}`,
          url: `${scaleLarge.url}/graphql`,
          next: cycle(scaleLists.largeSearch),
          check: checkGraphql,
          pid: scaleLarge.started.pid,
          service: true,
        },
      ]);
    }

    // Each run: every scenario of a group warmed up, then measured in slices taken in turn
    // (A B A B …, the order rotating), so that both sides of a ratio see the same machine: other
    // work on it comes and goes within seconds.
    const runs: Record<string, Measurement[]> = {};
    const phases: { name: string; run: number; startUs: number; endUs: number }[] = [];
    const peaks: Record<string, number> = {};
    const loadAverages: number[] = [os.loadavg()[0]!];
    for (let run = 1; run <= RUNS; run++) {
      for (const group of groups) {
        if (run === 1 || SETTINGS.warmupEveryRun) {
          for (const scenario of group) {
            await slice(scenario, CONNECTIONS, WARMUP);
            scenario.afterSlice?.();
          }
        }
        const tallies = new Map(group.map((scenario) => [scenario.name, new Tally()]));
        for (let k = 0; k < SLICES; k++) {
          const offset = (run - 1 + k) % group.length;
          for (const scenario of [...group.slice(offset), ...group.slice(0, offset)]) {
            if (scenario.service) resetPeakRss(scenario.pid);
            const startUs = monotonicMicros();
            tallies.get(scenario.name)!.add(await slice(scenario, CONNECTIONS, SLICE));
            scenario.afterSlice?.();
            phases.push({ name: scenario.name, run, startUs, endUs: monotonicMicros() });
            if (scenario.service) peaks[scenario.name] = Math.max(peaks[scenario.name] ?? 0, peakRssMb(scenario.pid));
          }
        }
        for (const scenario of group) {
          const measured = tallies.get(scenario.name)!.measurement();
          (runs[scenario.name] ??= []).push(measured);
          log(
            `run ${run}/${RUNS} ${scenario.name.padEnd(24)} ${measured.rps.toFixed(0).padStart(6)} rps  p50 ${measured.p50_ms.toFixed(2).padStart(7)} ms  p99 ${measured.p99_ms.toFixed(2).padStart(7)} ms  cpu ${measured.cpu_ms_per_request.toFixed(3)} ms/req`,
          );
        }
      }
      loadAverages.push(os.loadavg()[0]!);
    }

    const scenarios: Record<string, ScenarioResult> = {};
    for (const [name, measured] of Object.entries(runs)) {
      scenarios[name] = {
        runs: measured,
        rps: Math.round(median(measured.map((m) => m.rps))),
        p50_ms: median(measured.map((m) => m.p50_ms)),
        p99_ms: median(measured.map((m) => m.p99_ms)),
        cpu_ms_per_request: Math.round(median(measured.map((m) => m.cpu_ms_per_request)) * 1000) / 1000,
        loadgen_cpu_ms_per_request: Math.round(median(measured.map((m) => m.loadgen_cpu_ms_per_request)) * 1000) / 1000,
        ...(peaks[name] !== undefined ? { peak_rss_mb: Math.round(peaks[name]!) } : {}),
      };
    }
    // A ratio is the median of the per-run ratios: within a run, its two sides were measured in
    // alternating slices, under the same load from whatever else the machine was doing.
    const ratio = (a: string, b: string, figure: 'rps' | 'p50_ms' | 'cpu_ms_per_request'): number | null => {
      if (!runs[a] || !runs[b]) return null;
      return Math.round(median(runs[a].map((m, i) => m[figure] / runs[b]![i]![figure])) * 1000) / 1000;
    };
    const large = scaleShapes ? scaleShapes.large.packages : null;
    // Same names in every mode (quick: smaller sizes, recorded in `dataset`), so a quick run tells
    // whether a change broke one.
    const ratios = {
      list_vs_baseline: ratio('list', 'list_baseline', 'rps'),
      list_cpu_vs_baseline: ratio('list', 'list_baseline', 'cpu_ms_per_request'),
      list_vs_baseline_memory_store: ratio('list_memory_store', 'list_baseline', 'rps'),
      entities_100_vs_1: ratio('entities_100', 'entities_1', 'p50_ms'),
      install_vs_baseline: ratio('install', 'install_baseline', 'p50_ms'),
      publish_vs_baseline: ratio('publish', 'publish_baseline', 'p50_ms'),
      search_vs_list: ratio('search', 'list_for_search', 'p50_ms'),
      [`updates_${UPDATES_SIZE}_vs_entities_100`]: ratio(`updates_${UPDATES_SIZE}`, 'entities_100', 'p50_ms'),
      diff_vs_install: ratio('diff', 'install', 'p50_ms'),
      list_1m_vs_10k: scaleShapes ? ratio(`list_at_${large}`, `list_at_${scaleShapes.small.packages}`, 'p50_ms') : null,
      search_1m_vs_list_1m: scaleShapes ? ratio(`search_at_${large}`, `list_at_${large}`, 'p50_ms') : null,
    };
    const sqlPerEntitiesCall = Math.max(...[1, 10, 100].map((size) => sqlPerCall[`entities_${size}`]!.service_catalog));
    const sqlPerUpdatesCall = sqlPerCall[`updates_${UPDATES_SIZE}`]?.service_catalog ?? null;
    const peakRss = peaks.list === undefined ? null : Math.round(peaks.list);
    const mainPeaks = Object.entries(peaks).filter(([name]) => !/_at_/.test(name));
    const peakRssAll = mainPeaks.length ? Math.round(Math.max(...mainPeaks.map(([, value]) => value))) : null;
    const target = (name: string, value: number | null, goal: string) => {
      const [op, limit] = goal.split(' ') as ['>=' | '<=' | '=', string];
      const met = value === null ? null : op === '>=' ? value >= Number(limit) : op === '<=' ? value <= Number(limit) : value === Number(limit);
      return { name, value, goal, met };
    };
    const targets_ = [
      target('list_vs_baseline', ratios.list_vs_baseline, '>= 0.6'),
      target('list_cpu_vs_baseline', ratios.list_cpu_vs_baseline, '<= 2'),
      target('entities_100_vs_1', ratios.entities_100_vs_1, '<= 3'),
      target('sql_per_entities_call', sqlPerEntitiesCall, '= 1'),
      target('install_vs_baseline', ratios.install_vs_baseline, '<= 1.5'),
      target('publish_vs_baseline', ratios.publish_vs_baseline, '<= 1.3'),
      target('list_1m_vs_10k', ratios.list_1m_vs_10k, '<= 1.5'),
      target('search_vs_list', ratios.search_vs_list, '<= 2'),
      target('search_1m_vs_list_1m', ratios.search_1m_vs_list_1m, '<= 2'),
      target(`updates_${UPDATES_SIZE}_vs_entities_100`, ratios[`updates_${UPDATES_SIZE}_vs_entities_100`] ?? null, '<= 3'),
      target('sql_per_updates_call', sqlPerUpdatesCall, '= 1'),
      target('diff_vs_install', ratios.diff_vs_install, '<= 3'),
      target('peak_rss_mb', peakRss, '<= 300'),
    ];

    const pg = new Client({ connectionString: ADMIN_URL });
    await pg.connect();
    const pgVersion = ((await pg.query('show server_version')).rows[0] as { server_version: string }).server_version;
    await pg.end();
    const report = {
      mode: MODE,
      finished_at: new Date().toISOString(),
      machine: {
        cores: os.cpus().length,
        cpu: os.cpus()[0]?.model ?? 'unknown',
        memory_gb: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        postgres: pgVersion,
        load_average_1m_per_run: loadAverages.map((l) => Math.round(l * 100) / 100),
      },
      method: {
        connections: CONNECTIONS,
        runs: RUNS,
        slices_per_run: SLICES,
        slice_seconds: SLICE,
        warmup_seconds: WARMUP,
        figures: 'median of the runs; ratios are the median of per-run ratios (the scenarios of a ratio measured in alternating slices)',
        rate_limit_store: RATE_LIMIT_STORE,
        service_node_options: flags['service-node-options'] ?? PRODUCTION_NODE_OPTIONS,
      },
      dataset: {
        ...shape,
        version_rows: main.versionRows,
        scale: scaleShapes
          ? {
              small_packages: scaleShapes.small.packages,
              large_packages: scaleShapes.large.packages,
              small_tenants: scaleShapes.small.tenants,
              large_tenants: scaleShapes.large.tenants,
            }
          : null,
      },
      scenarios,
      ratios,
      mean_page_size: pageSizes,
      sql_per_entities_call: sqlPerEntitiesCall,
      sql_per_updates_call: sqlPerUpdatesCall,
      not_available: Object.entries(available)
        .filter(([, yes]) => !yes)
        .map(([key]) => key),
      sizes: { updates_installed_copies: UPDATES_SIZE, diff_nodes: DIFF_NODES, diff_targets: DIFF_TARGETS },
      sql_per_call: sqlPerCall,
      peak_rss_mb: peakRss,
      peak_rss_mb_all_scenarios: peakRssAll,
      targets: targets_,
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    const json = `${JSON.stringify(report, null, 2)}\n`;
    writeFileSync(path.join(RESULTS_DIR, 'latest.json'), json);
    writeFileSync(path.join(RESULTS_DIR, `${MODE}.json`), json);
    printReport(scenarios, targets_, sqlPerCall);
    // For profile-summary --phase: when each scenario ran, on the clock V8 profiles use.
    if (flags.profile) {
      mkdirSync(PROFILE_DIR, { recursive: true });
      writeFileSync(path.join(PROFILE_DIR, 'phases.json'), `${JSON.stringify(phases, null, 2)}\n`);
    }
    log(`wrote bench/results/latest.json and bench/results/${MODE}.json`);
  } finally {
    await Promise.all(services.map((service) => service.started.stop(flags.profile ? 60_000 : 5_000).catch(() => undefined)));
    await azurite?.stop().catch(() => undefined);
    await counter?.close().catch(() => undefined);
    await issuer?.close().catch(() => undefined);
    killAll();
    if (!flags.keep) for (const db of scaleDbs) await dropDatabase(ADMIN_URL, db).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** CLOCK_MONOTONIC in microseconds: the clock of V8 CPU profiles' timestamps, in every process. */
function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

function describeSql(sql: Record<string, SqlCount>): string {
  return Object.entries(sql)
    .map(([name, c]) => `${name} ${c.service_catalog}+${c.service_rate_limit}/${c.baseline ?? '-'}`)
    .join(', ');
}

async function meanPageSize(serviceUrl: string, requests: BenchRequest[]): Promise<number> {
  let edges = 0;
  for (const request of requests) {
    const answer = JSON.parse(await postOk(`${serviceUrl}/graphql`, request, checkGraphql)) as { data: { catalogPackages: { edges: unknown[] } } };
    edges += answer.data.catalogPackages.edges.length;
  }
  return Math.round((edges / requests.length) * 10) / 10;
}

/** The baseline must answer exactly what the service answers (parsed JSON, compared as text). */
async function compareAnswers(appUrl: string, baselineUrl: string, basePath: string, requests: BenchRequest[]): Promise<void> {
  for (const request of requests) {
    const ours = JSON.stringify(JSON.parse(await postOk(`${appUrl}/graphql`, request, checkGraphql)));
    const theirs = JSON.stringify(JSON.parse(await postOk(`${baselineUrl}${basePath}`, request, checkBaseline)));
    if (ours !== theirs) throw new Error(`baseline ${basePath} answers differently:\nservice:  ${ours.slice(0, 600)}\nbaseline: ${theirs.slice(0, 600)}`);
  }
}

function printReport(
  scenarios: Record<string, ScenarioResult>,
  targets: { name: string; value: number | null; goal: string; met: boolean | null }[],
  sql: Record<string, SqlCount>,
): void {
  const lines = [
    '',
    `${'scenario'.padEnd(26)} ${'rps'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'cpu ms'.padStart(7)} ${'gen ms'.padStart(7)} ${'peak MiB'.padStart(9)}   rps of each run`,
  ];
  for (const [name, r] of Object.entries(scenarios)) {
    lines.push(
      `${name.padEnd(26)} ${String(r.rps).padStart(7)} ${r.p50_ms.toFixed(2).padStart(8)} ${r.p99_ms.toFixed(2).padStart(8)} ${String(r.cpu_ms_per_request).padStart(7)} ${String(r.loadgen_cpu_ms_per_request).padStart(7)} ${(r.peak_rss_mb === undefined ? '' : String(r.peak_rss_mb)).padStart(9)}   ${r.runs.map((m) => m.rps.toFixed(0)).join(' / ')}`,
    );
  }
  lines.push('', `${'target'.padEnd(26)} ${'value'.padStart(8)}  ${'goal'.padEnd(8)} met`);
  for (const t of targets)
    lines.push(`${t.name.padEnd(26)} ${String(t.value ?? 'n/a').padStart(8)}  ${t.goal.padEnd(8)} ${t.met === null ? 'not measured' : t.met ? 'yes' : 'NO'}`);
  lines.push(
    '',
    'cpu ms: CPU time of the server process per request; gen ms: of the load generator (same machine)',
    `SQL statements per call, service catalog + rate limit / baseline: ${describeSql(sql)}`,
    '',
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    killAll();
    process.exit(1);
  },
);
