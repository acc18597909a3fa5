import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeDrift } from '../src/graphql/sdl-file';
import { composeSupergraph, loadSubgraphs, SUPERGRAPH_CONFIG_PATH, SUPERGRAPH_PATH } from './lib/supergraph';

/**
 * Composes supergraph.yaml (our committed subgraph SDL and the example subgraphs) into
 * supergraph.graphql (`npm run compose`); `--check` only compares and exits 1 when the committed
 * supergraph is stale. A composition error fails both.
 */
async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const supergraph = composeSupergraph(await loadSubgraphs(path.resolve(SUPERGRAPH_CONFIG_PATH)));
  const target = path.resolve(SUPERGRAPH_PATH);
  if (check) {
    const drift = describeDrift(SUPERGRAPH_PATH, await readFile(target, 'utf8').catch(() => null), supergraph);
    if (drift) {
      console.error(`${drift}\nRun \`npm run compose\` and commit the result.`);
      process.exitCode = 1;
      return;
    }
    console.log(`${SUPERGRAPH_PATH} is up to date.`);
    return;
  }
  await writeFile(target, supergraph);
  console.log(`Wrote ${SUPERGRAPH_PATH}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
