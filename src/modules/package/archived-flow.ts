import type { CatalogDeps } from './catalog';
import { readPackageArchive, sha256Hex, type PackageArchiveContents } from './package-archive';
import type { VersionRecord } from './package.model';

type ArchiveDeps = Pick<CatalogDeps, 'archives' | 'blobs' | 'logger' | 'provenance'>;

/**
 * The flow of a version's archive (install, diff, upgrade preview): from the cache when this
 * archive was verified before. Served only when it is the archive published: its bytes match the
 * version's sha256, and the version's signed provenance names that digest.
 */
export async function archivedFlow(
  deps: ArchiveDeps,
  version: Pick<VersionRecord, 'sha256' | 'blobName' | 'provenance' | 'version'>,
): Promise<Readonly<Record<string, unknown>>> {
  const cached = deps.archives.get(version.sha256);
  if (cached) {
    assertProvenance(deps, version);
    return cached;
  }
  const { contents, bytes } = await verifiedArchive(deps, version);
  return deps.archives.set(version.sha256, contents.flow as Record<string, unknown>, bytes);
}

/**
 * The whole archive of a version, read from blob storage and served only when it is the one
 * published (its provenance and its sha256, as `archivedFlow` checks them): what an approval
 * reads the published texts from.
 */
export async function verifiedArchive(
  deps: ArchiveDeps,
  version: Pick<VersionRecord, 'sha256' | 'blobName' | 'provenance' | 'version'>,
): Promise<{ contents: PackageArchiveContents; bytes: number }> {
  assertProvenance(deps, version);
  const bytes = await deps.blobs.download(version.blobName);
  const actual = sha256Hex(bytes);
  if (actual !== version.sha256) {
    // Never serve an archive that is not the one published: it was altered or corrupted.
    deps.logger.error({ blobName: version.blobName, expected: version.sha256, actual }, 'archive sha256 mismatch');
    throw new Error(`Archive integrity check failed for ${version.blobName}`);
  }
  return { contents: readPackageArchive(bytes), bytes: bytes.length };
}

/**
 * The version's provenance must carry a signature of one of the catalog's keys over a statement
 * naming the version's sha256. A mismatch means the database was altered behind the service's back:
 * the archive is not served (a masked 500) and the log says why. Versions published before
 * provenance was signed have none to check.
 */
function assertProvenance({ provenance, logger }: ArchiveDeps, version: Pick<VersionRecord, 'sha256' | 'blobName' | 'provenance' | 'version'>): void {
  if (!version.provenance) return;
  try {
    provenance.verify(version.provenance, { sha256: version.sha256 });
  } catch (error) {
    logger.error({ err: error, blobName: version.blobName, version: version.version }, 'provenance verification failed: refusing to serve the archive');
    throw error;
  }
}
