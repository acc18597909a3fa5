import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BlobServiceClient } from '@azure/storage-blob';
import { FlowSourceUnavailableError, ForbiddenError, NotFoundError } from '../src/common/errors';
import { UnconfiguredFlowSource } from '../src/infra/flows/flow-source';
import { createFlowSource, HttpFlowSource } from '../src/infra/flows/http-flow-source';
import { readPackageArchive } from '../src/modules/package/package-archive';
import { closedPort } from './support/closed-port';
import { CUSTOMER_SUPPORT_BY_FLOW_ID, CUSTOMER_SUPPORT_FLOW } from './support/flows';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * Publishing by flow_id against a real (small) flows service: GET /api/v1/flows/{id} with the
 * caller's own Authorization header, answered `{ flow, permissions }` (docs/FLOWS-SERVICE.md).
 */

jest.setTimeout(60_000);

// Long enough that a loaded CI machine answers the healthy (and the oversized) flows in time; the
// slow ones stall for 5 s.
const FLOWS_TIMEOUT_MS = 2_000;

/** How the flows service answers each flow id. */
type Behaviour = (res: ServerResponse) => void | Promise<void>;
const json =
  (status: number, body: unknown, type = 'application/json') =>
  (res: ServerResponse) => {
    res.writeHead(status, { 'content-type': type }).end(typeof body === 'string' ? body : JSON.stringify(body));
  };
const BEHAVIOURS: Record<string, Behaviour> = {
  flow_abc123: json(200, { flow: CUSTOMER_SUPPORT_FLOW, permissions: ['view', 'edit', 'deploy'], etag: 'ignored' }),
  'team:flow.v2': json(200, { flow: { ...CUSTOMER_SUPPORT_FLOW, id: 'team:flow.v2' }, permissions: ['deploy'] }),
  flow_view_only: json(200, { flow: CUSTOMER_SUPPORT_FLOW, permissions: ['view', 'edit'] }),
  flow_missing: json(404, { error: 'not found' }),
  flow_401: json(401, { error: 'unauthorized' }),
  flow_403: json(403, { error: 'forbidden' }),
  flow_500: json(500, { error: 'boom' }),
  flow_503_html: json(503, '<html>down</html>', 'text/html'),
  flow_html: json(200, '<html>login page</html>', 'text/html'),
  flow_bad_json: json(200, '{"flow": {', 'application/json'),
  flow_wrong_shape: json(200, { flow: 'not an object', permissions: 'deploy' }),
  flow_no_permissions: json(200, { flow: CUSTOMER_SUPPORT_FLOW }),
  flow_array: json(200, [CUSTOMER_SUPPORT_FLOW]),
  flow_redirect: (res) => {
    res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
  },
  // Built once: serialising 5 MiB per request made this answer late on a loaded machine.
  flow_huge: json(200, JSON.stringify({ flow: { ...CUSTOMER_SUPPORT_FLOW, config: { padding: 'x'.repeat(5 * 1024 * 1024) } }, permissions: ['deploy'] })),
  flow_broken: json(200, { flow: { ...CUSTOMER_SUPPORT_FLOW, edges: [{ id: 'e1', source: 'start', target: 'nowhere' }] }, permissions: ['deploy'] }),
  flow_slow: async (res) => {
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    if (!res.destroyed) json(200, { flow: CUSTOMER_SUPPORT_FLOW, permissions: ['deploy'] })(res);
  },
  flow_slow_body: async (res) => {
    // Headers at once, then the body stalls: the timeout must cover reading the answer too.
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"flow": ');
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    if (!res.destroyed) res.end(`${JSON.stringify(CUSTOMER_SUPPORT_FLOW)}, "permissions": ["deploy"]}`);
  },
};

interface SeenRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  accept: string | undefined;
}

/** The flows service we do not own, as a real HTTP server that can be taken down and back up. */
class FakeFlowsService {
  readonly seen: SeenRequest[] = [];
  private server: Server | null = null;
  port = 0;

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, accept: req.headers.accept });
    const match = /^\/api\/v1\/flows\/([^/?]+)$/.exec(req.url ?? '');
    const behaviour = match && req.method === 'GET' ? BEHAVIOURS[decodeURIComponent(match[1]!)] : undefined;
    if (!behaviour) return json(404, { error: 'no such route' })(res);
    await behaviour(res);
  }
}

const PUBLISH_GQL = `mutation($input: PublishCatalogPackageInput!) {
  publishCatalogPackage(input: $input) { packageId version sourceFlowId authorId }
}`;

describe('publishing by flow_id (HttpFlowSource, timeout 2 s)', () => {
  const flows = new FakeFlowsService();
  let t: TestApp;
  let tenant: string;
  let token: string;

  beforeAll(async () => {
    await flows.start();
    t = await startTestApp({}, { flowSource: new HttpFlowSource({ baseUrl: flows.baseUrl, timeoutMs: FLOWS_TIMEOUT_MS }) });
  });
  afterAll(async () => {
    await t?.close();
    await flows.stop();
  });
  beforeEach(async () => {
    tenant = uniqueTenant();
    token = await t.token({ tenant, user: 'alice' });
    flows.seen.length = 0;
  });

  async function publishRest(body: Record<string, unknown>, as = token) {
    const response = await fetch(`${t.url}/api/v1/catalog/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${as}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: (await response.json()) as any };
  }

  async function publishGraphql(flowId: string) {
    return t.gql(token, PUBLISH_GQL, { input: { packageId: 'customer-support', name: 'Customer Support', version: '0.2.0', flowId } });
  }

  /** Nothing of this tenant in any table or in blob storage. */
  async function expectNothingWritten(): Promise<void> {
    const conn = t.app.orm.em.fork().getConnection();
    const [counts] = (await conn.execute(
      `select (select count(*)::int from catalog_package where tenant_id = ?) as packages,
              (select count(*)::int from catalog_package_version v join catalog_package p on p.id = v.catalog_package_id where p.tenant_id = ?) as versions,
              (select count(*)::int from catalog_audit_event where tenant_id = ?) as events`,
      [tenant, tenant, tenant],
    )) as Array<Record<string, number>>;
    expect(counts).toEqual({ packages: 0, versions: 0, events: 0 });
    expect(await t.blobNames(`catalog/${tenant}/`)).toEqual([]);
  }

  it("publishes the reference by-flow_id body over REST, forwarding the caller's Authorization, and records the source flow", async () => {
    const res = await publishRest(CUSTOMER_SUPPORT_BY_FLOW_ID);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ package_id: 'customer-support', version: '0.2.0', author_id: 'alice', description: 'Triage + KB + HITL' });

    expect(flows.seen).toEqual([{ method: 'GET', url: '/api/v1/flows/flow_abc123', authorization: `Bearer ${token}`, accept: 'application/json' }]);

    const rows = await t.app.orm.em.fork().getConnection().execute(`select source_flow_id, latest_version from catalog_package where tenant_id = ?`, [tenant]);
    expect(rows).toEqual([{ source_flow_id: 'flow_abc123', latest_version: '0.2.0' }]);
    const state = await t.gql(token, `{ catalogPackage(packageId: "customer-support") { sourceFlowId } }`);
    expect(state.body.data).toEqual({ catalogPackage: { sourceFlowId: 'flow_abc123' } });

    // The archive carries the fetched flow and where it came from.
    const [blobName] = await t.blobNames(`catalog/${tenant}/`);
    expect(blobName).toBe(`catalog/${tenant}/customer-support/v0.2.0.scaipkg`);
    const bytes = await BlobServiceClient.fromConnectionString(t.azurite.connectionString)
      .getContainerClient(t.container)
      .getBlobClient(blobName!)
      .downloadToBuffer();
    const archive = readPackageArchive(bytes);
    expect(archive.flow).toMatchObject({ id: 'flow_abc123', nodes: CUSTOMER_SUPPORT_FLOW.nodes, edges: CUSTOMER_SUPPORT_FLOW.edges });
    expect(archive.packageJson).toMatchObject({ scaicore: { sourceFlowId: 'flow_abc123' } });

    const installed = await fetch(`${t.url}/api/v1/catalog/customer-support/install`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await installed.json()) as any).flow).toMatchObject({ name: 'Copy of Customer Support', nodes: CUSTOMER_SUPPORT_FLOW.nodes });
  });

  it('publishes by flowId through GraphQL the same way', async () => {
    const res = await publishGraphql('flow_abc123');
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.publishCatalogPackage).toEqual({
      packageId: 'customer-support',
      version: '0.2.0',
      sourceFlowId: 'flow_abc123',
      authorId: 'alice',
    });
    expect(flows.seen.map((r) => r.authorization)).toEqual([`Bearer ${token}`]);
  });

  it('escapes the flow id in the URL', async () => {
    const res = await publishRest({ ...CUSTOMER_SUPPORT_BY_FLOW_ID, flow_id: 'team:flow.v2' });
    expect(res.status).toBe(201);
    expect(flows.seen.map((r) => r.url)).toEqual(['/api/v1/flows/team%3Aflow.v2']);
  });

  it('a republish from inline content clears the source flow', async () => {
    expect((await publishRest(CUSTOMER_SUPPORT_BY_FLOW_ID)).status).toBe(201);
    const { flow_id: _flowId, ...inline } = CUSTOMER_SUPPORT_BY_FLOW_ID;
    const again = await publishRest({ ...inline, content: CUSTOMER_SUPPORT_FLOW });
    expect(again.status).toBe(201);
    expect(again.body.version).toBe('0.2.1');
    const state = await t.gql(token, `{ catalogPackage(packageId: "customer-support") { sourceFlowId } }`);
    expect(state.body.data).toEqual({ catalogPackage: { sourceFlowId: null } });
  });

  it('reports a flow that does not compile as FLOW_COMPILE_FAILED, writing nothing', async () => {
    const res = await publishRest({ ...CUSTOMER_SUPPORT_BY_FLOW_ID, flow_id: 'flow_broken' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'FLOW_COMPILE_FAILED', problems: [{ path: '$.edges[0].target' }] });
    await expectNothingWritten();
  });

  describe.each([
    ['not found', 'flow_missing', 404, 'NOT_FOUND', /Flow flow_missing not found/],
    ['no deploy permission', 'flow_view_only', 403, 'FORBIDDEN', /needs the deploy permission/],
    ['401 from the flows service', 'flow_401', 403, 'FORBIDDEN', /refused access.*HTTP 401/],
    ['403 from the flows service', 'flow_403', 403, 'FORBIDDEN', /refused access.*HTTP 403/],
    ['slow (timeout)', 'flow_slow', 502, 'FLOW_SOURCE_UNAVAILABLE', /no answer within 2000 ms/],
    ['slow body (timeout)', 'flow_slow_body', 502, 'FLOW_SOURCE_UNAVAILABLE', /no answer within 2000 ms/],
    ['a 500', 'flow_500', 502, 'FLOW_SOURCE_UNAVAILABLE', /answered HTTP 500/],
    ['a 503 HTML page', 'flow_503_html', 502, 'FLOW_SOURCE_UNAVAILABLE', /answered HTTP 503/],
    ['malformed: not JSON', 'flow_html', 502, 'FLOW_SOURCE_UNAVAILABLE', /not JSON/],
    ['malformed: broken JSON', 'flow_bad_json', 502, 'FLOW_SOURCE_UNAVAILABLE', /not valid JSON/],
    ['malformed: wrong shape', 'flow_wrong_shape', 502, 'FLOW_SOURCE_UNAVAILABLE', /malformed.*wrong at flow, permissions/],
    ['malformed: no permissions', 'flow_no_permissions', 502, 'FLOW_SOURCE_UNAVAILABLE', /malformed.*wrong at permissions/],
    ['malformed: an array', 'flow_array', 502, 'FLOW_SOURCE_UNAVAILABLE', /malformed/],
    ['a redirect', 'flow_redirect', 502, 'FLOW_SOURCE_UNAVAILABLE', /answered HTTP 302/],
    ['an oversized answer', 'flow_huge', 502, 'FLOW_SOURCE_UNAVAILABLE', /larger than 4194304 bytes/],
  ])('%s', (_name, flowId, status, code, detail) => {
    it(`REST: ${status} ${code}, nothing written`, async () => {
      const res = await publishRest({ ...CUSTOMER_SUPPORT_BY_FLOW_ID, flow_id: flowId });
      expect(res.status).toBe(status);
      expect(res.contentType).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ code, status, instance: '/api/v1/catalog/publish' });
      expect(res.body.detail).toMatch(detail);
      expect(res.body.detail).not.toContain(token);
      expect(res.body.detail).not.toContain(flows.baseUrl);
      expect(flows.seen.map((r) => r.authorization)).toEqual([`Bearer ${token}`]);
      await expectNothingWritten();
    });

    it(`GraphQL: extensions.code ${code}, nothing written`, async () => {
      const res = await publishGraphql(flowId);
      expect(res.body.data ?? null).toBeNull();
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors![0]!.extensions?.code).toBe(code);
      expect(res.body.errors![0]!.message).toMatch(detail);
      await expectNothingWritten();
    });
  });

  it('does not touch an existing package when the flows service fails', async () => {
    expect((await publishRest(CUSTOMER_SUPPORT_BY_FLOW_ID)).status).toBe(201);
    const before = await t.app.orm.em.fork().getConnection().execute(`select * from catalog_package where tenant_id = ?`, [tenant]);
    const failed = await publishRest({ ...CUSTOMER_SUPPORT_BY_FLOW_ID, flow_id: 'flow_500' });
    expect(failed.status).toBe(502);
    expect(await t.app.orm.em.fork().getConnection().execute(`select * from catalog_package where tenant_id = ?`, [tenant])).toEqual(before);
    expect(await t.blobNames(`catalog/${tenant}/`)).toHaveLength(1);
  });

  it('needs scaicore:manage before asking the flows service', async () => {
    const viewer = await t.token({ tenant, user: 'alice', scopes: 'scaicore:view' });
    const res = await publishRest(CUSTOMER_SUPPORT_BY_FLOW_ID, viewer);
    expect(res.status).toBe(403);
    expect(flows.seen).toEqual([]);
  });

  it('down (connection refused): 502 FLOW_SOURCE_UNAVAILABLE through REST and GraphQL, nothing written', async () => {
    const port = flows.port;
    await flows.stop();
    try {
      const res = await publishRest(CUSTOMER_SUPPORT_BY_FLOW_ID);
      expect(res.status).toBe(502);
      expect(res.contentType).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ code: 'FLOW_SOURCE_UNAVAILABLE', status: 502 });
      expect(res.body.detail).toBe('Could not fetch flow flow_abc123 from the flows service: connection refused');
      const gql = await publishGraphql('flow_abc123');
      expect(gql.body.errors?.[0]?.extensions?.code).toBe('FLOW_SOURCE_UNAVAILABLE');
      await expectNothingWritten();
    } finally {
      await flows.start(port);
    }
    expect((await publishRest(CUSTOMER_SUPPORT_BY_FLOW_ID)).status).toBe(201);
  });
});

describe('HttpFlowSource on its own', () => {
  const flows = new FakeFlowsService();
  beforeAll(() => flows.start());
  afterAll(() => flows.stop());

  it('returns the flow document only', async () => {
    const source = new HttpFlowSource({ baseUrl: `${flows.baseUrl}/` });
    await expect(source.fetchFlowForDeploy('flow_abc123', 'Bearer x')).resolves.toEqual(CUSTOMER_SUPPORT_FLOW);
  });

  it('keeps a path prefix of the base URL', async () => {
    const source = new HttpFlowSource({ baseUrl: `${flows.baseUrl}/prefix` });
    flows.seen.length = 0;
    await expect(source.fetchFlowForDeploy('flow_abc123', 'Bearer x')).rejects.toBeInstanceOf(NotFoundError);
    expect(flows.seen.map((r) => r.url)).toEqual(['/prefix/api/v1/flows/flow_abc123']);
  });

  it('maps failures to the contract errors', async () => {
    const source = new HttpFlowSource({ baseUrl: flows.baseUrl, timeoutMs: FLOWS_TIMEOUT_MS });
    await expect(source.fetchFlowForDeploy('flow_missing', 'Bearer x')).rejects.toBeInstanceOf(NotFoundError);
    await expect(source.fetchFlowForDeploy('flow_view_only', 'Bearer x')).rejects.toBeInstanceOf(ForbiddenError);
    await expect(source.fetchFlowForDeploy('flow_slow', 'Bearer x')).rejects.toBeInstanceOf(FlowSourceUnavailableError);
    const down = new HttpFlowSource({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
    await expect(down.fetchFlowForDeploy('flow_abc123', 'Bearer x')).rejects.toThrow('connection refused');
  });

  it('createFlowSource picks the adapter from FLOWS_API_URL', () => {
    expect(createFlowSource('http://flows.internal')).toBeInstanceOf(HttpFlowSource);
    expect(createFlowSource(null)).toBeInstanceOf(UnconfiguredFlowSource);
  });
});

describe('FLOWS_API_URL wiring', () => {
  const flows = new FakeFlowsService();
  let t: TestApp;

  beforeAll(async () => {
    await flows.start();
    t = await startTestApp({ flowsApiUrl: flows.baseUrl });
  });
  afterAll(async () => {
    await t?.close();
    await flows.stop();
  });

  it('the app built from config publishes by flow_id through the configured flows service', async () => {
    const tenant = uniqueTenant();
    const token = await t.token({ tenant, user: 'alice' });
    const response = await fetch(`${t.url}/api/v1/catalog/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(CUSTOMER_SUPPORT_BY_FLOW_ID),
    });
    expect(response.status).toBe(201);
    expect(flows.seen.map((r) => [r.url, r.authorization])).toEqual([['/api/v1/flows/flow_abc123', `Bearer ${token}`]]);
  });
});
