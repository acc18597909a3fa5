import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { loadConfig } from '../src/config';

/**
 * Docker does not run on the project's machines, so the deployment files are checked by reading
 * them: docker-compose.yml, router.yaml, the Dockerfile and what they point at.
 */
const ROOT = path.resolve(__dirname, '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; interval?: string; retries?: number };
}

const compose = YAML.parse(read('docker-compose.yml')) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const router = YAML.parse(read('router.yaml')) as Record<string, any>;
const services = compose.services;

/** Compose interpolation: `${VAR}`, `${VAR:-default}`, `${VAR:?message}`. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_all, name: string, kind?: string, rest?: string) => {
    if (env[name] !== undefined && env[name] !== '') return env[name];
    if (kind === '?') throw new Error(`${name} is required: ${rest}`);
    return kind === '-' ? (rest ?? '') : '';
  });
}

describe('docker-compose.yml', () => {
  it('has the four services of the stack, with pinned images', () => {
    expect(Object.keys(services).sort()).toEqual(['azurite', 'catalog', 'postgres', 'router']);
    expect(services.postgres!.image).toMatch(/^postgres:\d+\.\d+-alpine$/);
    expect(services.azurite!.image).toMatch(/^mcr\.microsoft\.com\/azure-storage\/azurite:\d+\.\d+\.\d+$/);
    expect(services.router!.image).toMatch(/^ghcr\.io\/apollographql\/router:v\d+\.\d+\.\d+$/);
    expect(Object.keys(compose.volumes).sort()).toEqual(['azurite-data', 'postgres-data']);
  });

  it('gives PostgreSQL a health check', () => {
    expect(services.postgres!.healthcheck!.test.join(' ')).toContain('pg_isready -U catalog -d catalog');
    expect(services.postgres!.environment).toMatchObject({ POSTGRES_USER: 'catalog', POSTGRES_DB: 'catalog' });
  });

  it('runs Azurite without telemetry and without the API version check, with a health check', () => {
    const command = services.azurite!.command!;
    expect(command).toEqual(expect.arrayContaining(['azurite-blob', '--disableTelemetry', '--skipApiVersionCheck']));
    expect(command[command.indexOf('--blobPort') + 1]).toBe('10000');
    expect(command[command.indexOf('--blobHost') + 1]).toBe('0.0.0.0');
    expect(services.azurite!.healthcheck!.test.join(' ')).toContain('10000');
  });

  describe('the catalog service', () => {
    const catalog = services.catalog!;
    const env = catalog.environment!;

    it('is built from the Dockerfile and waits for healthy PostgreSQL and Azurite', () => {
      expect(catalog.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
      expect(existsSync(path.join(ROOT, catalog.build!.dockerfile))).toBe(true);
      expect(catalog.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, azurite: { condition: 'service_healthy' } });
      expect(catalog.healthcheck!.test.join(' ')).toContain('http://127.0.0.1:4001/readyz');
      expect(catalog.ports).toEqual(['127.0.0.1:4001:4001']);
    });

    it('points at the other services and demands the secrets instead of defaulting them', () => {
      expect(env.NODE_ENV).toBe('production');
      expect(env.DATABASE_URL).toMatch(/^postgres:\/\/catalog:.+@postgres:5432\/catalog$/);
      expect(env.AZURE_STORAGE_CONNECTION_STRING).toContain('BlobEndpoint=http://azurite:10000/devstoreaccount1;');
      for (const name of ['OIDC_ISSUER', 'OIDC_AUDIENCE', 'ROUTER_SECRET', 'CATALOG_SIGNING_KEY'])
        expect(env[name]).toMatch(new RegExp(`^\\$\\{${name}:\\?.+\\}$`));
      expect(() => interpolate(env.ROUTER_SECRET!, {})).toThrow('ROUTER_SECRET is required');
    });

    it('is an environment the app accepts in production', () => {
      const signingKey = JSON.stringify(generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }));
      const given = {
        OIDC_ISSUER: 'https://login.example.test/tenant/v2.0',
        OIDC_AUDIENCE: 'api://catalog',
        ROUTER_SECRET: 's3cret',
        CATALOG_SIGNING_KEY: signingKey,
      };
      const resolved = Object.fromEntries(Object.entries(env).map(([name, value]) => [name, interpolate(String(value), given)]));
      const config = loadConfig(resolved);
      expect(config).toMatchObject({
        nodeEnv: 'production',
        host: '0.0.0.0',
        port: 4001,
        database: { kind: 'postgres', url: 'postgres://catalog:catalog-local@postgres:5432/catalog' },
        blob: { kind: 'connection-string', container: 'catalog' },
        auth: { kind: 'oidc', issuer: given.OIDC_ISSUER, audience: given.OIDC_AUDIENCE },
        routerSecret: 's3cret',
        flowsApiUrl: null,
        signing: { kind: 'configured', currentKey: { material: signingKey } },
      });
    });
  });

  describe('the router service', () => {
    const service = services.router!;
    const mounts = Object.fromEntries(service.volumes!.map((volume) => volume.split(':')).map(([from, to]) => [to!, from!]));
    const flag = (name: string) => service.command![service.command!.indexOf(name) + 1]!;

    it('mounts router.yaml and supergraph.graphql, which exist, where its command reads them', () => {
      expect(mounts[flag('--config')]).toBe('./router.yaml');
      expect(mounts[flag('--supergraph')]).toBe('./supergraph.graphql');
      for (const file of Object.values(mounts)) expect(existsSync(path.join(ROOT, file))).toBe(true);
    });

    it('shares ROUTER_SECRET with the catalog, listens on 4000 and starts after a healthy catalog', () => {
      expect(service.environment!.ROUTER_SECRET).toBe(services.catalog!.environment!.ROUTER_SECRET);
      expect(service.environment!.APOLLO_TELEMETRY_DISABLED).toBe('true');
      expect(service.ports).toEqual(expect.arrayContaining(['4000:4000']));
      expect(service.depends_on).toEqual({ catalog: { condition: 'service_healthy' } });
    });
  });
});

describe('router.yaml', () => {
  const supergraph = read('supergraph.graphql');
  const graphs = Object.fromEntries([...supergraph.matchAll(/@join__graph\(name: "(\w+)", url: "([^"]+)"\)/g)].map((m) => [m[1]!, m[2]!]));

  it('serves the supergraph on 4000 and a health check on 8088', () => {
    expect(router.supergraph.listen).toBe('0.0.0.0:4000');
    expect(router.health_check).toMatchObject({ enabled: true, listen: '0.0.0.0:8088' });
    expect(services.router!.ports).toEqual(expect.arrayContaining(['127.0.0.1:8088:8088']));
  });

  it('propagates Authorization to every subgraph and adds router-secret for the catalog from the environment', () => {
    expect(router.headers.all.request).toEqual(expect.arrayContaining([{ propagate: { named: 'authorization' } }]));
    expect(router.headers.subgraphs.catalog.request).toEqual([{ insert: { name: 'router-secret', value: '${env.ROUTER_SECRET}' } }]);
    // Only the catalog gets the secret.
    expect(Object.keys(router.headers.subgraphs)).toEqual(['catalog']);
  });

  it("passes the catalog's errors (and their codes) through, and redacts the other subgraphs' errors", () => {
    // The boolean form: Router v2 refuses objects under `subgraphs` when `all` is a boolean.
    expect(router.include_subgraph_errors).toEqual({ all: false, subgraphs: { catalog: true } });
  });

  it("continues the caller's W3C trace context into every subgraph request", () => {
    expect(router.telemetry.exporters.tracing.propagation).toEqual({ trace_context: true });
    // Continued by the router, not copied by a header rule (which would leave the router's span out).
    expect(router.headers.all.request).not.toEqual(expect.arrayContaining([{ propagate: { named: 'traceparent' } }]));
  });

  it('names only subgraphs of the supergraph, and the catalog URL is the compose service', () => {
    expect(Object.keys(graphs).sort()).toEqual(['catalog', 'flows', 'users']);
    const named = [
      ...Object.keys(router.headers.subgraphs),
      ...Object.keys(router.override_subgraph_url),
      ...Object.keys(router.include_subgraph_errors.subgraphs),
    ];
    for (const name of named) expect(graphs).toHaveProperty(name);
    expect(graphs.catalog).toBe(`http://catalog:${services.catalog!.environment!.PORT}/graphql`);
  });
});

describe('Dockerfile', () => {
  const lines = read('Dockerfile')
    .replace(/\s*\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const instructions = (name: string) => lines.filter((line) => line.startsWith(`${name} `)).map((line) => line.slice(name.length + 1));

  it('builds in one stage and runs from another, both on Node 24', () => {
    expect(instructions('FROM')).toEqual(['node:24-slim AS build', 'node:24-slim AS runtime']);
  });

  it('installs from the lockfile, builds, and prunes the dev dependencies', () => {
    const run = instructions('RUN').join('\n');
    expect(run).toMatch(/npm ci\b/);
    expect(run).toMatch(/npm run build && npm prune --omit=dev/);
  });

  it('copies only files that exist', () => {
    const sources = instructions('COPY')
      .filter((args) => !args.startsWith('--from'))
      .flatMap((args) => args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(existsSync(path.join(ROOT, source))).toBe(true);
  });

  it('runs as a non-root user in production with a /readyz health check', () => {
    expect(instructions('USER')).toEqual(['node']);
    expect(instructions('ENV').join(' ')).toContain('NODE_ENV=production');
    expect(instructions('HEALTHCHECK').join(' ')).toContain('/readyz');
    expect(instructions('CMD')).toEqual(['["node", "dist/src/main.js"]']);
    expect(lines.indexOf('USER node')).toBeGreaterThan(lines.findIndex((line) => line.startsWith('FROM node:24-slim AS runtime')));
  });

  it('carries the migration job that npm run migrate runs, built from scripts/migrate.ts', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.migrate).toMatch(/node dist\/scripts\/migrate\.js$/);
    expect(existsSync(path.join(ROOT, 'scripts', 'migrate.ts'))).toBe(true);
    const runtime = lines.slice(lines.findIndex((line) => line.startsWith('FROM node:24-slim AS runtime')));
    expect(runtime).toContain('COPY --from=build /app/dist/scripts/migrate.js /app/dist/scripts/migrate.js.map ./dist/scripts/');
  });

  it('keeps local state and dependencies out of the build context', () => {
    const ignored = read('.dockerignore').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.data', '.git', '.env']));
  });
});
