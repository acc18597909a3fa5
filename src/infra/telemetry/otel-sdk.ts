import { createAzureSdkInstrumentation } from '@azure/opentelemetry-instrumentation-azure-sdk';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { Telemetry } from './index';
import { maskSqlLiterals } from './sql-literals';

const SERVICE_NAME = 'flow-package-catalog';
/** How often metrics are pushed (and once more at shutdown); `OTEL_METRIC_EXPORT_INTERVAL` overrides. */
const METRICS_EXPORT_INTERVAL_MS = Number(process.env.OTEL_METRIC_EXPORT_INTERVAL) || 15_000;

/**
 * Traces and the instrumentations' metrics (`http.server.request.duration`, …), over OTLP/HTTP
 * (JSON; the exporters read `OTEL_EXPORTER_OTLP_*` themselves), for platforms that collect
 * everything through one OpenTelemetry collector. The catalog's own series stay on the Prometheus
 * endpoint, and logs are pino's on stdout (with trace and span ids), so there is no log processor.
 * The propagator is the SDK's default: W3C `traceparent` (and baggage).
 */
export function startOpenTelemetrySdk(): Telemetry {
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ? undefined : SERVICE_NAME,
    traceExporter: new OTLPTraceExporter(),
    metricReaders: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter(), exportIntervalMillis: METRICS_EXPORT_INTERVAL_MS })],
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
