import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createApp, type App } from '../src/app';
import { configWith, DEV_ISSUER_AUDIENCE, type AppConfig } from '../src/config';
import { createLogger } from '../src/common/logger';
import { playgroundAssetsDir } from '../src/http/playground';
import { startTestAzurite, uniqueContainerName } from './support/azurite';
import { ListPackageNodesDocument, PublishPackageVersionDocument } from './generated/graphql';
import { flowContent } from './support/flows';
import { request } from './support/graphql-client';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';
import type { EmbeddedAzurite } from '../src/infra/blob/embedded-azurite';

jest.setTimeout(120_000);

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = path.resolve('test-results', 'playground.png');
const DEV_SCREENSHOT = path.resolve('test-results', 'playground-dev-token.png');
// The machine has no outside network: without these, Chromium keeps calling home (and failing).
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The bundle is made by `npm run build`; a fresh checkout under `npm test` builds it here. */
function ensurePlaygroundBuilt(): void {
  if (existsSync(path.join(playgroundAssetsDir(), 'graphiql.js'))) return;
  execFileSync(process.execPath, [path.resolve('playground', 'build.mjs')], { stdio: 'inherit' });
}

describe('playground over HTTP', () => {
  let t: TestApp;

  beforeAll(async () => {
    ensurePlaygroundBuilt();
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('serves GraphiQL to a browser at GET /graphql without a token, with a strict CSP', async () => {
    const response = await fetch(`${t.url}/graphql`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'.*connect-src 'self'/);
    const html = await response.text();
    expect(html).toContain('/graphql/playground/graphiql.js');
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('serves its assets without a token, and 404 for anything else there', async () => {
    for (const file of ['graphiql.js', 'graphiql.css', 'editor.worker.js', 'json.worker.js', 'graphql.worker.js']) {
      const response = await fetch(`${t.url}/graphql/playground/${file}`);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    expect((await fetch(`${t.url}/graphql/playground/nope.js`)).status).toBe(404);
    expect((await fetch(`${t.url}/graphql/playground/../../package.json`)).status).toBe(404);
  });

  it('still answers GraphQL clients at /graphql: a JSON GET needs a token', async () => {
    const response = await fetch(`${t.url}/graphql?query=%7B__typename%7D`, { headers: { accept: 'application/json' } });
    expect(response.status).toBe(401);
    const noHtml = await fetch(`${t.url}/graphql`, { headers: { accept: 'application/json' } });
    expect(noHtml.headers.get('content-type')).not.toMatch(/html/);
  });

  it('has no token endpoint without the development issuer', async () => {
    const response = await fetch(`${t.url}/.dev-issuer/playground-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(404);
  });
});

describe('playground switched off', () => {
  it.each([
    ['in production', { nodeEnv: 'production' }],
    ['with PLAYGROUND=false', { edge: { playground: false } }],
  ] as const)('is not served %s', async (_name, overrides) => {
    const t = await startTestApp(overrides);
    try {
      const response = await fetch(`${t.url}/graphql`, { headers: { accept: 'text/html' } });
      expect(response.headers.get('content-type') ?? '').not.toMatch(/html/);
      expect((await fetch(`${t.url}/graphql/playground/graphiql.js`)).status).not.toBe(200);
    } finally {
      await t.close();
    }
  });
});

const inBrowser = existsSync(CHROMIUM) ? describe : describe.skip;
if (!existsSync(CHROMIUM)) {
  console.warn(`playground browser tests SKIPPED: ${CHROMIUM} not found (apt-get install -y chromium; .ci/run installs it)`);
}

/** Opens the playground and records every URL the page asks for. */
async function openPlayground(browser: Browser, url: string, headers = 'Bearer <token>'): Promise<{ page: Page; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('worker', (worker) => requests.push(worker.url()));
  await page.goto(`${url}/graphql`, { waitUntil: 'load' });
  await page.locator('.graphiql-container').waitFor();
  // The headers editor is open and pre-filled (the placeholder, or a development token).
  await page.locator('section[aria-label="Headers"]').getByText(headers).waitFor();
  return { page, requests };
}

/** Replaces the active tab's placeholder headers with a real token. */
async function useToken(page: Page, token: string): Promise<void> {
  const headers = page.locator('.monaco-editor[data-uri$="request-headers.json"]');
  await headers.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${token}` }));
  // Monaco may have auto-closed a quote or brace behind the cursor: drop whatever follows.
  await page.keyboard.press('Shift+ControlOrMeta+End');
  await page.keyboard.press('Delete');
}

async function runActiveTab(page: Page, expected: string): Promise<string> {
  await page.locator('.graphiql-execute-button').click();
  const result = page.locator('.result-window');
  try {
    await result.getByText(expected).first().waitFor({ timeout: 30_000 });
  } catch (error) {
    const failure = path.resolve('test-results', 'playground-failure.png');
    await page.screenshot({ path: failure });
    console.log(`playground failure screenshot: ${failure}`);
    throw error;
  }
  // Monaco draws spaces as no-break spaces.
  return (await result.innerText()).replace(/\u00a0/g, ' ');
}

function expectOnlyServer(requests: string[], origin: string): void {
  expect(requests.length).toBeGreaterThan(0);
  const outside = requests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:') && !url.startsWith('blob:'));
  expect(outside).toEqual([]);
}

inBrowser('playground in Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    ensurePlaygroundBuilt();
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(() => browser?.close());

  describe('with a token from the OIDC issuer', () => {
    let t: TestApp;
    let token: string;
    const tenant = uniqueTenant();

    beforeAll(async () => {
      t = await startTestApp();
      token = await t.token({ tenant, user: 'alice' });
      const published = await t.request(
        PublishPackageVersionDocument,
        { input: { packageId: 'browser-visible', name: 'Seen in the browser', version: '1.2.3', content: flowContent('Browser') } },
        token,
      );
      expect(published.body.errors).toBeUndefined();
    });
    afterAll(() => t.close());

    it('runs the preloaded list query with a token and shows the result, asking nothing of any other host', async () => {
      const { page, requests } = await openPlayground(browser, t.url);
      await useToken(page, token);
      const text = await runActiveTab(page, 'browser-visible');
      expect(text).toContain('Seen in the browser');
      expect(text).toContain('1.2.3');
      await page.screenshot({ path: SCREENSHOT });
      console.log(`playground screenshot: ${SCREENSHOT}`);

      expectOnlyServer(requests, t.url);
      expect(requests.some((url) => url.endsWith('/graphql/playground/graphql.worker.js'))).toBe(true);
      await page.close();
    });

    it('opens without an error, with the schema in the docs pane and in completion, before any token is given', async () => {
      const { page } = await openPlayground(browser, t.url);
      // The docs pane lists the schema's root fields.
      await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
      const docs = page.locator('.graphiql-doc-explorer');
      await docs.getByText('Query').first().click();
      await docs.getByText('catalogPackages').first().waitFor({ timeout: 15_000 });
      // Completion offers schema fields in the operation editor.
      await page.locator('.graphiql-query-editor .monaco-editor').click();
      await page.keyboard.press('ControlOrMeta+End');
      await page.keyboard.insertText('\nquery Completion { catalogU');
      await page.keyboard.press('Control+Space');
      await page.locator('.suggest-widget').getByText('catalogUsage').first().waitFor({ timeout: 15_000 });
      // And nothing on the page shows an error that nobody caused.
      const result = (await page.locator('.result-window').innerText()).replace(/\u00a0/g, ' ');
      expect(result).not.toMatch(/UNAUTHENTICATED|error/i);
      expect(await page.getByText('Error fetching schema').count()).toBe(0);
      await page.close();
    });

    it('preloads publish and install examples that run as they are', async () => {
      const { page } = await openPlayground(browser, t.url);
      const tabs = await page.locator('.graphiql-tab').allInnerTexts();
      expect(tabs.join(' ')).toMatch(/ListPackages.*PublishPackage.*CheckInstall.*InstallPackage/s);
      await page.locator('.graphiql-tab', { hasText: 'PublishPackage' }).click();
      await useToken(page, token);
      expect(await runActiveTab(page, 'hello-flow')).toMatch(/"version": "0\.1\.0"/);
      // The example environment has the action node in a version below the one the flow needs.
      await page.locator('.graphiql-tab', { hasText: 'CheckInstall' }).click();
      await useToken(page, token);
      expect(await runActiveTab(page, 'NODE_TYPE_TOO_OLD')).toMatch(/"installable": false/);
      await page.locator('.graphiql-tab', { hasText: 'InstallPackage' }).click();
      await useToken(page, token);
      const installed = await runActiveTab(page, 'Copy of Hello flow');
      expect(installed).toMatch(/"packageId": "hello-flow"/);
      expect(installed).toMatch(/"message": "Hi there"/);
      expect(installed).toMatch(/"channel": "\{\{credentials\.team-chat\}\}"/);
      await page.close();
    });
  });

  describe('with the development issuer', () => {
    let app: App;
    let url: string;
    let azurite: EmbeddedAzurite;
    let dataDir: string;

    beforeAll(async () => {
      // The development issuer's URL names the port, so the port is chosen before the app is built.
      const port = await freePort();
      azurite = await startTestAzurite();
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'playground-dev-'));
      const config: AppConfig = configWith({
        port,
        host: '127.0.0.1',
        dataDir,
        nodeEnv: 'development',
        logLevel: 'silent',
        database: { kind: 'pglite', dataDir: ':memory:' },
        blob: { kind: 'connection-string', connectionString: azurite.connectionString, container: uniqueContainerName() },
        auth: { kind: 'dev-issuer', keyDir: path.join(dataDir, 'dev-issuer'), audience: DEV_ISSUER_AUDIENCE },
        flowsApiUrl: null,
        routerSecret: null,
        migrate: true,
      });
      app = await createApp(config, { logger: createLogger('silent') });
      await new Promise<void>((resolve) => app.httpServer.listen(port, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${port}`;
    });
    afterAll(async () => {
      await app?.close();
      await azurite?.stop();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('signs a demo token only for a JSON POST', async () => {
      const refused = await fetch(`${url}/.dev-issuer/playground-token`, { method: 'POST', body: 'x' });
      expect(refused.status).toBe(415);
      const response = await fetch(`${url}/.dev-issuer/playground-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(response.status).toBe(200);
      const { token, claims } = (await response.json()) as { token: string; claims: Record<string, string> };
      expect(claims).toMatchObject({ sub: 'demo-user', tid: 'demo' });
      const list = await request(`${url}/graphql`, ListPackageNodesDocument, {}, token);
      expect(list.status).toBe(200);
    });

    it('opens with a development token in every tab: each example runs on its first click', async () => {
      const { page, requests } = await openPlayground(browser, url, 'Bearer ey');
      expect(await runActiveTab(page, 'catalogPackages')).toContain('"edges": []');
      await page.locator('.graphiql-tab', { hasText: 'PublishPackage' }).click();
      await page.locator('section[aria-label="Headers"]').getByText('Bearer ey').waitFor();
      expect(await runActiveTab(page, 'hello-flow')).toMatch(/"version": "0\.1\.0"/);
      await page.locator('.graphiql-tab', { hasText: 'InstallPackage' }).click();
      expect(await runActiveTab(page, 'Copy of Hello flow')).toMatch(/"packageId": "hello-flow"/);
      expectOnlyServer(requests, url);
      await page.close();
    });

    it('puts a fresh development token in every tab, and in tabs opened later, in one click', async () => {
      const { page, requests } = await openPlayground(browser, url, 'Bearer ey');
      const headersText = async () => (await page.locator('section[aria-label="Headers"]').innerText()).replace(/\s+/g, '');
      const first = await headersText();
      // Tokens name the second they were signed in: wait for the next one, so the new token differs.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      await page.getByRole('button', { name: 'use a development token' }).click();
      const fresh = await until(headersText, (text) => text !== first);
      expect(fresh).toMatch(/Bearerey/);
      await page.locator('.graphiql-tab', { hasText: 'PublishPackage' }).click();
      expect(await until(headersText, (text) => text === fresh)).toBe(fresh);
      await page.getByRole('button', { name: 'New tab' }).click();
      expect(await until(headersText, (text) => text === fresh)).toBe(fresh);
      // Back to the first tab (the new one may open with a copy of its query, and its title).
      await page.locator('.graphiql-tab').first().click();
      expect(await until(headersText, (text) => text === fresh)).toBe(fresh);
      const text = await runActiveTab(page, 'catalogPackages');
      expect(text).not.toContain('"errors"'); // the fresh token is accepted
      await page.screenshot({ path: DEV_SCREENSHOT });
      console.log(`playground screenshot (development token): ${DEV_SCREENSHOT}`);
      expectOnlyServer(requests, url);
      await page.close();
    });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The value of `read` once `done` holds for it, or its last value after `timeoutMs`. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}
