import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, withDirectoryLock } from './catalog-process';

const run = promisify(execFile);

/**
 * The release before this one, as the rolling-upgrade test runs it beside the current build: the
 * last commit of main before this round's migrations (a reserved publish, bounded search words),
 * so the current build's start migrates a schema the old build is serving on. Move it forward
 * when a release lands whose schema a later one changes (docs/DEVELOPMENT.md, "Expand, then contract").
 */
export const PREVIOUS_RELEASE = '7c72fc2d1ea6708545f915fe1f02a95811b2b7a4';

export type PreviousRelease = { main: string; cwd: string } | { unavailable: string };

/**
 * Checks the release out of this repository's history into a temporary directory, installs its
 * own locked dependencies and builds it, once per machine and one test file at a time (later runs
 * reuse the build). Answers why not when the history lacks the commit (a shallow clone) or the
 * build fails.
 */
export async function previousRelease(): Promise<PreviousRelease> {
  const commit = await run('git', ['-C', ROOT, 'rev-parse', '--verify', '--quiet', `${PREVIOUS_RELEASE}^{commit}`]).then(
    (result) => result.stdout.trim(),
    () => null,
  );
  if (!commit) return { unavailable: `commit ${PREVIOUS_RELEASE.slice(0, 12)} is not in this clone's history (a shallow clone?)` };
  const dir = path.join(os.tmpdir(), `catalog-release-${commit.slice(0, 12)}`);
  const main = path.join(dir, 'dist', 'src', 'main.js');
  const built = path.join(dir, '.built');
  try {
    await withDirectoryLock(`${dir}.lock`, 15 * 60_000, async () => {
      if (existsSync(built)) return;
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      await run('sh', ['-c', `git -C "${ROOT}" archive "${commit}" | tar -x -C "${dir}"`]);
      await run('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
      await run('npm', ['run', '-s', 'build'], { cwd: dir, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
      writeFileSync(built, `${commit}\n`);
    });
  } catch (error) {
    return { unavailable: `the previous release did not build: ${(error as Error).message.split('\n')[0]}` };
  }
  return { main, cwd: dir };
}
