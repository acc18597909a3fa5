import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { closedPort } from './support/closed-port';
import { buildOnce } from './support/catalog-process';

/**
 * `npm run supergraph` as the README describes it: the built script starts the catalog on its
 * embedded defaults, the example subgraphs and Hive Gateway, prints their URLs and a token
 * command; the printed token command gives a token that a joined query through the gateway
 * accepts; SIGINT stops every part and the process exits 0.
 */

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '..');

function waitForOutput(child: ChildProcess, marker: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`no "${marker}" within ${timeoutMs} ms; output:\n${output}`)), timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(marker)) {
        clearTimeout(timer);
        resolve(output);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before "${marker}"; output:\n${output}`)));
  });
}

const urlOf = (output: string, label: string) => new RegExp(`^${label}\\s+(http://\\S+)$`, 'm').exec(output)?.[1];

async function post(url: string, token: string, query: string): Promise<any> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: await response.json() };
}

describe('npm run supergraph', () => {
  let child: ChildProcess | null = null;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'supergraph-'));

  beforeAll(async () => {
    await buildOnce();
  });
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves a joined query through the gateway and stops everything on SIGINT', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String(await closedPort()),
      METRICS_PORT: 'off',
      LOG_LEVEL: 'warn',
      GATEWAY_PORT: '0',
      FLOWS_SUBGRAPH_PORT: '0',
      USERS_SUBGRAPH_PORT: '0',
    };
    delete env.DATABASE_URL;
    delete env.AZURE_STORAGE_CONNECTION_STRING;
    child = spawn(process.execPath, [path.join(ROOT, 'dist/scripts/supergraph.js')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    const output = await waitForOutput(child, 'Ctrl-C stops everything.', 120_000);
    const gateway = urlOf(output, 'gateway');
    const catalog = urlOf(output, 'catalog');
    expect(gateway).toBeDefined();
    expect(catalog).toBe(`http://127.0.0.1:${env.PORT}/graphql`);
    expect(output).toContain('npm run -s token -- --tenant acme --user alice');

    // The token command as printed (its npm wrapper only builds first).
    const token = execFileSync(
      process.execPath,
      [path.join(ROOT, 'dist/scripts/token.js'), '--tenant', 'acme', '--user', 'alice', '--email', 'alice@acme.example'],
      { cwd: ROOT, env },
    )
      .toString()
      .trim();
    const published = await post(
      catalog!,
      token,
      'mutation { publishCatalogPackage(input: { packageId: "invoice-sync", name: "Invoice sync", version: "1.0.0", flowId: "invoice-sync" }) { packageId version } }',
    );
    expect(published.body.errors).toBeUndefined();

    const joined = await post(gateway!, token, '{ flows(first: 5) { edges { node { id name owner { name } catalogPackages { packageId version } } } } }');
    expect(joined.status).toBe(200);
    expect(joined.body.errors).toBeUndefined();
    const invoice = joined.body.data.flows.edges.map((edge: any) => edge.node).find((node: any) => node.id === 'invoice-sync');
    expect(invoice).toEqual({
      id: 'invoice-sync',
      name: 'Invoice sync',
      owner: { name: 'Alice Anders' },
      catalogPackages: [{ packageId: 'invoice-sync', version: '1.0.0' }],
    });

    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    // Nothing is left listening: the catalog and the gateway refuse connections.
    await expect(fetch(gateway!, { method: 'POST' })).rejects.toThrow();
    await expect(fetch(catalog!, { method: 'POST' })).rejects.toThrow();
  });
});
