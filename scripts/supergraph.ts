/**
 * `npm run supergraph`: a whole supergraph on a laptop. The catalog (same config as `npm start`,
 * embedded defaults), the example flows and users subgraphs, and Hive Gateway on the committed
 * supergraph.graphql; prints the URLs, a token command and a joined query. Ctrl-C (or SIGTERM)
 * stops every part, the catalog last, and exits 0.
 *
 * Ports: the catalog's `PORT` (4001), `GATEWAY_PORT` (4000), `FLOWS_SUBGRAPH_PORT` (4002) and
 * `USERS_SUBGRAPH_PORT` (4003); 0 takes any free port.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../src/config';
import { createLogger } from '../src/common/logger';
import { startFlowsSubgraph, startUsersSubgraph, type FlowFixture } from './lib/example-subgraphs';
import { startHiveGateway } from './lib/hive-gateway';

/** The example tenant's flows: alice owns two, bob one (publish one by `flowId` to try it). */
const TENANT = 'acme';
const FLOWS: FlowFixture[] = [
  { id: 'invoice-sync', tenantId: TENANT, name: 'Invoice sync', ownerId: 'alice' },
  { id: 'lead-scoring', tenantId: TENANT, name: 'Lead scoring', ownerId: 'alice' },
  { id: 'ticket-triage', tenantId: TENANT, name: 'Ticket triage', ownerId: 'bob' },
];
const USERS = [
  { id: 'alice', name: 'Alice Anders' },
  { id: 'bob', name: 'Bob Brown' },
];

function portFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ConfigError([`${name} must be a port number (0-65535), got "${raw}"`]);
  return port;
}

async function main(): Promise<void> {
  const gatewayPort = portFrom('GATEWAY_PORT', 4000);
  const flowsPort = portFrom('FLOWS_SUBGRAPH_PORT', 4002);
  const usersPort = portFrom('USERS_SUBGRAPH_PORT', 4003);
  const base = loadConfig();
  const logger = createLogger(base.logLevel);

  // The subgraphs check tokens themselves, against whichever issuer the catalog trusts; they ask
  // at their first request, once the catalog (which may serve the development issuer) is up.
  let issuer = { issuer: '', audience: '' };
  const flows = await startFlowsSubgraph(() => issuer, FLOWS, flowsPort);
  const users = await startUsersSubgraph(() => issuer, USERS, usersPort);
  const config = { ...base, flowsApiUrl: base.flowsApiUrl ?? flows.url.replace(/\/graphql$/, '') };
  const { createApp } = await import('../src/app.js');
  const app = await createApp(config, { logger });
  await new Promise<void>((resolve, reject) => {
    app.httpServer.once('error', reject);
    app.httpServer.listen(config.port, config.host, resolve);
  });
  const catalogUrl = `http://${config.host}:${config.port}/graphql`;
  issuer =
    config.auth.kind === 'oidc'
      ? { issuer: config.auth.issuer, audience: config.auth.audience }
      : { issuer: app.devIssuer!.issuerUrl, audience: config.auth.audience };
  const gateway = await startHiveGateway({
    supergraphSdl: readFileSync(path.resolve(__dirname, '../../supergraph.graphql'), 'utf8'),
    subgraphUrls: { catalog: catalogUrl, flows: flows.url, users: users.url },
    routerSecret: config.routerSecret,
    port: gatewayPort,
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'supergraph: stopping the gateway, the subgraphs and the catalog');
    app.markDraining();
    Promise.all([gateway.close(), flows.close(), users.close()])
      .then(() => app.close())
      .then(() => {
        logger.info('supergraph: stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'supergraph: stop failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const tokenCommand =
    config.auth.kind === 'oidc'
      ? `a token from ${config.auth.issuer}`
      : `TOKEN=$(npm run -s token -- --tenant ${TENANT} --user alice --email alice@acme.example)`;
  process.stdout.write(
    [
      '',
      `gateway        ${gateway.url}`,
      `catalog        ${catalogUrl}`,
      `flows subgraph ${flows.url}`,
      `users subgraph ${users.url}`,
      '',
      `token          ${tokenCommand}`,
      `publish        curl -s ${catalogUrl} -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\`,
      `                 -d '{"query":"mutation { publishCatalogPackage(input: { packageId: \\"invoice-sync\\", name: \\"Invoice sync\\", version: \\"1.0.0\\", flowId: \\"invoice-sync\\" }) { packageId version } }"}'`,
      `joined query   curl -s ${gateway.url} -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\`,
      `                 -d '{"query":"{ flows(first: 5) { edges { node { name owner { name } catalogPackages { packageId version } } } } }"}'`,
      '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
