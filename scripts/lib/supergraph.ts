import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import YAML from 'yaml';

/** Rover's supergraph config format, the part this project uses. */
export const SUPERGRAPH_CONFIG_PATH = 'supergraph.yaml';
export const SUPERGRAPH_PATH = 'supergraph.graphql';

const HEADER = '# Composed by `npm run compose` from supergraph.yaml. Do not edit: change a subgraph and recompose.\n\n';

export interface SubgraphSource {
  name: string;
  url: string;
  sdl: string;
}

/** Every problem composition found, each prefixed with the subgraphs involved where it says. */
export class CompositionError extends Error {
  constructor(readonly problems: string[]) {
    super(`Composition failed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

interface SupergraphConfig {
  subgraphs?: Record<string, { routing_url?: string; schema?: { file?: string } }>;
}

/** Reads the config and every subgraph SDL file it names (paths relative to the config file). */
export async function loadSubgraphs(configFile: string): Promise<SubgraphSource[]> {
  const config = YAML.parse(await readFile(configFile, 'utf8')) as SupergraphConfig;
  const entries = Object.entries(config.subgraphs ?? {});
  if (entries.length === 0) throw new CompositionError([`${configFile} lists no subgraphs`]);
  return Promise.all(
    entries.map(async ([name, subgraph]) => {
      if (!subgraph.routing_url || !subgraph.schema?.file) {
        throw new CompositionError([`subgraph ${name}: needs routing_url and schema.file`]);
      }
      const sdl = await readFile(path.resolve(path.dirname(configFile), subgraph.schema.file), 'utf8');
      return { name, url: subgraph.routing_url, sdl };
    }),
  );
}

/** Composes with @apollo/composition; throws CompositionError listing every error. */
export function composeSupergraph(subgraphs: readonly SubgraphSource[]): string {
  const problems: string[] = [];
  const services = subgraphs.flatMap((subgraph) => {
    try {
      return [{ name: subgraph.name, url: subgraph.url, typeDefs: parse(subgraph.sdl) }];
    } catch (error) {
      problems.push(`subgraph ${subgraph.name}: ${(error as Error).message}`);
      return [];
    }
  });
  if (problems.length > 0) throw new CompositionError(problems);
  const result = composeServices(services);
  if (result.errors) {
    throw new CompositionError(result.errors.map((error) => `${String(error.extensions?.code ?? 'ERROR')}: ${error.message}`));
  }
  return `${HEADER}${result.supergraphSdl.trimEnd()}\n`;
}
