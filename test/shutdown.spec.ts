import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DEV_ISSUER_AUDIENCE } from '../src/config';
import { DevIssuer, devIssuerUrl } from '../src/infra/auth/dev-issuer';
import { findFreePort } from '../src/infra/blob/embedded-azurite';
import { flowContent } from './support/flows';
import { startTestApp, type TestApp } from './support/test-app';
import { buildOnce } from './support/catalog-process';

/**
 * The built service (`node dist/src/main.js`) started and stopped for real, on one DATA_DIR
 * (PGlite + archives as files under DATA_DIR/blobs): every stop finishes and exits 0.
 */

jest.setTimeout(600_000);

const ROOT = path.resolve(__dirname, '..');
const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');
const GRACE_MS = 10_000;
const START_TIMEOUT_MS = 120_000;
const CYCLES = 20;

const PUBLISH = `mutation($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { packageId version } }`;
const INSTALL = `mutation($packageId: String!, $version: String) {
  installCatalogPackage(packageId: $packageId, version: $version) { metadata { version } } }`;
const LIST = `{ catalogPackages(first: 50) { edges { node { packageId version } } } }`;

interface LogLine {
  level: number;
  msg: string;
  pid?: number;
  [key: string]: unknown;
}

/** One `node dist/src/main.js`, its JSON log lines, and its exit. */
class RunningCatalog {
  readonly logs: LogLine[] = [];
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = '';

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly dataDir: string,
  ) {
    let pending = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          this.stderr += `${line}\n`;
        }
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  static async start(dataDir: string, env: Record<string, string> = {}): Promise<RunningCatalog> {
    const port = await findFreePort();
    const inherited = { ...process.env };
    for (const name of ['DATABASE_URL', 'AZURE_STORAGE_CONNECTION_STRING', 'OIDC_ISSUER', 'OIDC_AUDIENCE', 'FLOWS_API_URL', 'ROUTER_SECRET', 'METRICS_PORT']) {
      delete inherited[name];
    }
    const child = spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      // Not NODE_ENV=test (jest's): Apollo installs its own signal handlers outside tests, and
      // those were a cause of the hangs this file guards against.
      env: { ...inherited, NODE_ENV: 'development', HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'info', METRICS_PORT: 'off', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const catalog = new RunningCatalog(child, port, dataDir);
    const exitedEarly = catalog.exit.then(({ code, signal }) => {
      throw new Error(`exited during start (code ${code}, signal ${signal}):\n${catalog.stderr}`);
    });
    await Promise.race([catalog.waitForLog(/listening on/, START_TIMEOUT_MS), exitedEarly]);
    return catalog;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  errors(): LogLine[] {
    return this.logs.filter((l) => l.level >= 50);
  }

  async waitForLog(msg: RegExp, timeoutMs: number): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = this.logs.find((l) => msg.test(l.msg));
      if (found) return found;
      await sleep(50);
    }
    throw new Error(`no log line ${msg} within ${timeoutMs} ms; stderr:\n${this.stderr}`);
  }

  async token(): Promise<string> {
    const issuer = await DevIssuer.loadOrCreate(path.join(this.dataDir, 'dev-issuer'), devIssuerUrl('127.0.0.1', this.port));
    return issuer.signToken(
      { sub: 'alice', tid: 'acme', email: 'alice@acme.example', scope: 'scaicore:view scaicore:manage' },
      { audience: DEV_ISSUER_AUDIENCE },
    );
  }

  async gql(token: string, query: string, variables: Record<string, unknown> = {}): Promise<{ status: number; body: any }> {
    const response = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, body: await response.json() };
  }

  async readyStatus(): Promise<number | 'refused'> {
    try {
      return (await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(5_000) })).status;
    } catch {
      return 'refused';
    }
  }

  /** Sends `signal`, then waits for the exit; the time it took in ms. */
  async stop(signal: NodeJS.Signals): Promise<{ code: number | null; ms: number }> {
    const started = Date.now();
    this.child.kill(signal);
    const result = await Promise.race([this.exit, sleep(GRACE_MS + 20_000).then(() => null)]);
    if (!result) {
      this.child.kill('SIGKILL');
      throw new Error(`still running ${GRACE_MS + 20_000} ms after ${signal}`);
    }
    return { code: result.code, ms: Date.now() - started };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForReady(catalog: RunningCatalog, status: number, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while ((await catalog.readyStatus()) !== status) {
    if (Date.now() > deadline) throw new Error(`/readyz did not answer ${status} within ${withinMs} ms`);
    await sleep(100);
  }
}

/** The flows service: answers after `delayMs`, and says when a request has arrived. */
async function startSlowFlowsService(delayMs: number): Promise<{ url: string; arrived: () => Promise<void>; close(): Promise<void> }> {
  let signalArrival: () => void = () => {};
  let arrival = new Promise<void>((resolve) => (signalArrival = resolve));
  const server: Server = createServer((_req, res) => {
    signalArrival();
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ flow: { id: 'slow', ...flowContent('Slow flow') }, permissions: ['view', 'edit', 'deploy'] }));
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrived: async () => {
      await arrival;
      arrival = new Promise<void>((resolve) => (signalArrival = resolve));
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

// The embedded defaults (PGlite, archives as files) are what is stopped here: the PostgreSQL run of
// the suite (TEST_DATABASE_URL) has nothing to add to it.
const embeddedOnly = process.env.TEST_DATABASE_URL ? describe.skip : describe;

embeddedOnly('stopping the service (node dist/src/main.js on one DATA_DIR)', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'catalog-shutdown-'));
  let flows: Awaited<ReturnType<typeof startSlowFlowsService>>;

  beforeAll(async () => {
    await buildOnce();
    flows = await startSlowFlowsService(2_000);
  });

  afterAll(async () => {
    await flows?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`serves and stops ${CYCLES} times, alternating SIGINT and SIGTERM, each exiting 0 within the grace period`, async () => {
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const catalog = await RunningCatalog.start(dataDir);
      const token = await catalog.token();
      const published = await catalog.gql(token, PUBLISH, {
        input: { packageId: 'cycles', name: 'Cycles', version: `1.0.${cycle}`, content: flowContent() },
      });
      expect(published).toMatchObject({ status: 200, body: { data: { publishCatalogPackage: { version: `1.0.${cycle}` } } } });
      if (cycle > 1) {
        // The previous run's row (PGlite) and archive (DATA_DIR/blobs) both survived its stop.
        const installed = await catalog.gql(token, INSTALL, { packageId: 'cycles', version: `1.0.${cycle - 1}` });
        expect(installed.body).toEqual({ data: { installCatalogPackage: { metadata: { version: `1.0.${cycle - 1}` } } } });
      }

      const signal = cycle % 2 === 1 ? 'SIGINT' : 'SIGTERM';
      const { code, ms } = await catalog.stop(signal);
      expect({ cycle, signal, code, withinGrace: ms < GRACE_MS }).toEqual({ cycle, signal, code: 0, withinGrace: true });
      expect(catalog.errors()).toEqual([]);
      expect(catalog.logs.some((l) => l.msg === 'stopped')).toBe(true);
    }
  });

  it('lets a request in flight finish after SIGTERM, refusing new ones, then exits 0', async () => {
    const catalog = await RunningCatalog.start(dataDir, { FLOWS_API_URL: flows.url });
    const token = await catalog.token();
    const slowPublish = catalog.gql(token, PUBLISH, { input: { packageId: 'slow', name: 'Slow', version: '1.0.0', flowId: 'slow' } });
    await flows.arrived();

    catalog.child.kill('SIGTERM');
    await catalog.waitForLog(/shutting down/, 5_000);
    expect(await catalog.readyStatus()).not.toBe(200);

    await expect(slowPublish).resolves.toMatchObject({ status: 200, body: { data: { publishCatalogPackage: { packageId: 'slow', version: '1.0.0' } } } });
    const { code } = await catalog.exit;
    expect(code).toBe(0);
    expect(catalog.errors()).toEqual([]);
  });

  it('answers /readyz 503 while the blob directory is gone, 200 once it is back, and blobs work again', async () => {
    const catalog = await RunningCatalog.start(dataDir, { FLOWS_API_URL: flows.url });
    const blobs = path.join(dataDir, 'blobs');
    try {
      const token = await catalog.token();
      // As an unmounted volume: the directory is not there for a while, then is again.
      renameSync(blobs, `${blobs}.away`);
      await waitForReady(catalog, 503, 5_000);
      const refused = await catalog.gql(token, PUBLISH, {
        input: { packageId: 'while-away', name: 'While away', version: '1.0.0', content: flowContent() },
      });
      expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      renameSync(`${blobs}.away`, blobs);
      await waitForReady(catalog, 200, 10_000);

      const published = await catalog.gql(token, PUBLISH, {
        input: { packageId: 'after-return', name: 'After return', version: '1.0.0', content: flowContent() },
      });
      expect(published.body).toEqual({ data: { publishCatalogPackage: { packageId: 'after-return', version: '1.0.0' } } });
      const installed = await catalog.gql(token, INSTALL, { packageId: 'after-return' });
      expect(installed.body).toEqual({ data: { installCatalogPackage: { metadata: { version: '1.0.0' } } } });
      const listed = await catalog.gql(token, LIST);
      expect(listed.body.data.catalogPackages.edges.map((e: { node: { packageId: string } }) => e.node.packageId)).toEqual(
        expect.arrayContaining(['after-return', 'cycles', 'slow']),
      );
      // The refused publish left nothing behind: no row, so no half-published version.
      expect(listed.body.data.catalogPackages.edges.map((e: { node: { packageId: string } }) => e.node.packageId)).not.toContain('while-away');
    } finally {
      const { code } = await catalog.stop('SIGTERM');
      expect(code).toBe(0);
    }
  });

  it('exits 1 at once on a second signal', async () => {
    const catalog = await RunningCatalog.start(dataDir, { FLOWS_API_URL: flows.url });
    const token = await catalog.token();
    const slowPublish = catalog.gql(token, PUBLISH, { input: { packageId: 'slow', name: 'Slow', version: '2.0.0', flowId: 'slow' } }).then(
      () => 'answered',
      () => 'cut off',
    );
    await flows.arrived();

    catalog.child.kill('SIGTERM');
    await catalog.waitForLog(/shutting down/, 5_000);
    const { code, ms } = await catalog.stop('SIGINT');
    expect(code).toBe(1);
    // "At once": well inside the 10 s grace a first signal would wait (bounded loosely: the machine may be loaded).
    expect(ms).toBeLessThan(5_000);
    expect(await slowPublish).toBe('cut off');
  });
});

describe('draining (the app in process)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('answers /readyz 503 and refuses new requests with Connection: close once draining', async () => {
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
    t.app.markDraining();

    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get('connection')).toBe('close');

    const graphql = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{__typename}"}' });
    expect(graphql.status).toBe(503);
    expect(graphql.headers.get('connection')).toBe('close');
    expect(await graphql.json()).toMatchObject({ errors: [{ extensions: { code: 'SERVICE_UNAVAILABLE' } }] });

    const rest = await fetch(`${t.url}/api/v1/catalog/packages`);
    expect(rest.status).toBe(503);
    expect(rest.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await rest.json()).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });

    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });
});
