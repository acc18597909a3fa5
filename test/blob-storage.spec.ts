import { createHash } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { createLogger } from '../src/common/logger';
import { AzureBlobStorage, BlobAlreadyExistsError, BlobNotFoundError } from '../src/infra/blob/blob-storage';
import { startEmbeddedAzurite, type EmbeddedAzurite } from '../src/infra/blob/embedded-azurite';
import { createBlobStorage } from '../src/infra/blob';
import { listBlobNames, startTestAzurite, uniqueContainerName } from './support/azurite';

jest.setTimeout(60_000);

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const logger = createLogger('silent');

let azurite: EmbeddedAzurite;
let container: string;
let storage: AzureBlobStorage;

beforeAll(async () => {
  azurite = await startTestAzurite();
});

afterAll(async () => {
  await azurite?.stop();
});

beforeEach(async () => {
  container = uniqueContainerName();
  storage = new AzureBlobStorage(azurite.connectionString, container);
  await storage.ensureContainer();
});

describe('AzureBlobStorage.uploadIfAbsent', () => {
  const name = 'catalog/t1/pkg/v0.1.0.scaipkg';

  it('creates a blob, then reports the same bytes again as identical', async () => {
    const bytes = Buffer.from('zip bytes v1');
    await expect(storage.uploadIfAbsent(name, bytes, sha256(bytes))).resolves.toBe('created');
    await expect(storage.uploadIfAbsent(name, Buffer.from(bytes), sha256(bytes))).resolves.toBe('identical');
    expect(await listBlobNames(azurite.connectionString, container)).toEqual([name]);
  });

  it('refuses different content at the same name and keeps the stored bytes', async () => {
    const original = Buffer.from('original');
    const other = Buffer.from('something else');
    await storage.uploadIfAbsent(name, original, sha256(original));

    const attempt = storage.uploadIfAbsent(name, other, sha256(other));
    await expect(attempt).rejects.toBeInstanceOf(BlobAlreadyExistsError);
    await expect(attempt).rejects.toMatchObject({
      blobName: name,
      existingSha256: sha256(original),
      attemptedSha256: sha256(other),
    });
    expect(await storage.download(name)).toEqual(original);
  });

  it('stores the sha256, Content-MD5 and zip content type with the blob', async () => {
    const bytes = Buffer.from('PK\u0003\u0004 pretend zip');
    await storage.uploadIfAbsent(name, bytes, sha256(bytes));
    const properties = await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(container).getBlobClient(name).getProperties();
    expect(properties.metadata).toEqual({ sha256: sha256(bytes) });
    expect(properties.contentType).toBe('application/zip');
    expect(Buffer.from(properties.contentMD5!)).toEqual(createHash('md5').update(bytes).digest());
  });

  it('refuses a sha256 that does not match the bytes, writing nothing', async () => {
    const bytes = Buffer.from('bytes');
    await expect(storage.uploadIfAbsent(name, bytes, sha256(Buffer.from('other')))).rejects.toThrow(/does not match/);
    await expect(storage.uploadIfAbsent(name, bytes, 'not-a-hash')).rejects.toThrow(/does not match/);
    expect(await listBlobNames(azurite.connectionString, container)).toEqual([]);
  });

  it('compares by content when an existing blob has no sha256 metadata', async () => {
    const bytes = Buffer.from('written by another tool');
    await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(container).getBlockBlobClient(name).upload(bytes, bytes.length);

    await expect(storage.uploadIfAbsent(name, bytes, sha256(bytes))).resolves.toBe('identical');
    const other = Buffer.from('different');
    await expect(storage.uploadIfAbsent(name, other, sha256(other))).rejects.toBeInstanceOf(BlobAlreadyExistsError);
  });

  it('lets exactly one of several concurrent identical uploads create the blob', async () => {
    const bytes = Buffer.alloc(64 * 1024, 7);
    const results = await Promise.all(Array.from({ length: 8 }, () => storage.uploadIfAbsent(name, bytes, sha256(bytes))));
    expect(results.filter((r) => r === 'created')).toHaveLength(1);
    expect(results.filter((r) => r === 'identical')).toHaveLength(7);
  });
});

describe('AzureBlobStorage reads', () => {
  it('downloads exactly the bytes uploaded', async () => {
    const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31) % 256));
    await storage.uploadIfAbsent('a/b.scaipkg', bytes, sha256(bytes));
    const downloaded = await storage.download('a/b.scaipkg');
    expect(Buffer.isBuffer(downloaded)).toBe(true);
    expect(downloaded.equals(bytes)).toBe(true);
  });

  it('reports a missing blob as BlobNotFoundError', async () => {
    await expect(storage.download('missing.scaipkg')).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(storage.download('missing.scaipkg')).rejects.toMatchObject({ blobName: 'missing.scaipkg' });
  });

  it('tells whether a blob exists', async () => {
    const bytes = Buffer.from('x');
    expect(await storage.exists('x.scaipkg')).toBe(false);
    await storage.uploadIfAbsent('x.scaipkg', bytes, sha256(bytes));
    expect(await storage.exists('x.scaipkg')).toBe(true);
  });
});

describe('AzureBlobStorage container and readiness', () => {
  it('ensureContainer can run again and keeps existing blobs', async () => {
    const bytes = Buffer.from('kept');
    await storage.uploadIfAbsent('kept.scaipkg', bytes, sha256(bytes));
    await expect(storage.ensureContainer()).resolves.toBeUndefined();
    await expect(new AzureBlobStorage(azurite.connectionString, container).ensureContainer()).resolves.toBeUndefined();
    expect(await storage.download('kept.scaipkg')).toEqual(bytes);
  });

  it('ping resolves when the account and container answer', async () => {
    await expect(storage.ping()).resolves.toBeUndefined();
  });

  it('ping rejects when the container does not exist', async () => {
    const missing = new AzureBlobStorage(azurite.connectionString, uniqueContainerName('absent'));
    await expect(missing.ping()).rejects.toThrow();
  });

  it('ping rejects promptly once the server is gone', async () => {
    const own = await startEmbeddedAzurite({ location: null });
    const ownStorage = new AzureBlobStorage(own.connectionString, 'catalog');
    await ownStorage.ensureContainer();
    await ownStorage.ping();
    await own.stop();

    const started = Date.now();
    await expect(ownStorage.ping()).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(6_000);
  });

  it('ping rejects within its timeout when the server accepts but never answers', async () => {
    // A listener that never replies: the SDK alone would wait forever.
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const hanging = new AzureBlobStorage(azurite.connectionString.replace(/:\d+\//, `:${port}/`), 'catalog', {
        pingTimeoutMs: 500,
      });
      const started = Date.now();
      await expect(hanging.ping()).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('embedded Azurite', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'azurite-spec-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps blobs in its location across stop and start', async () => {
    const location = path.join(dir, 'nested', 'azurite');
    const bytes = Buffer.from('persisted package');

    const first = await startEmbeddedAzurite({ location });
    try {
      const firstStorage = new AzureBlobStorage(first.connectionString, 'catalog');
      await firstStorage.ensureContainer();
      await firstStorage.uploadIfAbsent('p/v1.scaipkg', bytes, sha256(bytes));
    } finally {
      await first.stop();
    }

    const second = await startEmbeddedAzurite({ location });
    try {
      const secondStorage = new AzureBlobStorage(second.connectionString, 'catalog');
      expect(await secondStorage.download('p/v1.scaipkg')).toEqual(bytes);
      await expect(secondStorage.uploadIfAbsent('p/v1.scaipkg', bytes, sha256(bytes))).resolves.toBe('identical');
    } finally {
      await second.stop();
    }
  });

  it('fails clearly when the requested port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      await expect(startEmbeddedAzurite({ location: null, port })).rejects.toThrow(/in use/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('stop is idempotent and frees the port', async () => {
    const own = await startEmbeddedAzurite({ location: null });
    await Promise.all([own.stop(), own.stop()]);
    await own.stop();
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port: own.port });
      socket.once('connect', () => (socket.destroy(), resolve(false)));
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });

  it('createBlobStorage keeps the embedded default in files and imports an earlier embedded Azurite once', async () => {
    // An earlier release's embedded default: archives in an Azurite under DATA_DIR/azurite.
    const legacy = path.join(dir, 'azurite');
    const bytes = Buffer.from('archive kept by an earlier release');
    const earlier = await startEmbeddedAzurite({ location: legacy });
    try {
      const earlierStorage = new AzureBlobStorage(earlier.connectionString, 'catalog');
      await earlierStorage.ensureContainer();
      await earlierStorage.uploadIfAbsent('catalog/t1/p/v1.0.0.scaipkg', bytes, sha256(bytes));
    } finally {
      await earlier.stop();
    }
    const config = { kind: 'files', directory: path.join(dir, 'blobs'), importAzuriteFrom: legacy, container: 'catalog' } as const;
    const handle = await createBlobStorage(config, logger);
    await expect(handle.storage.ping()).resolves.toBeUndefined();
    expect(await handle.storage.download('catalog/t1/p/v1.0.0.scaipkg')).toEqual(bytes);
    await handle.stop();
    // Imported once: the old directory is set aside, and the next start reads only the files.
    await expect(stat(legacy)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await stat(`${legacy}.imported`)).isDirectory()).toBe(true);
    const again = await createBlobStorage(config, logger);
    expect(await again.storage.download('catalog/t1/p/v1.0.0.scaipkg')).toEqual(bytes);
  });

  it('createBlobStorage uses a connection string as given', async () => {
    const name = uniqueContainerName('cs');
    const handle = await createBlobStorage({ kind: 'connection-string', connectionString: azurite.connectionString, container: name }, logger);
    await handle.storage.ping();
    await handle.stop();
    // The shared server is untouched by stop: the connection-string case owns nothing.
    await expect(new AzureBlobStorage(azurite.connectionString, name).ping()).resolves.toBeUndefined();
  });
});
