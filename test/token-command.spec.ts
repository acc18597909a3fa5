import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { buildOnce } from './support/catalog-process';

const ROOT = path.resolve(__dirname, '..');

/** `npm run token` as the README shows it: a token at once when the build is current, no rebuild. */
describe('npm run token', () => {
  let dataDir: string;

  beforeAll(async () => {
    await buildOnce();
    dataDir = mkdtempSync(path.join(tmpdir(), 'token-command-'));
  }, 600_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints a token for the development issuer without building again when nothing changed', () => {
    const built = (file: string) => statSync(path.join(ROOT, 'dist', file)).mtimeMs;
    const before = { stamp: built('.built-at'), main: built('src/main.js') };
    const token = execFileSync('npm', ['run', '-s', 'token', '--', '--tenant', 'acme', '--user', 'alice', '--email', 'alice@acme.example'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, DATA_DIR: dataDir },
      encoding: 'utf8',
    }).trim();
    expect(decodeJwt(token)).toMatchObject({ sub: 'alice', tid: 'acme', email: 'alice@acme.example' });
    expect({ stamp: built('.built-at'), main: built('src/main.js') }).toEqual(before);
  }, 60_000);
});
