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
        variables: {
          input: { packageId: 'logged', name: 'Logged', version: '1.0.0', content: { name: 'f', nodes: [{ id: 'start', type: 'start' }], edges: [] } },
        },
      }),
    });
    expect(response.status).toBe(200);
    const lines = raw.map((line) => JSON.parse(line) as Record<string, any>);

    const published = lines.find((line) => line.msg === 'package published');
    expect(published).toMatchObject({ requestId: 'logged-request-1', tenantId: tenant, userId: 'alice' });
    const requestLine = lines.find((line) => line.msg === 'request completed');
    expect(requestLine).toMatchObject({ requestId: 'logged-request-1', tenantId: tenant, userId: 'alice' });
    expect(requestLine?.req.headers.authorization).toBe('[REDACTED]');
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

  it('write no credential of a URL or a header in the access log', async () => {
    const tenant = uniqueTenant('logs');
    const token = await t.token({ tenant, user: 'alice' });
    const otherSecrets = ['api-key-value-1', 'signature-value-2', 'oauth-code-3', 'password-value-4', 'header-key-5', 'cookie-value-6', 'proxy-auth-7'];
    raw.length = 0;
    const query = `access_token=${token}&first=2&api_key=${otherSecrets[0]}&sig=${otherSecrets[1]}&%63ode=${otherSecrets[2]}&Password=${otherSecrets[3]}&q=${token}`;
    const response = await fetch(`${t.url}/api/v1/catalog?${query}`, {
      headers: {
        'x-request-id': 'logged-request-3',
        'x-api-key': otherSecrets[4]!,
        cookie: `session=${otherSecrets[5]}`,
        'proxy-authorization': `Basic ${otherSecrets[6]}`,
      },
    });
    expect(response.status).toBe(401);
    const requestLine = raw.map((line) => JSON.parse(line) as Record<string, any>).find((line) => line.requestId === 'logged-request-3');
    expect(requestLine?.req.url).toBe(
      '/api/v1/catalog?access_token=[REDACTED]&first=2&api_key=[REDACTED]&sig=[REDACTED]&%63ode=[REDACTED]&Password=[REDACTED]&q=[REDACTED]',
    );
    expect(requestLine?.req.headers).toMatchObject({ 'x-api-key': '[REDACTED]', cookie: '[REDACTED]', 'proxy-authorization': '[REDACTED]' });
    const written = raw.join('\n');
    expect(written).toContain('logged-request-3');
    for (const secret of [token, token.split('.')[2]!, ...otherSecrets]) expect(written).not.toContain(secret);
  });

  it('redact tokens and secrets in anything logged', () => {
    const lines: string[] = [];
    const logger = createLogger('info', new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }));
    logger.info({ token: 'secret-1', nested: { token: 'secret-2', authorization: 'Bearer secret-3' }, routerSecret: 'secret-4' }, 'something');
    expect(lines.join('')).not.toMatch(/secret-\d/);
  });
});
