import { createAzureSdkInstrumentation } from '@azure/opentelemetry-instrumentation-azure-sdk';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { Telemetry } from './index';
import { maskSqlLiterals } from './sql-literals';

const SERVICE_NAME = 'flow-package-catalog';

/**
 * Traces only, over OTLP/HTTP (JSON; the exporter reads `OTEL_EXPORTER_OTLP_*` itself). Metrics
 * are Prometheus' and logs pino's, so the SDK gets no metric reader and no log processor. The
 * propagator is the SDK's default: W3C `traceparent` (and baggage).
 */
export function startOpenTelemetrySdk(): Telemetry {
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ? undefined : SERVICE_NAME,
    traceExporter: new OTLPTraceExporter(),
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      // Probes and the metrics endpoint would drown the traces that matter.
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => req.url === '/healthz' || req.url === '/readyz' }),
      // Route handlers only: a span per middleware (and per mounted router) is noise in every trace.
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER] }),
      // One span per operation phase and per resolver of an object field; trivial property reads
      // (most of a list's fields) would multiply spans by the page size.
      new GraphQLInstrumentation({ ignoreTrivialResolveSpans: true, mergeItems: true }),
      // MikroORM inlines values into the SQL it sends: the span keeps the statement, not the values.
      new PgInstrumentation({ requestHook: (span, { query }) => query.text && span.setAttribute('db.query.text', maskSqlLiterals(query.text)) }),
      createAzureSdkInstrumentation(),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
