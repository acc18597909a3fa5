/**
 * OpenTelemetry tracing, on only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set: otherwise the SDK is
 * not even loaded. Call before the app's modules are loaded: instrumentations patch modules as
 * they are required (src/main.ts imports the app afterwards).
 */
export interface Telemetry {
  /** Flushes the spans still buffered and stops exporting. */
  shutdown(): Promise<void>;
}

export async function startTelemetry(env: NodeJS.ProcessEnv = process.env): Promise<Telemetry | null> {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()) return null;
  const { startOpenTelemetrySdk } = await import('./otel-sdk.js');
  return startOpenTelemetrySdk();
}
