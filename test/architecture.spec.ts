import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The layers point one way (docs/ARCHITECTURE.md, "The request path"): modules never import an
 * edge, and edges never decide who may do what (they call use cases, which call the policy).
 */
const SRC = path.resolve(__dirname, '../src');
const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [full] : [];
  });
}

/** Every relative import of a file, as a path under src/ (`modules/access/policy`). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)]
    .map((match) => match[1] ?? match[2]!)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) =>
      path
        .relative(SRC, path.resolve(path.dirname(file), specifier))
        .split(path.sep)
        .join('/'),
    );
}

function violations(folder: string, forbidden: (target: string) => boolean): string[] {
  return sourceFiles(path.join(SRC, folder)).flatMap((file) =>
    importsOf(file)
      .filter(forbidden)
      .map((target) => `${path.relative(SRC, file)} imports ${target}`),
  );
}

describe('layers', () => {
  it('finds the imports it checks (the scanner itself works)', () => {
    expect(importsOf(path.join(SRC, 'app.ts'))).toEqual(expect.arrayContaining(['modules/package/catalog', 'graphql/schema', 'rest/catalog.router']));
    expect(sourceFiles(path.join(SRC, 'modules')).length).toBeGreaterThan(20);
  });

  it('modules never import from http/, rest/ or graphql/', () => {
    expect(violations('modules', (target) => /^(http|rest|graphql)\//.test(target))).toEqual([]);
  });

  it('the edges share http/ (errors, problem documents, authentication, early answers) and never import each other', () => {
    expect(violations('http', (target) => /^(rest|graphql)\//.test(target))).toEqual([]);
    expect(violations('graphql', (target) => target.startsWith('rest/'))).toEqual([]);
    expect(violations('rest', (target) => target.startsWith('graphql/'))).toEqual([]);
    // Both edges do use the kernel, so the scanner sees these folders' imports.
    expect(violations('rest', (target) => target.startsWith('http/')).length).toBeGreaterThan(0);
    expect(violations('graphql', (target) => target.startsWith('http/')).length).toBeGreaterThan(0);
  });

  it('the domain (common/, modules/, infra/) and its errors know nothing of the GraphQL libraries', () => {
    const graphqlPackage = /^(?:graphql|graphql-[\w-]+|type-graphql|@apollo\/[\w-]+|@as-integrations\/[\w-]+)(?:\/|$)/;
    const found = ['common', 'modules', 'infra'].flatMap((folder) =>
      sourceFiles(path.join(SRC, folder)).flatMap((file) =>
        [...readFileSync(file, 'utf8').matchAll(IMPORT)]
          .map((match) => match[1] ?? match[2]!)
          .filter((specifier) => graphqlPackage.test(specifier))
          .map((specifier) => `${path.relative(SRC, file)} imports ${specifier}`),
      ),
    );
    expect(found).toEqual([]);
    // The pattern does see such imports where they belong.
    expect(readFileSync(path.join(SRC, 'graphql/format-error.ts'), 'utf8')).toMatch(/from '@apollo\/server\/errors'/);
  });

  it('neither resolvers nor REST routes call the policy: use cases do', () => {
    const policy = (target: string) => target === 'modules/access/policy' || target === 'modules/access/scope';
    expect([...violations('graphql', policy), ...violations('rest', policy), ...violations('http', policy)]).toEqual([]);
  });

  it('repositories never import the policy or the scope: they take the visibility rule as SQL (VisibleRows) from the use case', () => {
    const access = (target: string) => target.startsWith('modules/access/');
    const found = violations('modules', access).filter((line) => /^modules\/[a-z-]+\/[a-z-]+\.repository\.ts /.test(line));
    expect(found).toEqual([]);
    // The scanner sees repositories at all.
    expect(sourceFiles(path.join(SRC, 'modules')).filter((file) => file.endsWith('.repository.ts')).length).toBeGreaterThanOrEqual(4);
  });

  it('the visibility rule is stated once: only the policy builds it', () => {
    const stated = sourceFiles(SRC).filter((file) => /deleted_at is null and \$\{[^}]*\}\.tenant_id/.test(readFileSync(file, 'utf8')));
    expect(stated.map((file) => path.relative(SRC, file))).toEqual(['modules/access/policy.ts']);
  });

  it('statements carry their values in place: no module hands raw SQL and a positional array to execute (the sql template does)', () => {
    const raw = /\.execute(<[^>]*>)?\(\s*[`'"]/;
    const found = sourceFiles(path.join(SRC, 'modules')).filter((file) => !file.endsWith('.spec.ts') && raw.test(readFileSync(file, 'utf8')));
    expect(found.map((file) => path.relative(SRC, file))).toEqual([]);
    // The pattern does see such a call where one is left (the health check's `select 1`).
    expect(raw.test(readFileSync(path.join(SRC, 'http/health.ts'), 'utf8'))).toBe(true);
  });

  it("entities never import a migration (a migration is frozen; an entity is today's schema)", () => {
    expect(violations('modules', (target) => target.startsWith('infra/db/migrations'))).toEqual([]);
  });

  it('infra adapters know nothing of features or edges (but the ORM registry lists their entities)', () => {
    const found = violations('infra', (target) => /^(modules|http|rest|graphql)\//.test(target));
    // Allowed: the entity registry. Migrations keep frozen copies of the rules they backfill with.
    const allowed = /^infra\/db\/entities\.ts imports modules\/[a-z-]+\/[a-z-]+\.entity$/;
    expect(found.filter((line) => !allowed.test(line))).toEqual([]);
  });
});
