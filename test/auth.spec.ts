import { createHmac, createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import express from 'express';
import { DEV_ISSUER_PATH } from '../src/config';
import { UnauthenticatedError } from '../src/common/errors';
import { DevIssuer, devIssuerUrl } from '../src/infra/auth/dev-issuer';
import { OidcTokenVerifier, TokenIssuerUnavailableError } from '../src/infra/auth/oidc-verifier';
import { startTestIssuer, type TestIssuer } from './support/oidc-issuer';

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

async function expectUnauthenticated(promise: Promise<unknown>, message?: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UnauthenticatedError);
  expect((error as UnauthenticatedError).extensions['code']).toBe('UNAUTHENTICATED');
  if (message) expect((error as Error).message).toBe(message);
}

describe('OidcTokenVerifier against a real issuer', () => {
  let issuer: TestIssuer;
  let verifier: OidcTokenVerifier;
  const alice = { tenant: 'acme', user: 'alice', email: 'alice@acme.example', scopes: 'scaicore:view' };

  beforeAll(async () => {
    issuer = await startTestIssuer();
  });
  afterAll(() => issuer.close());
  beforeEach(() => {
    verifier = new OidcTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwksCooldownMs: 0 });
  });

  it('maps every claim of a valid token', async () => {
    const token = await issuer.sign({
      sub: 'alice',
      tid: 'acme',
      email: 'alice@acme.example',
      groups: ['g1', 'g2', 42, null],
      roles: ['tenant_admin', { x: 1 }],
      scp: 'scaicore:view  extra:one',
      scope: 'scaicore:manage',
      permissions: ['extra:two', 7],
    });
    const caller = await verifier.verify(`Bearer ${token}`);
    expect(caller).toEqual({
      tenantId: 'acme',
      userId: 'alice',
      email: 'alice@acme.example',
      groups: ['g1', 'g2'],
      permissions: new Set(['scaicore:view', 'extra:one', 'scaicore:manage', 'extra:two']),
      roles: new Set(['tenant_admin']),
    });
  });

  it('defaults optional claims and accepts a lower-case scheme', async () => {
    const caller = await verifier.verify(`bearer ${await issuer.sign({ sub: 'bob', tid: 'acme' })}`);
    expect(caller).toEqual({
      tenantId: 'acme',
      userId: 'bob',
      email: null,
      groups: [],
      permissions: new Set(),
      roles: new Set(),
    });
  });

  it.each([
    ['a missing header', undefined],
    ['an empty header', ''],
    ['a Basic scheme', 'Basic YWxpY2U6c2VjcmV0'],
    ['a Bearer without a token', 'Bearer '],
    ['a garbage token', 'Bearer not-a-jwt'],
    ['three garbage parts', 'Bearer aaa.bbb.ccc'],
  ])('refuses %s', async (_name, header) => {
    await expectUnauthenticated(verifier.verify(header));
  });

  it('refuses an expired token, and says so without echoing it', async () => {
    const token = await issuer.tokenFor(alice, { expiresIn: -120 });
    const error = await verifier.verify(`Bearer ${token}`).catch((e: Error) => e);
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect((error as Error).message).toBe('The token has expired');
    expect((error as Error).message).not.toContain(token.split('.')[1]);
  });

  it('accepts a token expired within the clock tolerance', async () => {
    const token = await issuer.tokenFor(alice, { expiresIn: -10 });
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({ userId: 'alice' });
  });

  it('refuses a token that is not valid yet', async () => {
    await expectUnauthenticated(
      verifier.verify(`Bearer ${await issuer.tokenFor(alice, { notBefore: 600, expiresIn: 900 })}`),
      'The token claims are not valid here',
    );
  });

  it('refuses a token from another issuer', async () => {
    await expectUnauthenticated(verifier.verify(`Bearer ${await issuer.tokenFor(alice, { issuer: 'https://evil.example' })}`));
  });

  it('refuses a token for another audience', async () => {
    await expectUnauthenticated(verifier.verify(`Bearer ${await issuer.tokenFor(alice, { audience: 'other-api' })}`));
  });

  it('refuses a token signed by a key the issuer does not publish', async () => {
    await expectUnauthenticated(verifier.verify(`Bearer ${await issuer.tokenFor(alice, { key: 'foreign' })}`), 'The token signature is not valid');
  });

  it('refuses an unsecured token (alg none)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: 'alice', tid: 'acme', iss: issuer.issuer, aud: issuer.audience, iat: now, exp: now + 300 };
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
    await expectUnauthenticated(verifier.verify(`Bearer ${token}`), 'The token algorithm is not allowed');
  });

  it('refuses HS256 signed with the published public key (algorithm confusion)', async () => {
    const jwks = (await (await fetch(`${issuer.issuer}/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    const jwk = jwks.keys[0]!;
    const pem = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: 'alice', tid: 'acme', iss: issuer.issuer, aud: issuer.audience, iat: now, exp: now + 300 };
    const input = `${b64url({ alg: 'HS256', typ: 'JWT', kid: jwk.kid })}.${b64url(claims)}`;
    const signature = createHmac('sha256', pem).update(input).digest('base64url');
    await expectUnauthenticated(verifier.verify(`Bearer ${input}.${signature}`), 'The token algorithm is not allowed');
  });

  it('refuses a token without a tenant', async () => {
    await expectUnauthenticated(verifier.verify(`Bearer ${await issuer.sign({ sub: 'alice' })}`));
    await expectUnauthenticated(verifier.verify(`Bearer ${await issuer.sign({ sub: 'alice', tid: '' })}`));
  });

  it('refuses a token without a subject', async () => {
    await expectUnauthenticated(verifier.verify(`Bearer ${await issuer.sign({ tid: 'acme' })}`));
  });

  it('picks up a rotated key without a restart', async () => {
    await expect(verifier.verify(`Bearer ${await issuer.tokenFor(alice)}`)).resolves.toMatchObject({ userId: 'alice' });
    await issuer.rotateKey();
    const rotated = await issuer.tokenFor({ ...alice, user: 'alice-after-rotation' });
    await expect(verifier.verify(`Bearer ${rotated}`)).resolves.toMatchObject({ userId: 'alice-after-rotation' });
  });

  it('accepts tokens of a key published beside the current one, signed with its kid', async () => {
    const kid = await issuer.addKey();
    const token = await issuer.tokenFor({ ...alice, user: 'alice-new-key' }, { kid });
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid).toBe(kid);
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({ userId: 'alice-new-key' });
    await expect(verifier.verify(`Bearer ${await issuer.tokenFor(alice)}`)).resolves.toMatchObject({ userId: 'alice' });
  });

  it('reports an issuer outage as unavailable (not 401) and retries discovery on the next request', async () => {
    const token = await issuer.tokenFor(alice);
    issuer.setAvailable(false);
    try {
      await expect(verifier.verify(`Bearer ${token}`)).rejects.toBeInstanceOf(TokenIssuerUnavailableError);
    } finally {
      issuer.setAvailable(true);
    }
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({ tenantId: 'acme' });
  });

  it('reports a JWKS outage during a key refresh as unavailable, not 401', async () => {
    await verifier.verify(`Bearer ${await issuer.tokenFor(alice)}`);
    await issuer.rotateKey();
    const rotated = await issuer.tokenFor(alice);
    issuer.setAvailable(false);
    try {
      await expect(verifier.verify(`Bearer ${rotated}`)).rejects.toBeInstanceOf(TokenIssuerUnavailableError);
    } finally {
      issuer.setAvailable(true);
    }
    await expect(verifier.verify(`Bearer ${rotated}`)).resolves.toMatchObject({ userId: 'alice' });
  });

  it('answers a token of an unseen kid from what the issuer says now, within the cooldown too: its key, or 503 when it is down', async () => {
    const patient = new OidcTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwksCooldownMs: 1_000 });
    await patient.verify(`Bearer ${await issuer.tokenFor(alice)}`);
    const published = await issuer.tokenFor({ ...alice, user: 'alice-fresh-key' }, { kid: await issuer.addKey() });
    await expect(patient.verify(`Bearer ${published}`)).resolves.toMatchObject({ userId: 'alice-fresh-key' });

    const unseen = await issuer.tokenFor(alice, { kid: await issuer.addKey() });
    issuer.setAvailable(false);
    try {
      const started = Date.now();
      const error = await patient.verify(`Bearer ${unseen}`).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenIssuerUnavailableError);
      expect((error as TokenIssuerUnavailableError).extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', dependency: 'issuer' });
      expect(Date.now() - started).toBeLessThan(2_000);
      // Right after the failed fetch, a second unseen kid is refused as unavailable at once.
      const again = Date.now();
      await expect(patient.verify(`Bearer ${unseen}`)).rejects.toBeInstanceOf(TokenIssuerUnavailableError);
      expect(Date.now() - again).toBeLessThan(500);
    } finally {
      issuer.setAvailable(true);
    }
    // The issuer is asked again a cooldown after the failed fetch.
    await sleep(1_100);
    await expect(patient.verify(`Bearer ${unseen}`)).resolves.toMatchObject({ userId: 'alice' });
  });

  it('refuses a made-up kid with a 401 once the issuer has been asked, at most one fetch per cooldown', async () => {
    const patient = new OidcTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwksCooldownMs: 500 });
    await patient.verify(`Bearer ${await issuer.tokenFor(alice)}`);
    const madeUp = await issuer.tokenFor(alice, { key: 'unpublished' });
    const started = Date.now();
    await Promise.all([1, 2, 3].map(() => expectUnauthenticated(patient.verify(`Bearer ${madeUp}`), 'The token signature is not valid')));
    await expectUnauthenticated(patient.verify(`Bearer ${madeUp}`), 'The token signature is not valid');
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('refuses to trust discovery that advertises another issuer', async () => {
    const misconfigured = new OidcTokenVerifier({ issuer: `${issuer.issuer}/`, audience: issuer.audience });
    await expect(misconfigured.verify(`Bearer ${await issuer.tokenFor(alice)}`)).rejects.toBeInstanceOf(TokenIssuerUnavailableError);
  });
});

describe('DevIssuer', () => {
  let keyDir: string;
  let server: Server;
  let issuerUrl: string;

  beforeAll(async () => {
    keyDir = path.join(await mkdtemp(path.join(os.tmpdir(), 'dev-issuer-')), 'nested', 'keys');
    // The issuer URL depends on the port, so listen first and mount the router once the issuer exists.
    const app = express();
    let devIssuerRouter: express.Router | undefined;
    app.use(DEV_ISSUER_PATH, (req, res, next) => devIssuerRouter!(req, res, next));
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    issuerUrl = devIssuerUrl('127.0.0.1', (server.address() as AddressInfo).port);
    devIssuerRouter = (await DevIssuer.loadOrCreate(keyDir, issuerUrl)).router();
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(path.dirname(path.dirname(keyDir)), { recursive: true, force: true });
  });

  it('keeps its key across restarts, in a private file', async () => {
    const first = await DevIssuer.loadOrCreate(keyDir, issuerUrl);
    const second = await DevIssuer.loadOrCreate(keyDir, issuerUrl);
    expect(second.kid).toBe(first.kid);
    expect((await stat(path.join(keyDir, 'signing-key.json'))).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path.join(keyDir, 'signing-key.json'), 'utf8'))).toHaveProperty('d');
  });

  it('serves discovery and a JWKS with the public key only', async () => {
    const discovery = (await (await fetch(`${issuerUrl}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({ issuer: issuerUrl, jwks_uri: `${issuerUrl}/jwks.json` });
    const jwks = (await (await fetch(`${issuerUrl}/jwks.json`)).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    expect(Object.keys(jwks.keys[0]!).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
  });

  it('signs tokens that the production verifier accepts, across a restart', async () => {
    const before = await DevIssuer.loadOrCreate(keyDir, issuerUrl);
    const token = await before.signToken(
      { sub: 'alice', tid: 'acme', email: 'alice@acme.example', groups: ['g1'], roles: ['tenant_admin'], scope: 'scaicore:view scaicore:manage' },
      { audience: 'flow-package-catalog', expiresIn: 600 },
    );
    const verifier = new OidcTokenVerifier({ issuer: issuerUrl, audience: 'flow-package-catalog' });
    expect(await verifier.verify(`Bearer ${token}`)).toEqual({
      tenantId: 'acme',
      userId: 'alice',
      email: 'alice@acme.example',
      groups: ['g1'],
      permissions: new Set(['scaicore:view', 'scaicore:manage']),
      roles: new Set(['tenant_admin']),
    });
    await expectUnauthenticated(new OidcTokenVerifier({ issuer: issuerUrl, audience: 'someone-else' }).verify(`Bearer ${token}`));
  });

  it('builds issuer URLs that a client can reach', () => {
    expect(devIssuerUrl('127.0.0.1', 4001)).toBe('http://127.0.0.1:4001/.dev-issuer');
    expect(devIssuerUrl('0.0.0.0', 4001)).toBe('http://127.0.0.1:4001/.dev-issuer');
    expect(devIssuerUrl('::', 4001)).toBe('http://[::1]:4001/.dev-issuer');
  });
});
