import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { Router, type Request, type Response } from 'express';
import { projectRoot } from '../common/project-root';
import type { DevIssuer } from '../infra/auth/dev-issuer';

/** Where the bundled GraphiQL is served from (built into dist/playground by `npm run build`). */
const PLAYGROUND_ASSETS_PATH = '/graphql/playground';
export const DEV_TOKEN_SUBPATH = '/playground-token';

/** The demo user of the development token button: a member of its own tenant with both permissions. */
const DEMO_USER = {
  sub: 'demo-user',
  tid: 'demo',
  email: 'demo@example.test',
  scope: 'scaicore:view scaicore:manage',
} as const;

/** `dist/playground` of this project, whether we run from `src` (tests) or `dist/src`. */
export function playgroundAssetsDir(): string {
  return path.join(projectRoot(), 'dist', 'playground');
}

// Everything the page loads comes from this server; the CSP makes the browser hold to that.
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * GET /graphql for a browser (it prefers HTML over JSON and sends no query) gets GraphiQL; every
 * other request goes on to Apollo. The page and its assets need no token: only the operations
 * the page sends do.
 */
export function playgroundRouter(options: { assetsDir: string; devTokenUrl: string | null }): Router {
  const router = Router();
  const built = existsSync(path.join(options.assetsDir, 'graphiql.js'));
  // `use`, not `get`: a GET route would make Express answer OPTIONS /graphql itself, before CORS.
  router.use('/graphql', (req, res, next) => {
    if (req.method !== 'GET' || req.path !== '/') return next();
    const wantsHtml = req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html';
    if (!wantsHtml || req.query['query'] !== undefined) return next();
    if (!built) {
      res.status(503).type('text/plain').send('The playground is not built: run npm run build.');
      return;
    }
    sendPage(res, { endpoint: '/graphql', assetsPath: PLAYGROUND_ASSETS_PATH, devTokenUrl: options.devTokenUrl });
  });
  router.use(PLAYGROUND_ASSETS_PATH, express.static(options.assetsDir, { index: false, maxAge: 0 }), (_req: Request, res: Response) => {
    res.status(404).type('text/plain').send('Not found');
  });
  return router;
}

function sendPage(res: Response, config: { endpoint: string; assetsPath: string; devTokenUrl: string | null }): void {
  // JSON in a non-executed script tag; `<` escaped so that no value can close the tag.
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  res.status(200).set({
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  }).send(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Flow package catalog · GraphQL playground</title>
<link rel="stylesheet" href="${config.assetsPath}/graphiql.css">
<style>html, body, #playground { height: 100%; margin: 0; } .playground-dev-token { padding: 4px 10px; border: 1px solid currentColor; border-radius: 6px; cursor: pointer; }</style>
</head>
<body>
<div id="playground"></div>
<script id="playground-config" type="application/json">${json}</script>
<script src="${config.assetsPath}/graphiql.js"></script>
</body>
</html>
`);
}

/**
 * Development only (mounted when the development issuer is active and the playground is on):
 * signs a one-hour token for the demo user, for the playground's "use a development token" button.
 */
export function devTokenHandler(devIssuer: DevIssuer, audience: string) {
  return async (req: Request, res: Response): Promise<void> => {
    // A JSON body forces a CORS preflight on cross-site callers, which this path never answers.
    if (!req.is('application/json')) {
      res.status(415).json({ error: 'Send Content-Type: application/json' });
      return;
    }
    const token = await devIssuer.signToken({ ...DEMO_USER }, { audience, expiresIn: '1h' });
    res.set('cache-control', 'no-store').json({ token, claims: DEMO_USER });
  };
}
