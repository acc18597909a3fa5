import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { SigningConfig } from '../../config';
import { privateKeyFromText, publicKeyFromText, publicKeysFromJwksText, SigningKeyError, SigningKeys } from './signing-keys';

const CURRENT_FILE = 'current.jwk.json';
const RETIRED_DIR = 'retired';
const KEY_FILE_SUFFIX = '.jwk.json';

/** The keys `config` names; the embedded key directory gets its first key here. */
export async function loadSigningKeys(config: SigningConfig): Promise<SigningKeys> {
  if (config.kind === 'directory') return loadKeyDirectory(config.directory);
  const current =
    'material' in config.currentKey
      ? { key: privateKeyFromText(config.currentKey.material, 'CATALOG_SIGNING_KEY'), source: 'CATALOG_SIGNING_KEY' }
      : {
          key: privateKeyFromText(await readKeyFile(config.currentKey.file, 'CATALOG_SIGNING_KEY_FILE'), config.currentKey.file),
          source: config.currentKey.file,
        };
  const retired = config.retiredKeysFile
    ? publicKeysFromJwksText(await readKeyFile(config.retiredKeysFile, 'CATALOG_SIGNING_RETIRED_KEYS_FILE'), config.retiredKeysFile)
    : [];
  return SigningKeys.of(current, retired);
}

/**
 * `directory/current.jwk.json` signs, `directory/retired/*.jwk.json` verify. The first start
 * creates the current key, so `npm start` signs with no settings and keeps its key across restarts.
 */
export async function loadKeyDirectory(directory: string): Promise<SigningKeys> {
  const currentFile = path.join(directory, CURRENT_FILE);
  const text = (await readIfPresent(currentFile)) ?? (await createCurrentKey(directory, currentFile));
  const current = { key: privateKeyFromText(text, currentFile), source: currentFile };
  const retiredDir = path.join(directory, RETIRED_DIR);
  const names = ((await readdir(retiredDir).catch(ignoreMissing)) ?? []).filter((name) => name.endsWith(KEY_FILE_SUFFIX)).sort();
  const retired = await Promise.all(
    names.map(async (name) => {
      const file = path.join(retiredDir, name);
      return { key: publicKeyFromText(await readKeyFile(file), file), source: file };
    }),
  );
  return SigningKeys.of(current, retired);
}

/**
 * Retires the current key of the key directory (its public key moves to `retired/<kid>.jwk.json`)
 * and makes a new one current. The running service keeps signing with the old key until it restarts,
 * and what it signed meanwhile stays verifiable: the old key is retired, not gone.
 */
export async function rotateKeyDirectory(directory: string): Promise<{ retiredKeyId: string; currentKeyId: string }> {
  const before = await loadKeyDirectory(directory);
  const [oldKey] = before.jwks().keys;
  await mkdir(path.join(directory, RETIRED_DIR), { recursive: true, mode: 0o700 });
  // Retired first: a rotation cut short leaves the old key both current and retired, never lost.
  await writeNewFile(path.join(directory, RETIRED_DIR, `${oldKey!.kid}${KEY_FILE_SUFFIX}`), JSON.stringify(oldKey, null, 2), 0o644, 'keep-existing');
  await writeNewFile(path.join(directory, CURRENT_FILE), newPrivateJwkText(), 0o600, 'replace');
  const after = await loadKeyDirectory(directory);
  return { retiredKeyId: oldKey!.kid, currentKeyId: after.keyId };
}

/** Two processes starting at once on one directory end up sharing one key: a key is never replaced here. */
async function createCurrentKey(directory: string, file: string): Promise<string> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  await writeNewFile(file, newPrivateJwkText(), 0o600, 'keep-existing');
  return readKeyFile(file);
}

function newPrivateJwkText(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  return JSON.stringify(privateKey.export({ format: 'jwk' }), null, 2);
}

/**
 * Written beside its target, synced, then published under its name at once: readers see the whole
 * key or none. `keep-existing` links (fails if the name is taken: the file there wins), `replace` renames.
 */
async function writeNewFile(file: string, text: string, mode: number, ifPresent: 'keep-existing' | 'replace'): Promise<void> {
  const temp = `${file}.${randomUUID()}.tmp`;
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (ifPresent === 'replace') await rename(temp, file);
    else await link(temp, file).catch(ignoreTaken);
  } finally {
    await unlink(temp).catch(ignoreMissing);
  }
  await syncDirectory(path.dirname(file));
}

/** A key acknowledged to the operator must survive a power cut: its directory entry too. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** `variable`: the setting that named the file, for the operator to look at. */
async function readKeyFile(file: string, variable?: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw unreadable(file, error, variable);
  }
}

async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unreadable(file, error);
  }
}

function unreadable(file: string, error: unknown, variable?: string): SigningKeyError {
  const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
  return new SigningKeyError(`cannot read the signing key file ${file}${variable ? ` (${variable})` : ''}: ${code}`);
}

function ignoreTaken(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
}

function ignoreMissing(error: unknown): undefined {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  throw error;
}
