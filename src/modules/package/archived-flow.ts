import type { CatalogDeps } from './catalog';
import { readPackageArchive, sha256Hex } from './package-archive';
import type { VersionRecord } from './package.model';

/** The flow of a version's archive (install, diff): from the cache when this archive was verified before. */
export async function archivedFlow(
  { archives, blobs, logger }: Pick<CatalogDeps, 'archives' | 'blobs' | 'logger'>,
  version: Pick<VersionRecord, 'sha256' | 'blobName'>,
): Promise<Readonly<Record<string, unknown>>> {
  const cached = archives.get(version.sha256);
  if (cached) return cached;
  const bytes = await blobs.download(version.blobName);
  const actual = sha256Hex(bytes);
  if (actual !== version.sha256) {
    // Never serve an archive that is not the one published: it was altered or corrupted.
    logger.error({ blobName: version.blobName, expected: version.sha256, actual }, 'archive sha256 mismatch');
    throw new Error(`Archive integrity check failed for ${version.blobName}`);
  }
  return archives.set(version.sha256, readPackageArchive(bytes).flow as Record<string, unknown>, bytes.length);
}
