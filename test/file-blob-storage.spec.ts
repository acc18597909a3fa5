import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { ServiceUnavailableError } from '../src/common/errors';
import { BlobAlreadyExistsError, BlobNotFoundError, FileBlobStorage } from '../src/infra/blob';

/**
 * The embedded default's blob storage: the same write-once contract as the Azure adapter
 * (test/blob-storage.spec.ts), in a directory that no blob name can leave.
 */

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const NAME = 'catalog/t1/pkg/v1.0.0.scaipkg';

let root: string;
let storage: FileBlobStorage;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'file-blobs-'));
  storage = new FileBlobStorage(path.join(root, 'catalog'));
  await storage.open();
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Every file under `dir`, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe('FileBlobStorage writes', () => {
  it('creates a blob, then reports the same bytes again as identical, leaving one file', async () => {
    const bytes = Buffer.from('zip bytes v1');
    await expect(storage.uploadIfAbsent(NAME, bytes, sha256(bytes))).resolves.toBe('created');
    await expect(storage.uploadIfAbsent(NAME, Buffer.from(bytes), sha256(bytes))).resolves.toBe('identical');
    expect(await filesUnder(root)).toEqual([path.join('catalog', 'catalog=', 't1=', 'pkg=', 'v1.0.0.scaipkg')]);
  });

  it('refuses different content at the same name and keeps the stored bytes', async () => {
    const original = Buffer.from('original');
    const other = Buffer.from('something else');
    await storage.uploadIfAbsent(NAME, original, sha256(original));
    const refusal = storage.uploadIfAbsent(NAME, other, sha256(other));
    await expect(refusal).rejects.toBeInstanceOf(BlobAlreadyExistsError);
    await expect(refusal).rejects.toMatchObject({ existingSha256: sha256(original), attemptedSha256: sha256(other) });
    expect(await storage.download(NAME)).toEqual(original);
  });

  it('refuses a sha256 that does not match the bytes, writing nothing', async () => {
    const bytes = Buffer.from('bytes');
    await expect(storage.uploadIfAbsent(NAME, bytes, sha256(Buffer.from('other')))).rejects.toThrow(/does not match/);
    expect(await storage.exists(NAME)).toBe(false);
    expect(await filesUnder(root)).toEqual([]);
  });

  it('lets exactly one of several concurrent uploads of one name create it', async () => {
    const contents = Array.from({ length: 8 }, (_, i) => Buffer.from(`content ${i % 2}`));
    const results = await Promise.allSettled(contents.map((bytes) => storage.uploadIfAbsent(NAME, bytes, sha256(bytes))));
    const created = results.filter((r) => r.status === 'fulfilled' && r.value === 'created');
    expect(created).toHaveLength(1);
    const stored = await storage.download(NAME);
    // Every other answer agrees with what was stored: identical for the same bytes, a conflict otherwise.
    results.forEach((result, i) => {
      if (contents[i]!.equals(stored)) expect(result.status).toBe('fulfilled');
      else expect(result).toMatchObject({ status: 'rejected', reason: expect.any(BlobAlreadyExistsError) });
    });
    expect((await filesUnder(root)).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('replaces an orphan, and writes nothing when the check before the replacement throws', async () => {
    const orphan = Buffer.from('left by a dead publish');
    const retry = Buffer.from('the retry');
    await storage.uploadIfAbsent(NAME, orphan, sha256(orphan));
    await expect(storage.replaceOrphan(NAME, retry, sha256(retry), () => Promise.reject(new Error('lost the reservation')))).rejects.toThrow(
      'lost the reservation',
    );
    expect(await storage.download(NAME)).toEqual(orphan);
    await storage.replaceOrphan(NAME, retry, sha256(retry), async () => {});
    expect(await storage.download(NAME)).toEqual(retry);
    expect(await filesUnder(path.join(root, 'catalog'))).toEqual([path.join('catalog=', 't1=', 'pkg=', 'v1.0.0.scaipkg')]);
  });

  it('replaces only a blob that is there', async () => {
    const bytes = Buffer.from('bytes');
    await expect(storage.replaceOrphan(NAME, bytes, sha256(bytes))).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(await storage.exists(NAME)).toBe(false);
  });
});

describe('FileBlobStorage reads and readiness', () => {
  it('downloads exactly the bytes uploaded, by a new instance on the same directory too', async () => {
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    await storage.uploadIfAbsent(NAME, bytes, sha256(bytes));
    const reopened = new FileBlobStorage(path.join(root, 'catalog'));
    await reopened.open();
    expect(await reopened.download(NAME)).toEqual(bytes);
    expect(await reopened.exists(NAME)).toBe(true);
    expect(await reopened.exists('catalog/t1/pkg/v9.9.9.scaipkg')).toBe(false);
    await expect(reopened.download('catalog/t1/pkg/v9.9.9.scaipkg')).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it('removes at open what a write cut off by a crash left, and nothing else', async () => {
    const bytes = Buffer.from('kept');
    await storage.uploadIfAbsent(NAME, bytes, sha256(bytes));
    const dir = path.join(root, 'catalog', 'catalog=', 't1=', 'pkg=');
    await writeFile(path.join(dir, 'v1.0.1.scaipkg.0a1b2c3d4e5f.partial'), 'half an upload');
    await new FileBlobStorage(path.join(root, 'catalog')).open();
    expect(await readdir(dir)).toEqual(['v1.0.0.scaipkg']);
  });

  it('is unavailable (blob-storage) when the disk refuses writes, and ping says so', async () => {
    // A file where the directory should be: refused for root too (permissions are not).
    await rm(path.join(root, 'catalog'), { recursive: true });
    await writeFile(path.join(root, 'catalog'), 'not a directory');
    const bytes = Buffer.from('x');
    await expect(storage.ping()).rejects.toThrow(/not a directory/);
    await expect(storage.uploadIfAbsent(NAME, bytes, sha256(bytes))).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(storage.download(NAME)).rejects.toBeInstanceOf(ServiceUnavailableError);
  });

  it('answers ping while the directory is there; once it is gone refuses writes without recreating it, until it is back', async () => {
    await expect(storage.ping()).resolves.toBeUndefined();
    await rename(path.join(root, 'catalog'), path.join(root, 'away'));
    await expect(storage.ping()).rejects.toThrow();
    const bytes = Buffer.from('x');
    // As an unmounted volume: writing must not fill the mount point underneath.
    await expect(storage.uploadIfAbsent(NAME, bytes, sha256(bytes))).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(await readdir(root)).toEqual(['away']);
    await rename(path.join(root, 'away'), path.join(root, 'catalog'));
    await expect(storage.ping()).resolves.toBeUndefined();
    await expect(storage.uploadIfAbsent(NAME, bytes, sha256(bytes))).resolves.toBe('created');
  });
});

describe('FileBlobStorage names', () => {
  const part = fc.oneof(
    fc.constantFrom('.', '..', '...', '', '%', '%2E', 'a.partial', '.partial', 'con', 'x y', 'ü', '\\', '?*:'),
    fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes('/') && !s.includes('\0')),
  );
  const name = fc.array(part, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));

  it('keeps every name inside the root and tells different names apart (a and a/b included)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(name, { minLength: 1, maxLength: 6 }), async (names) => {
        const dir = await mkdtemp(path.join(root, 'prop-'));
        const own = new FileBlobStorage(path.join(dir, 'inside'));
        await own.open();
        for (const [i, n] of names.entries()) {
          const bytes = Buffer.from(`blob ${i}`);
          expect(await own.uploadIfAbsent(n, bytes, sha256(bytes))).toBe('created');
        }
        for (const [i, n] of names.entries()) expect((await own.download(n)).toString()).toBe(`blob ${i}`);
        // Nothing was written beside the root, whatever the names held.
        expect(await readdir(dir)).toEqual(['inside']);
        expect((await filesUnder(path.join(dir, 'inside'))).filter((f) => f.endsWith('.partial'))).toEqual([]);
        expect(await filesUnder(path.join(dir, 'inside'))).toHaveLength(names.length);
      }),
      { numRuns: 60 },
    );
  });
});
