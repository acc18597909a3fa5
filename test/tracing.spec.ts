import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Trace } from '@apollo/usage-reporting-protobuf';
import { DEV_ISSUER_AUDIENCE } from '../src/config';
import { DevIssuer, devIssuerUrl } from '../src/infra/auth/dev-issuer';
import { catalogOps } from './support/catalog-ops';
import { flowContent } from './support/flows';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';
import { buildOnce } from './support/catalog-process';
import { createTestDatabase, type TestDatabase } from './support/database';

/**
 * Federated tracing (ftv1): a router asks for a trace with `apollo-federation-include-trace: ftv1`
 * and gets the resolver timings back in `extensions.ftv1`, a base64 protobuf `Trace`.
 */

type TraceNode = Trace.INode;

/** Flattens the trace tree into `Parent.field` paths with their timings. */
function resolverTimings(node: TraceNode, into: { path: string; start: number; end: number }[] = [], prefix = ''): typeof into {
  for (const child of node.child ?? []) {
    // Protobuf decodes an unset string as '': list items carry an index instead of a name.
    const step = child.responseName || `[${child.index}]`;
    const path = prefix ? `${prefix}.${step}` : step;
    if (child.responseName) into.push({ path, start: Number(child.startTime), end: Number(child.endTime) });
    resolverTimings(child, into, path);
  }
  return into;
}

describe('federated tracing (ftv1)', () => {
  let t: TestApp;
  let token: string;
  const QUERY = '{ catalogPackages(first: 5) { edges { node { packageId name version } } } }';

  beforeAll(async () => {
    t = await startTestApp();
    const tenant = uniqueTenant('trace');
    token = await t.token({ tenant, user: 'alice' });
    const published = await catalogOps(t).publish(token, { packageId: 'traced', version: '1.0.0', content: flowContent() });
    expect(published.ok).toBe(true);
  }, 60_000);
  afterAll(() => t?.close());

  it('answers a request that asks for it with a trace holding every resolved field and its timing', async () => {
    const response = await t.gql(token, QUERY, {}, { 'apollo-federation-include-trace': 'ftv1' });
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    const ftv1 = (response.body as { extensions?: { ftv1?: string } }).extensions?.ftv1;
    expect(typeof ftv1).toBe('string');

    const trace = Trace.decode(Buffer.from(ftv1!, 'base64'));
    expect(Number(trace.durationNs)).toBeGreaterThan(0);
    const timings = resolverTimings(trace.root!);
    expect(timings.map((timing) => timing.path)).toEqual(
      expect.arrayContaining([
        'catalogPackages',
        'catalogPackages.edges',
        'catalogPackages.edges.[0].node',
        'catalogPackages.edges.[0].node.packageId',
        'catalogPackages.edges.[0].node.version',
      ]),
    );
    const root = trace.root!.child!.find((node) => node.responseName === 'catalogPackages')!;
    expect(root.parentType).toBe('Query');
    expect(root.type).toMatch(/CatalogPackageConnection/);
    for (const timing of timings) expect(timing.end).toBeGreaterThanOrEqual(timing.start);
    // The list resolver did real work (a SQL query): its span is not empty.
    expect(Number(root.endTime)).toBeGreaterThan(Number(root.startTime));
  });

  it('adds no trace to a request that does not ask for one, nor to one that asks for another format', async () => {
    for (const headers of [{}, { 'apollo-federation-include-trace': 'ftv2' }] as Record<string, string>[]) {
      const response = await t.gql(token, QUERY, {}, headers);
      expect(response.status).toBe(200);
      expect(response.body.errors).toBeUndefined();
      expect((response.body as { extensions?: unknown }).extensions).toBeUndefined();
    }
  });
});

/** A span as OTLP/HTTP JSON carries it (ids in hex). */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: Record<string, unknown> }[];
}

/** The smallest OTLP/HTTP receiver: keeps every span POSTed to /v1/traces and the names of the metrics POSTed to /v1/metrics. */
async function startOtlpReceiver(): Promise<{ url: string; spans: OtlpSpan[]; metricNames: string[]; paths: string[]; close(): Promise<void> }> {
  const spans: OtlpSpan[] = [];
  const metricNames: string[] = [];
  const paths: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      paths.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      if (req.method === 'POST' && req.url === '/v1/metrics') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceMetrics: { scopeMetrics: { metrics: { name: string }[] }[] }[] };
        for (const resource of body.resourceMetrics) for (const scope of resource.scopeMetrics) metricNames.push(...scope.metrics.map((metric) => metric.name));
      }
      if (req.method === 'POST' && req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
        for (const resource of body.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    metricNames,
    paths,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * OpenTelemetry end to end: the built app (`node dist/src/main.js`, embedded defaults) exports to a
 * real OTLP/HTTP receiver, and one GraphQL request sent with a `traceparent` yields the HTTP,
 * GraphQL and database spans in the caller's trace.
 */
describe('OpenTelemetry traces over OTLP/HTTP', () => {
  const ROOT = path.resolve(__dirname, '..');
  const TRACE_ID = randomBytes(16).toString('hex');
  const PARENT_SPAN_ID = randomBytes(8).toString('hex');
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let dataDir: string;
  let child: ChildProcess;
  let base: string;
  let port: number;
  let output = '';
  let database: TestDatabase | null = null;

  beforeAll(async () => {
    await buildOnce();
    receiver = await startOtlpReceiver();
    // On PostgreSQL the driver's own spans carry SQL text: the test below checks it holds no values.
    if (process.env.TEST_DATABASE_URL) database = await createTestDatabase();
    dataDir = await mkdtemp(path.join(tmpdir(), 'catalog-otel-'));
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, ['dist/src/main.js'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        DATA_DIR: dataDir,
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'info',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        ...(database ? { DATABASE_URL: database.url! } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(
      async () => (await fetch(`${base}/healthz`).catch(() => null))?.ok === true,
      90_000,
      () => output,
    );
  }, 240_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await receiver?.close();
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("puts the HTTP, GraphQL and database spans of one request in the caller's trace, and flushes them on SIGTERM", async () => {
    const issuer = await DevIssuer.loadOrCreate(path.join(dataDir, 'dev-issuer'), devIssuerUrl('127.0.0.1', port));
    const tenant = uniqueTenant('otel');
    const token = await issuer.signToken(
      { sub: 'alice', tid: tenant, email: 'alice.tracer@otel.example', scope: 'scaicore:view scaicore:manage' },
      { audience: DEV_ISSUER_AUDIENCE },
    );
    const literals = { tenant, email: 'alice.tracer@otel.example', packageId: 'traced-secretive-name', description: 'A description nobody should trace' };
    const published = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: 'mutation($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { version } }',
        variables: { input: { packageId: literals.packageId, name: 'Traced', version: '1.0.0', description: literals.description, content: flowContent() } },
      }),
    });
    expect(((await published.json()) as { errors?: unknown }).errors).toBeUndefined();
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, traceparent: `00-${TRACE_ID}-${PARENT_SPAN_ID}-01` },
      body: JSON.stringify({ query: 'query ListForTrace { catalogPackages(first: 5) { edges { node { id } } } }' }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const trace = receiver.spans.filter((span) => span.traceId === TRACE_ID);
    const byId = new Map(trace.map((span) => [span.spanId, span]));
    const ancestors = (span: OtlpSpan): OtlpSpan[] => {
      const parent = span.parentSpanId ? byId.get(span.parentSpanId) : undefined;
      return parent ? [parent, ...ancestors(parent)] : [];
    };
    const SERVER = 2;
    const httpSpan = trace.find((span) => span.kind === SERVER);
    expect(httpSpan).toMatchObject({ name: 'POST /graphql', parentSpanId: PARENT_SPAN_ID });
    const graphqlSpan = trace.find((span) => span.name === 'query ListForTrace');
    expect(graphqlSpan).toBeDefined();
    expect(ancestors(graphqlSpan!)).toContain(httpSpan);
    // The list's own database work, under the GraphQL span (on PostgreSQL the rate limits' store
    // also runs database work, under the HTTP span only).
    const dbSpans = trace.filter((span) => span.name === 'db.run');
    expect(dbSpans.some((span) => ancestors(span).includes(graphqlSpan!) && ancestors(span).includes(httpSpan!))).toBe(true);
    // The access line of the request names its operation and leads to its trace: the HTTP span.
    const accessLine = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { req?: { url?: string }; operationName?: string; trace_id?: string; span_id?: string })
      .find((line) => line.req?.url === '/graphql' && line.trace_id === TRACE_ID);
    expect(accessLine).toMatchObject({ operationName: 'ListForTrace', trace_id: TRACE_ID, span_id: httpSpan!.spanId });
    // No exported span holds a value of the requests: the SQL spans (PostgreSQL) keep statements only.
    const exported = JSON.stringify(receiver.spans);
    for (const value of Object.values(literals)) expect(exported).not.toContain(value);
    if (database) {
      const sqlTexts = receiver.spans
        .flatMap((span) => span.attributes ?? [])
        .filter((a) => a.key === 'db.query.text')
        .map((a) => String(a.value['stringValue']));
      // The publish's own statements are there, with their values masked.
      expect(sqlTexts.some((text) => /^(?!create|alter).*\bcatalog_package_version\b.*\?/is.test(text))).toBe(true);
    }
    // The start-up line says where everything is, and that tracing is on.
    const started = output.split('\n').find((line) => line.includes('"msg":"flow package catalog listening on'));
    expect(JSON.parse(started!)).toMatchObject({
      graphql: `${base}/graphql`,
      rest: `${base}/api/v1/catalog`,
      playground: `${base}/graphql`,
      tracing: 'on',
      metrics: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/),
    });
    // Traces and the instrumentations' metrics (flushed at SIGTERM); logs stay on stdout.
    expect(receiver.paths.every((line) => /^POST \/v1\/(traces|metrics) application\/json/.test(line))).toBe(true);
    expect(receiver.metricNames).toContain('http.server.request.duration');
  }, 60_000);
});

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, detail: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out; output so far:\n${detail()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
