import { printType, type GraphQLSchema } from 'graphql';
import { buildCatalogSdl, buildCatalogSubgraphSchema } from './schema';

/** The committed subgraph SDL, relative to the repository root: what `_service { sdl }` serves. */
export const CATALOG_SDL_PATH = 'schema/catalog.graphql';
/**
 * The entry points @apollo/subgraph adds to that SDL (`_entities`, `_service`, `_Entity`), so that
 * tools typing operations sent straight to the subgraph, as the router does, know them (codegen).
 */
export const ENTRY_POINTS_SDL_PATH = 'schema/catalog.entry-points.graphql';

const GENERATED = 'Generated from the type-graphql code by `npm run schema`. Do not edit: change the code and regenerate.';

/** Every generated schema file with the exact text it must hold for the current code. */
export async function renderSchemaFiles(): Promise<Record<string, string>> {
  const { sdl } = await buildCatalogSdl();
  return {
    [CATALOG_SDL_PATH]: `# ${GENERATED}\n\n${sdl.trimEnd()}\n`,
    [ENTRY_POINTS_SDL_PATH]: printEntryPoints(await buildCatalogSubgraphSchema()),
  };
}

function printEntryPoints(schema: GraphQLSchema): string {
  const query = schema.getQueryType();
  const added = ['_entities', '_service'].map((name) => query?.getFields()[name]).filter((field) => field !== undefined);
  const fields = added.map((field) => {
    const args = field.args.map((arg) => `${arg.name}: ${String(arg.type)}`).join(', ');
    return `  ${field.name}${args ? `(${args})` : ''}: ${String(field.type)}`;
  });
  const types = ['_Any', '_Entity', '_Service'].map((name) => schema.getType(name)).filter((type) => type != null);
  if (types.length !== 3 || fields.length !== 2) {
    throw new Error('The subgraph schema lacks the federation entry points');
  }
  return [
    `# ${GENERATED}`,
    '# The federation entry points @apollo/subgraph adds to schema/catalog.graphql (not part of that SDL).',
    '',
    ...types.map((type) => `${printType(type)}\n`),
    `extend type Query {\n${fields.join('\n')}\n}`,
    '',
  ].join('\n');
}

/**
 * Null when a committed generated file matches what the code produces; otherwise a short report
 * naming the first differing line, for the `--check` scripts and the drift tests alike.
 */
export function describeDrift(file: string, committed: string | null, generated: string): string | null {
  if (committed === null) return `${file} is missing`;
  const normalize = (text: string) => text.replace(/\r\n/g, '\n');
  if (normalize(committed) === normalize(generated)) return null;
  const lines = (text: string) => normalize(text).replace(/\n$/, '').split('\n');
  const want = lines(generated);
  const have = lines(committed);
  let line = 0;
  while (line < want.length && line < have.length && want[line] === have[line]) line += 1;
  const show = (text: string | undefined) => (text === undefined ? '(end of file)' : JSON.stringify(text));
  return [`${file} is out of date (first difference at line ${line + 1}):`, `  committed: ${show(have[line])}`, `  expected:  ${show(want[line])}`].join('\n');
}
