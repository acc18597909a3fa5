import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

const run = promisify(execFile);

/**
 * A real streaming replica of the local PostgreSQL server (TEST_DATABASE_URL), for the read
 * replica tests: `pg_basebackup -R` of the whole cluster into a temporary directory, started as a
 * hot standby on a free port with `pg_ctl`, as the `postgres` user. Databases created on the
 * primary afterwards (each test's own) reach it by streaming, as they would in production.
 *
 * Making one needs root (to act as `postgres`) on the machine of a local server, and a
 * replication entry in its pg_hba.conf: one is added, and taken out again by `remove()`, when the
 * server has none. Where it cannot be made, `makeStreamingReplica` answers why, and the tests say
 * so in their skip line.
 */
export interface StreamingReplica {
  port: number;
  /** The replica's URL for one database (same name as on the primary). */
  urlOf(databaseName: string): string;
  /** Runs SQL on the replica (as the superuser): pausing replay, reading its position. */
  query<T>(sql: string, databaseName?: string): Promise<T[]>;
  /** Stops the server (fast shutdown: connections are closed), and starts it again. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and deletes its directory; undoes the pg_hba.conf entry it added. */
  remove(): Promise<void>;
}

const REPLICATION_ENTRY = 'host replication all 127.0.0.1/32 trust # added by the catalog tests (read replicas)';

export async function makeStreamingReplica(serverUrl: string): Promise<StreamingReplica | { unavailable: string }> {
  const server = new URL(serverUrl);
  if (!['127.0.0.1', 'localhost'].includes(server.hostname)) return { unavailable: `TEST_DATABASE_URL is not a local server (${server.hostname})` };
  if (process.getuid?.() !== 0) return { unavailable: 'making a replica needs root (to run pg_basebackup and pg_ctl as postgres)' };
  const postgresUid = await idOf('postgres');
  if (postgresUid === null) return { unavailable: 'there is no postgres user on this machine' };

  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  let hbaFile: string;
  let binDir: string;
  try {
    const settings = await admin.query<{ hba: string; version: string }>(
      "select current_setting('hba_file') as hba, current_setting('server_version_num') as version",
    );
    hbaFile = settings.rows[0]!.hba;
    binDir = `/usr/lib/postgresql/${Math.floor(Number(settings.rows[0]!.version) / 10_000)}/bin`;
    if (!existsSync(path.join(binDir, 'pg_ctl')) || !existsSync(path.join(binDir, 'pg_basebackup')))
      return { unavailable: `no pg_ctl and pg_basebackup in ${binDir}` };
    const hba = readFileSync(hbaFile, 'utf8');
    if (!/^\s*host\s+replication\s/m.test(hba)) {
      writeFileSync(hbaFile, `${hba.endsWith('\n') ? hba : `${hba}\n`}${REPLICATION_ENTRY}\n`);
      await admin.query('select pg_reload_conf()');
    }
  } finally {
    await admin.end();
  }

  const dir = mkdtempSync(path.join(os.tmpdir(), 'catalog-replica-'));
  const dataDir = path.join(dir, 'data');
  chownSync(dir, postgresUid, postgresUid);
  const asPostgres = (command: string, args: string[]) => run('runuser', ['-u', 'postgres', '--', path.join(binDir, command), ...args], { timeout: 60_000 });
  const port = await freePort();
  const pgCtl = (...args: string[]) => asPostgres('pg_ctl', ['-D', dataDir, '-l', path.join(dir, 'server.log'), '-w', '-t', '30', ...args]);
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  try {
    await asPostgres('pg_basebackup', [
      '-h',
      server.hostname,
      '-p',
      server.port || '5432',
      '-U',
      server.username || 'postgres',
      '-D',
      dataDir,
      '-R',
      '-X',
      'stream',
      '-c',
      'fast',
    ]);
    // Debian keeps the server's settings outside its data directory: the copy gets its own.
    const files = {
      'postgresql.conf': `listen_addresses = '127.0.0.1'\nport = ${port}\nhot_standby = on\nunix_socket_directories = '${dir}'\nwal_receiver_status_interval = 1s\n`,
      'pg_hba.conf': 'local all all trust\nhost all all 127.0.0.1/32 trust\n',
      'pg_ident.conf': '',
    };
    for (const [name, content] of Object.entries(files)) {
      writeFileSync(path.join(dataDir, name), content);
      chownSync(path.join(dataDir, name), postgresUid, postgresUid);
    }
    await pgCtl('start');
  } catch (error) {
    removeDir();
    return { unavailable: `the replica did not start: ${(error as Error).message.split('\n')[0]}` };
  }

  const urlOf = (databaseName: string) => {
    const url = new URL(serverUrl);
    url.port = String(port);
    url.pathname = `/${databaseName}`;
    return url.toString();
  };
  return {
    port,
    urlOf,
    async query<T>(sql: string, databaseName = 'postgres') {
      const client = new Client({ connectionString: urlOf(databaseName) });
      await client.connect();
      try {
        return (await client.query(sql)).rows as T[];
      } finally {
        await client.end();
      }
    },
    stop: async () => void (await pgCtl('-m', 'fast', 'stop')),
    start: async () => void (await pgCtl('start')),
    async remove() {
      await pgCtl('-m', 'immediate', 'stop').catch(() => undefined);
      removeDir();
      const hba = readFileSync(hbaFile, 'utf8');
      if (hba.includes(REPLICATION_ENTRY)) {
        writeFileSync(hbaFile, hba.replace(`${REPLICATION_ENTRY}\n`, ''));
        const primary = new Client({ connectionString: serverUrl });
        await primary.connect();
        await primary.query('select pg_reload_conf()').finally(() => primary.end());
      }
    },
  };
}

async function idOf(user: string): Promise<number | null> {
  try {
    return Number((await run('id', ['-u', user])).stdout.trim());
  } catch {
    return null;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
