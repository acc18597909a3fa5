// Runs `npm run build` only when a source is newer than the last build made here, so that
// commands on the built code (`npm run token`, the process tests) start in a moment when nothing
// changed. The compiler rewrites only the outputs that changed, so the build's own time is kept
// in dist/.built-at. Plain JavaScript: it must run before anything is compiled.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = path.join(ROOT, 'dist', '.built-at');
/** What the build reads: the compiled folders, the playground, and what configures them. */
const SOURCES = ['src', 'scripts', 'bench', 'playground', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

function newest(file) {
  if (!existsSync(file)) return 0;
  const stat = statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(
    0,
    ...readdirSync(file)
      .filter((name) => name !== 'node_modules' && name !== 'dist')
      .map((name) => newest(path.join(file, name))),
  );
}

const builtAt = statSync(STAMP, { throwIfNoEntry: false })?.mtimeMs ?? 0;
if (builtAt < Math.max(...SOURCES.map((source) => newest(path.join(ROOT, source))))) {
  const startedAt = new Date();
  execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: ['ignore', process.argv.includes('--quiet') ? 'pipe' : 'inherit', 'inherit'] });
  // Stamped with the time the build started: a source saved while it ran is newer, and rebuilt next time.
  writeFileSync(STAMP, startedAt.toISOString());
  utimesSync(STAMP, startedAt, startedAt);
}
