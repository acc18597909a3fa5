import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, link, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ServiceUnavailableError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { BlobAlreadyExistsError, BlobNotFoundError, type BlobStorage } from './blob-storage';

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Written beside their final name, never read: a crash between write and link leaves one behind. */
const TEMP_SUFFIX = '.partial';

/**
 * Blob storage in a directory, for the embedded default (docs/ARCHITECTURE.md, "A durable
 * embedded default"). A write is acknowledged only after its bytes and its directory entry are
 * fsync'ed, so an acknowledged publish survives `kill -9` and a power cut alike. The file
 * appears under its final name in one step: written to a temporary file first, then hard-linked
 * to the name (which fails if the name exists: write-once without a lock) or renamed over an
 * orphan. One process owns the directory, as it owns the embedded database beside it.
 */
export class FileBlobStorage implements BlobStorage {
  /** Serialises the replacements of one name within this process (the only writer). */
  private readonly replacing = new Map<string, Promise<void>>();

  constructor(
    readonly root: string,
    private readonly logger?: Logger,
  ) {}

  /** Creates the directory and removes temporary files a crash left; safe on every start. */
  async open(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    const removed = await removeTempFiles(this.root);
    if (removed > 0) this.logger?.info({ removed, root: this.root }, 'removed unfinished blob writes left by a crash');
  }

  uploadIfAbsent(name: string, bytes: Buffer, sha256Hex: string): Promise<'created' | 'identical'> {
    return this.guarded(async () => {
      const sha256 = checkedSha256(name, bytes, sha256Hex);
      const file = this.fileOf(name);
      const temp = await this.writeTemp(file, bytes);
      try {
        await link(temp, file);
      } catch (error) {
        if (!isCode(error, 'EEXIST')) throw error;
        // Someone wrote this name first; that may be an earlier try of this same publish.
        const existing = sha256Of(await readFile(file));
        if (existing === sha256) return 'identical';
        throw new BlobAlreadyExistsError(name, existing, sha256);
      } finally {
        await unlink(temp).catch(() => {});
      }
      await fsyncDirectory(path.dirname(file));
      return 'created';
    });
  }

  async replaceOrphan(name: string, bytes: Buffer, sha256Hex: string, beforeReplace?: () => Promise<void>): Promise<void> {
    const previous = this.replacing.get(name) ?? Promise.resolve();
    const mine = previous.then(() => this.replace(name, bytes, sha256Hex, beforeReplace));
    const settled = mine.catch(() => {});
    this.replacing.set(name, settled);
    try {
      await mine;
    } finally {
      if (this.replacing.get(name) === settled) this.replacing.delete(name);
    }
  }

  download(name: string): Promise<Buffer> {
    return this.guarded(async () => {
      try {
        return await readFile(this.fileOf(name));
      } catch (error) {
        throw isCode(error, 'ENOENT') ? new BlobNotFoundError(name) : error;
      }
    });
  }

  exists(name: string): Promise<boolean> {
    return this.guarded(() =>
      stat(this.fileOf(name)).then(
        () => true,
        (error: unknown) => (isCode(error, 'ENOENT') ? false : Promise.reject(error)),
      ),
    );
  }

  /** Ready when the directory is there and writable (a full or read-only disk is not). */
  async ping(): Promise<void> {
    if (!(await stat(this.root)).isDirectory()) throw new Error(`blob directory ${this.root} is not a directory`);
    await access(this.root, constants.W_OK);
  }

  private async replace(name: string, bytes: Buffer, sha256Hex: string, beforeReplace?: () => Promise<void>): Promise<void> {
    checkedSha256(name, bytes, sha256Hex);
    const file = this.fileOf(name);
    // As the Azure adapter's ETag condition: only a blob that is there now is replaced.
    await this.guarded(async () => {
      try {
        await stat(file);
      } catch (error) {
        throw isCode(error, 'ENOENT') ? new BlobNotFoundError(name) : error;
      }
    });
    const temp = await this.guarded(() => this.writeTemp(file, bytes));
    try {
      // Outside `guarded`: its errors are the caller's own, not blob storage's.
      await beforeReplace?.();
      await this.guarded(async () => {
        await rename(temp, file);
        await fsyncDirectory(path.dirname(file));
      });
    } finally {
      await unlink(temp).catch(() => {});
    }
  }

  /** The bytes in a fresh temporary file beside `file`, flushed to the disk. */
  private async writeTemp(file: string, bytes: Buffer): Promise<string> {
    const directory = path.dirname(file);
    // The root is never created here, only at open(): a root that went away (an unmounted
    // volume) fails the write instead of filling the mount point underneath.
    await stat(this.root);
    await mkdirDurably(directory);
    const temp = `${file}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`;
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } catch (error) {
      await handle.close().catch(() => {});
      await unlink(temp).catch(() => {});
      throw error;
    }
    await handle.close();
    return temp;
  }

  /**
   * A blob name's file: each `/`-separated part encoded, so no name can leave the root, and the
   * directories suffixed with `=` (which an encoded part never holds), so a blob `a` and a blob
   * `a/b` never claim the same path.
   */
  private fileOf(name: string): string {
    const parts = name.split('/').map(encodePart);
    const file = parts.pop()!;
    return path.join(this.root, ...parts.map((part) => `${part}=`), file);
  }

  /** A failing disk (full, read-only, gone) is blob storage being unavailable, as for Azure. */
  private async guarded<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof BlobNotFoundError || error instanceof BlobAlreadyExistsError) throw error;
      if (!isSystemError(error)) throw error;
      this.logger?.warn({ dependency: 'blob-storage', err: error }, 'blob storage unavailable');
      throw new ServiceUnavailableError('blob-storage');
    }
  }
}

function checkedSha256(name: string, bytes: Buffer, sha256Hex: string): string {
  const sha256 = sha256Hex.toLowerCase();
  if (!SHA256_HEX.test(sha256) || sha256 !== sha256Of(bytes)) {
    throw new Error(`sha256 given for blob "${name}" does not match its bytes`);
  }
  return sha256;
}

/**
 * Percent-encodes what a file name cannot hold safely, and the names `.` and `..`. The temporary
 * suffix can then never end an encoded part, so temporary files are told apart by name alone.
 */
function encodePart(part: string): string {
  if (part === '' || /^\.+$/.test(part)) return part.replace(/\./g, '%2E') || '%';
  return encodeURIComponent(part).replace(/\.partial$/, '%2Epartial');
}

/** Creates the missing directories down to `directory`, each new entry made durable in its parent. */
async function mkdirDurably(directory: string): Promise<void> {
  const first = await mkdir(directory, { recursive: true });
  if (first === undefined) return;
  for (let parent = path.dirname(directory); ; parent = path.dirname(parent)) {
    await fsyncDirectory(parent);
    if (parent === path.dirname(first) || parent === path.dirname(parent)) break;
  }
}

async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function removeTempFiles(directory: string): Promise<number> {
  let removed = 0;
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) removed += await removeTempFiles(full);
    else if (entry.name.endsWith(TEMP_SUFFIX)) {
      await rm(full, { force: true });
      removed += 1;
    }
  }
  return removed;
}

function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function isCode(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}

/** An error from the file system (it has an errno code), not from our own checks. */
function isSystemError(error: unknown): boolean {
  return typeof (error as NodeJS.ErrnoException | undefined)?.code === 'string';
}
