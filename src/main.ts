import { ConfigError, DEV_ISSUER_PATH, loadConfig } from './config';
import { startTelemetry } from './infra/telemetry';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  // Tracing starts before the app's modules load, so that its instrumentations see them load.
  const telemetry = await startTelemetry();
  const { createApp } = await import('./app.js');
  const app = await createApp(config);
  await new Promise<void>((resolve, reject) => {
    app.httpServer.once('error', reject);
    app.httpServer.listen(config.port, config.host, resolve);
  });
  const base = `http://${config.host}:${config.port}`;
  app.logger.info(
    { graphql: `${base}/graphql`, rest: `${base}/api/v1/catalog`, database: config.database.kind, blob: config.blob.kind },
    `flow package catalog listening on ${base}/graphql`,
  );
  if (app.devIssuer) {
    app.logger.info(
      { issuer: `${base}${DEV_ISSUER_PATH}` },
      'development issuer active: get a token with npm run token -- --tenant acme --user alice --email alice@acme.example',
    );
  }

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, 'shutting down');
    app
      .close()
      .then(() => telemetry?.shutdown())
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error('failed to start:', error);
  process.exit(1);
});
