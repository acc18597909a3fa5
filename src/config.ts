import path from 'node:path';
import { z } from 'zod';

/**
 * Everything the app needs, already resolved: tests build this directly, `main.ts` gets it from
 * the environment through `loadConfig`.
 */
export interface AppConfig {
  port: number;
  host: string;
  dataDir: string;
  nodeEnv: string;
  logLevel: string;
  database: DatabaseConfig;
  blob: BlobConfig;
  auth: AuthConfig;
  flowsApiUrl: string | null;
  routerSecret: string | null;
  migrate: boolean;
}

export type DatabaseConfig =
  | { kind: 'postgres'; url: string }
  /** `dataDir` is a directory, or `:memory:` for a throwaway database. */
  | { kind: 'pglite'; dataDir: string };

export type BlobConfig = { container: string } & (
  | { kind: 'connection-string'; connectionString: string }
  /** `location` null keeps blobs in memory (tests). */
  | { kind: 'embedded-azurite'; location: string | null }
);

export type AuthConfig =
  | { kind: 'oidc'; issuer: string; audience: string }
  /** The local development issuer; its key lives in `keyDir`, it is served by the app itself. */
  | { kind: 'dev-issuer'; keyDir: string; audience: string };

export const DEV_ISSUER_AUDIENCE = 'flow-package-catalog';
export const DEV_ISSUER_PATH = '/.dev-issuer';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4001),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./.data'),
  NODE_ENV: z.string().default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: optionalString.pipe(
    z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL').optional(),
  ),
  AZURE_STORAGE_CONNECTION_STRING: optionalString.pipe(
    z
      .string()
      .regex(/(AccountName=|BlobEndpoint=|UseDevelopmentStorage=true)/, 'is not an Azure Storage connection string')
      .optional(),
  ),
  CATALOG_BLOB_CONTAINER: z
    .string()
    .regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, 'must be a valid Azure container name (3-63 of a-z, 0-9, -)')
    .default('catalog'),
  OIDC_ISSUER: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  OIDC_AUDIENCE: optionalString,
  FLOWS_API_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  ROUTER_SECRET: optionalString,
  MIGRATE: z.enum(['true', 'false']).default('true'),
});

/** Parses the environment once, listing every problem at once (CONTRACT §1). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const dataDir = path.resolve(e.DATA_DIR);
  const production = e.NODE_ENV === 'production';

  let auth: AuthConfig;
  if (e.OIDC_ISSUER && e.OIDC_AUDIENCE) {
    auth = { kind: 'oidc', issuer: e.OIDC_ISSUER, audience: e.OIDC_AUDIENCE };
  } else if (e.OIDC_ISSUER || e.OIDC_AUDIENCE) {
    problems.push('OIDC_ISSUER and OIDC_AUDIENCE must be set together');
    auth = { kind: 'dev-issuer', keyDir: path.join(dataDir, 'dev-issuer'), audience: DEV_ISSUER_AUDIENCE };
  } else {
    if (production) {
      problems.push('OIDC_ISSUER and OIDC_AUDIENCE are required when NODE_ENV=production (the development issuer is refused)');
    }
    auth = { kind: 'dev-issuer', keyDir: path.join(dataDir, 'dev-issuer'), audience: DEV_ISSUER_AUDIENCE };
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    nodeEnv: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL }
      : { kind: 'pglite', dataDir: path.join(dataDir, 'pglite') },
    blob: e.AZURE_STORAGE_CONNECTION_STRING
      ? { kind: 'connection-string', connectionString: e.AZURE_STORAGE_CONNECTION_STRING, container: e.CATALOG_BLOB_CONTAINER }
      : { kind: 'embedded-azurite', location: path.join(dataDir, 'azurite'), container: e.CATALOG_BLOB_CONTAINER },
    auth,
    flowsApiUrl: e.FLOWS_API_URL ?? null,
    routerSecret: e.ROUTER_SECRET ?? null,
    migrate: e.MIGRATE === 'true',
  };
}
