import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { composeServices as composeWithGuild } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { describeDrift, renderSchemaFiles, CATALOG_SDL_PATH } from '../src/graphql/sdl-file';
import { composeSupergraph, CompositionError, loadSubgraphs, SUPERGRAPH_CONFIG_PATH, SUPERGRAPH_PATH, type SubgraphSource } from '../scripts/lib/supergraph';

/**
 * The sample supergraph (supergraph.yaml: the catalog plus the example flows and users subgraphs)
 * composes with @apollo/composition, the committed supergraph.graphql is its output, and a
 * composition error fails (`npm run compose` and `npm run compose -- --check` exit 1 the same way).
 */
const ROOT = path.resolve(__dirname, '..');

describe('supergraph composition', () => {
  let subgraphs: SubgraphSource[];

  beforeAll(async () => {
    subgraphs = await loadSubgraphs(path.join(ROOT, SUPERGRAPH_CONFIG_PATH));
  });

  const withSdl = (name: string, sdl: string) => subgraphs.map((subgraph) => (subgraph.name === name ? { ...subgraph, sdl } : subgraph));
  const problemsOf = (run: () => unknown): string[] => {
    try {
      run();
    } catch (error) {
      if (error instanceof CompositionError) return error.problems;
      throw error;
    }
    throw new Error('composition succeeded');
  };

  it('lists the catalog and the example subgraphs', () => {
    expect(subgraphs.map((s) => [s.name, s.url])).toEqual([
      ['catalog', 'http://catalog:4001/graphql'],
      ['flows', 'http://flows:4002/graphql'],
      ['users', 'http://users:4003/graphql'],
    ]);
  });

  it('composes, and the committed supergraph.graphql is up to date', async () => {
    const supergraph = composeSupergraph(subgraphs);
    const committed = await readFile(path.join(ROOT, SUPERGRAPH_PATH), 'utf8').catch(() => null);
    expect(describeDrift(SUPERGRAPH_PATH, committed, supergraph)).toBeNull();
    expect(supergraph).toContain('@join__type(graph: CATALOG, key: "tenantId packageId")');
    expect(supergraph).toMatch(/type Flow\n {2}@join__type\(graph: CATALOG, key: "id"\)\n {2}@join__type\(graph: FLOWS, key: "id"\)/);
    expect(supergraph).toMatch(/catalogPackages: \[CatalogPackage!\] @join__field\(graph: CATALOG\)/);
  });

  it("composes cleanly in the Guild's composer too (what Hive's tooling runs), with Flow.catalogPackages nullable", async () => {
    const current = (await renderSchemaFiles())[CATALOG_SDL_PATH]!;
    const services = withSdl('catalog', current).map((subgraph) => ({ name: subgraph.name, url: subgraph.url, typeDefs: parse(subgraph.sdl) }));
    const result = composeWithGuild(services);
    expect(result.errors?.map((error) => error.message) ?? []).toEqual([]);
    expect(result.publicSdl).toMatch(/catalogPackages: \[CatalogPackage!\]\n/);
  });

  it('composes with the SDL the code produces now, not only the committed file', async () => {
    const current = (await renderSchemaFiles())[CATALOG_SDL_PATH]!;
    expect(() => composeSupergraph(withSdl('catalog', current))).not.toThrow();
  });

  it('fails on a composition error, listing every problem', () => {
    const flows = subgraphs.find((s) => s.name === 'flows')!.sdl;
    // PageInfo no longer @shareable in flows, and Flow.catalogPackages claimed with another type.
    const broken = flows
      .replace('type PageInfo @shareable {', 'type PageInfo {')
      .replace('  owner: User!\n', '  owner: User!\n  catalogPackages: [String!]!\n');
    const problems = problemsOf(() => composeSupergraph(withSdl('flows', broken)));
    expect(problems.some((p) => p.startsWith('INVALID_FIELD_SHARING') && p.includes('PageInfo'))).toBe(true);
    expect(problems.some((p) => p.includes('Flow.catalogPackages'))).toBe(true);
  });

  it('fails on a subgraph SDL that does not parse', () => {
    expect(problemsOf(() => composeSupergraph(withSdl('users', 'type User {')))).toEqual([expect.stringMatching(/^subgraph users: Syntax Error/)]);
  });
});
