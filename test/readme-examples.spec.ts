import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findFreePort } from '../src/infra/blob/embedded-azurite';
import { buildOnce } from './support/catalog-process';

const ROOT = path.resolve(__dirname, '..');
/** Where the README's examples talk to: the default HOST and PORT of `npm start`. */
const README_BASE = 'http://127.0.0.1:4001';
/** In an answer the README shows, a value that differs every time (ids, cursors). */
const ANY = '…';

interface Example {
  script: string;
  /** What the README says it answers, when it says. */
  answer?: unknown;
}

/** The shell blocks of the README's first-steps section, each with the answer written after it. */
function firstStepsExamples(readme: string): Example[] {
  const section = readme.split('\n## A first publish, list and install\n')[1]!.split('\n## ')[0]!;
  const examples: Example[] = [];
  const pattern = /```sh\n([\s\S]*?)```\n(?:\nIt answers `([^`]+)`)?/g;
  for (const match of section.matchAll(pattern)) {
    examples.push({ script: match[1]!, ...(match[2] ? { answer: JSON.parse(match[2]) } : {}) });
  }
  return examples;
}

/** `actual` equals `expected`, where `expected` holds `…` for a value that is only there. */
function withWildcards(expected: unknown, actual: unknown): unknown {
  if (expected === ANY) return actual === undefined || actual === null ? expected : actual;
  if (Array.isArray(expected) && Array.isArray(actual)) return expected.map((item, i) => withWildcards(item, actual[i]));
  if (expected && typeof expected === 'object' && actual && typeof actual === 'object') {
    return Object.fromEntries(Object.entries(expected).map(([key, value]) => [key, withWildcards(value, (actual as Record<string, unknown>)[key])]));
  }
  return expected;
}

/**
 * The README's first publish, list, search and install, run as written (with bash and curl) in
 * order against `npm start`'s built service on a fresh data directory: each answers what the
 * README says it answers.
 */
describe('the README examples', () => {
  let dataDir: string;
  let child: ChildProcess;
  let base: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    await buildOnce();
    dataDir = mkdtempSync(path.join(tmpdir(), 'readme-'));
    const port = await findFreePort();
    base = `http://127.0.0.1:${port}`;
    env = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: String(port), METRICS_PORT: 'off', LOG_LEVEL: 'warn' };
    child = spawn(process.execPath, ['dist/src/main.js'], { cwd: ROOT, env, stdio: 'ignore' });
    const deadline = Date.now() + 120_000;
    while (
      !(await fetch(`${base}/readyz`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the catalog did not start (exit ${child.exitCode})`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 600_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('answer, in order on a fresh data directory, what the README says they answer', () => {
    const examples = firstStepsExamples(readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
    // The token, publish, list, search, install and REST blocks; four with their answer written out.
    expect(examples.length).toBeGreaterThanOrEqual(6);
    expect(examples.filter((example) => example.answer !== undefined).length).toBeGreaterThanOrEqual(4);
    // One shell runs them all, as a reader's terminal would: the token block sets $TOKEN for the rest.
    const MARK = '=====readme-example=====';
    const script = examples.map((example) => `${example.script.replaceAll(README_BASE, base)}\necho; echo '${MARK}'`).join('\n');
    const outputs = execFileSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 }).split(`${MARK}\n`);
    examples.forEach((example, i) => {
      const output = outputs[i]!.trim();
      if (example.answer !== undefined) {
        const answer: unknown = JSON.parse(output);
        expect(answer).toEqual(withWildcards(example.answer, answer));
      } else if (output !== '') {
        // Blocks without a written answer (the REST shim's): JSON documents without errors.
        expect(output).not.toMatch(/"errors"|"status":\s*[45]\d\d/);
      }
    });
    // "The same command again answers version 0.1.1" (its token made again by the same block).
    const tokenBlock = examples.find((example) => example.script.startsWith('TOKEN='))!;
    const publish = examples.find((example) => example.script.includes('publishCatalogPackage'))!;
    const again = execFileSync('bash', ['-euo', 'pipefail', '-c', `${tokenBlock.script}\n${publish.script.replaceAll(README_BASE, base)}`], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
    });
    expect(JSON.parse(again)).toEqual({ data: { publishCatalogPackage: { packageId: 'hello-flow', version: '0.1.1' } } });
  }, 180_000);
});
