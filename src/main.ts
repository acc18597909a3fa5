import type { App } from './app';
import { createLogger, type Logger } from './common/logger';
import { ConfigError, DEV_ISSUER_PATH, loadConfig } from './config';
import { startTelemetry } from './infra/telemetry';

/** Closing the parts (blob storage, the database) after the requests: seconds beyond the grace. */
const CLOSE_MARGIN_SECONDS = 10;

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
  const logger = createLogger(config.logLevel);
  // Tracing starts before the app's modules load, so that its instrumentations see them load.
  const telemetry = await startTelemetry();
  // Listening for signals from the very start: a Ctrl-C while the database starts up (or while an
  // earlier release's embedded Azurite is imported) must still stop them, not leave them running.
  const signals = stopOnSignals(logger, config.shutdownGraceSeconds, async () => {
    await telemetry?.shutdown();
  });
  const { createApp } = await import('./app.js');
  const app = await createApp(config, { logger });
  await new Promise<void>((resolve, reject) => {
    app.httpServer.once('error', reject);
    app.httpServer.listen(config.port, config.host, resolve);
  });
  const base = `http://${config.host}:${config.port}`;
  // One line that says where everything is: what a newcomer and an operator look for first.
  app.logger.info(
    {
      graphql: `${base}/graphql`,
      rest: `${base}/api/v1/catalog`,
      playground: config.edge.playground ? `${base}/graphql` : null,
      metrics: app.metricsUrl ? `${app.metricsUrl}/metrics` : null,
      tracing: telemetry ? 'on' : 'off',
      database: config.database.kind,
      blob: config.blob.kind,
    },
    `flow package catalog listening on ${base}/graphql`,
  );
  if (app.devIssuer) {
    app.logger.info(
      { issuer: `${base}${DEV_ISSUER_PATH}` },
      'development issuer active: get a token with npm run token -- --tenant acme --user alice --email alice@acme.example',
    );
  }
  signals.started(app);
}

/**
 * SIGTERM/SIGINT: /readyz turns 503 at once, requests in flight get `graceSeconds` to finish, the
 * parts close, exit 0. A second signal, or the whole stop running past its deadline, exits 1
 * (the 'exit' hook in azurite-process.ts still takes an importing Azurite down with us).
 */
function stopOnSignals(logger: Logger, graceSeconds: number, afterClose: () => Promise<void>): { started(app: App): void } {
  let app: App | null = null;
  let requested = false;
  const shutdown = (running: App) => {
    running.markDraining();
    running
      .close()
      .then(afterClose)
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (requested) {
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    requested = true;
    logger.info({ signal, graceSeconds }, 'shutting down: finishing requests in flight');
    const deadlineSeconds = graceSeconds + CLOSE_MARGIN_SECONDS;
    setTimeout(() => {
      logger.error({ deadlineSeconds }, 'shutdown did not finish in time: exiting');
      process.exit(1);
    }, deadlineSeconds * 1000);
    if (app) shutdown(app);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    started(running) {
      app = running;
      if (requested) shutdown(running);
    },
  };
}

main().catch((error: unknown) => {
  console.error('failed to start:', error);
  process.exit(1);
});
