import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * This project's folder: the nearest one above this file holding a package.json, whether we run
 * from `src/` (tests) or `dist/src/` (built; the image keeps package.json beside `dist/`).
 */
export function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
