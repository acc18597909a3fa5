import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../common/project-root';

interface BuildInfo {
  version: string;
  commit: string;
}

/**
 * Which build is running: `version` from the project's package.json, `commit` from `BUILD_COMMIT`
 * (the image sets it at build time) or else the checkout's `.git`; `unknown` where neither is.
 */
export function readBuildInfo(env: NodeJS.ProcessEnv = process.env, root = projectRoot()): BuildInfo {
  const manifest = path.join(root, 'package.json');
  const version = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version : undefined;
  return { version: version ?? 'unknown', commit: env['BUILD_COMMIT']?.trim() || commitOfCheckout(root) || 'unknown' };
}

/** HEAD's commit, read from the files (no git binary needed): a detached HEAD, a loose ref or packed-refs. */
function commitOfCheckout(root: string): string | undefined {
  const gitDir = path.join(root, '.git');
  try {
    const head = readFileSync(path.join(gitDir, 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head;
    const ref = head.slice('ref: '.length);
    const loose = path.join(gitDir, ref);
    if (existsSync(loose)) return readFileSync(loose, 'utf8').trim();
    const packed = readFileSync(path.join(gitDir, 'packed-refs'), 'utf8')
      .split('\n')
      .find((line) => line.endsWith(` ${ref}`));
    return packed?.split(' ')[0];
  } catch {
    return undefined; // not a checkout (an image without .git), or a worktree's .git file
  }
}
