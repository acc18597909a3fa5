import 'reflect-metadata';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeDrift, renderSchemaFiles } from '../src/graphql/sdl-file';

/**
 * Writes schema/catalog.graphql (and the entry points beside it) from the code (`npm run schema`),
 * or with `--check` only compares and exits 1 when a committed file is stale (for CI).
 */
async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const files = await renderSchemaFiles();
  const problems: string[] = [];
  for (const [file, generated] of Object.entries(files)) {
    const target = path.resolve(file);
    if (check) {
      const drift = describeDrift(file, await readFile(target, 'utf8').catch(() => null), generated);
      if (drift) problems.push(drift);
      continue;
    }
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, generated);
    console.log(`Wrote ${file}`);
  }
  if (problems.length > 0) {
    console.error(`${problems.join('\n')}\nRun \`npm run schema\` and commit the result.`);
    process.exitCode = 1;
  } else if (check) {
    console.log(`${Object.keys(files).join(', ')}: up to date.`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
