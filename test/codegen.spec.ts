import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { generate } from '@graphql-codegen/cli';
import YAML from 'yaml';
import { describeDrift } from '../src/graphql/sdl-file';

/**
 * The typed documents in test/generated/ are what GraphQL Code Generator makes of codegen.yml now
 * (`npm run codegen` writes them, `npm run codegen -- --check` fails the same way in CI).
 */
const ROOT = path.resolve(__dirname, '..');

describe('generated typed documents', () => {
  let outputs: { filename: string; content: string }[];

  beforeAll(async () => {
    const config = YAML.parse(await readFile(path.join(ROOT, 'codegen.yml'), 'utf8'));
    outputs = (await generate({ ...config, cwd: ROOT, silent: true }, false)) as { filename: string; content: string }[];
  }, 60_000);

  const committed = (filename: string) => readFile(path.resolve(ROOT, filename), 'utf8').catch(() => null);

  it('covers both targets', () => {
    const files = outputs.map((output) => path.relative(ROOT, path.resolve(ROOT, output.filename))).sort();
    expect(files).toEqual(expect.arrayContaining(['test/generated/graphql.ts', 'test/generated/gateway/graphql.ts']));
  });

  it('are up to date', async () => {
    const stale: string[] = [];
    for (const output of outputs) {
      const drift = describeDrift(output.filename, await committed(output.filename), output.content);
      if (drift) stale.push(drift);
    }
    expect(stale).toEqual([]);
  });

  it('reports a generated file that no longer matches, e.g. after an operation changed', async () => {
    const target = outputs.find((output) => output.filename.endsWith('test/generated/graphql.ts'))!;
    const onDisk = (await committed(target.filename))!;
    const edited = onDisk.replace('export type PublishPackageMutation = {', 'export type PublishPackageMutation = { stale: true,');
    expect(edited).not.toBe(onDisk);
    expect(describeDrift(target.filename, edited, target.content)).toMatch(/is out of date \(first difference at line \d+\)/);
  });
});
