import { Writable } from 'node:stream';
import { createLogger } from '../src/common/logger';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

jest.setTimeout(120_000);

describe('log lines', () => {
  let t: TestApp;
  const raw: string[] = [];

  beforeAll(async () => {
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        raw.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    t = await startTestApp({}, { logger: createLogger('info', destination) });
  });
  afterAll(() => t.close());

  it('carry the request id, tenant and user of the request, and never the bearer token', async () => {
    const tenant = uniqueTenant('logs');
    const token = await t.token({ tenant, user: 'alice' });
    raw.length = 0;
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': 'logged-request-1' },
      body: JSON.stringify({
        query: 'mutation($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { id } }',
        variables: { input: { packageId: 'logged', name: 'Logged', version: '1.0.0', content: { name: 'f', nodes: [{ id: 'start', type: 'start' }], edges: [] } } },
      }),
    });
    expect(response.status).toBe(200);
    const lines = raw.map((line) => JSON.parse(line) as Record<string, any>);

    const published = lines.find((line) => line.msg === 'package published');
    expect(published).toMatchObject({ requestId: 'logged-request-1', tenantId: tenant, userId: 'alice' });
    const requestLine = lines.find((line) => line.msg === 'request completed');
    expect(requestLine).toMatchObject({ requestId: 'logged-request-1', tenantId: tenant, userId: 'alice' });
    expect(requestLine?.req.headers.authorization).toBe('[redacted]');
    for (const line of raw) expect(line).not.toContain(token);
  });

  it('name no caller before authentication, but still the request id', async () => {
    raw.length = 0;
    const refused = await fetch(`${t.url}/api/v1/catalog`, { headers: { authorization: 'Bearer not-a-token', 'x-request-id': 'logged-request-2' } });
    expect(refused.status).toBe(401);
    const lines = raw.map((line) => JSON.parse(line) as Record<string, any>);
    const requestLine = lines.find((line) => line.requestId === 'logged-request-2');
    expect(requestLine).toBeDefined();
    expect(requestLine).not.toHaveProperty('tenantId');
    expect(raw.join('\n')).not.toContain('not-a-token');
  });

  it('redact tokens and secrets in anything logged', () => {
    const lines: string[] = [];
    const logger = createLogger('info', new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }));
    logger.info({ token: 'secret-1', nested: { token: 'secret-2', authorization: 'Bearer secret-3' }, routerSecret: 'secret-4' }, 'something');
    expect(lines.join('')).not.toMatch(/secret-\d/);
  });
});
