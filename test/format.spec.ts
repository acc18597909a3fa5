import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as prettier from 'prettier';

/**
 * One formatter for the repository (`npm run format`, configured in .prettierrc.json; generated,
 * frozen and prose files are in .prettierignore): every tracked file it formats is as it writes it.
 */

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..');

async function formattedFiles(): Promise<string[]> {
  const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
  const files: string[] = [];
  for (const file of tracked) {
    const info = await prettier.getFileInfo(path.join(ROOT, file), { ignorePath: path.join(ROOT, '.prettierignore') });
    if (!info.ignored && info.inferredParser) files.push(file);
  }
  return files;
}

it('every file is as the formatter writes it (run `npm run format`)', async () => {
  const files = await formattedFiles();
  // The walk sees the sources at all (not an empty list that passes).
  expect(files).toEqual(expect.arrayContaining(['src/app.ts', 'test/architecture.spec.ts', 'package.json']));
  const unformatted: string[] = [];
  for (const file of files) {
    const filepath = path.join(ROOT, file);
    const options = await prettier.resolveConfig(filepath);
    if (!(await prettier.check(readFileSync(filepath, 'utf8'), { ...options, filepath }))) unformatted.push(file);
  }
  expect(unformatted).toEqual([]);
});
