import { randomUUID } from 'node:crypto';
import type { Caller } from '../../../common/caller';
import { NotFoundError } from '../../../common/errors';
import { actingTenant, assertMayPerform } from '../../access/policy';
import type { CatalogDeps, TenantOption } from '../catalog';
import { readPackageArchive, sha256Hex } from '../package-archive';
import type { VersionRecord } from '../package.model';
import { packageIdSchema } from '../package.validation';
import { toPackageView } from '../package.view';
import { parseVersion } from '../versioning';

export interface InstallResult {
  flow: Record<string, unknown>;
  metadata: { packageId: string; name: string; version: string; authorEmail: string | null };
}

/** A fresh copy of a version's flow (default: the package's default version), audited. */
export async function installPackage(
  deps: CatalogDeps,
  caller: Caller,
  packageId: string,
  options: TenantOption & { version?: string | null } = {},
): Promise<InstallResult> {
  const { db, packages, audit } = deps;
  assertMayPerform(caller, 'package:install');
  const tenantId = actingTenant(caller, options.tenantId);
  if (!packageIdSchema.safeParse(packageId).success) throw new NotFoundError(`Package ${packageId} not found`);
  // A string that is not a version names no version (and never reaches SQL: it may hold a NUL).
  if (options.version != null && parseVersion(options.version) !== options.version) {
    throw new NotFoundError(`Package ${packageId} version ${JSON.stringify(options.version)} not found`);
  }
  const found = await db.run(async (em) => {
    const pkg = await packages.findVisible(em, caller, tenantId, packageId);
    if (!pkg) return null;
    const version = await packages.findVersion(em, pkg.id, options.version ?? pkg.latestVersion);
    return version ? { pkg, version } : null;
  });
  if (!found) throw new NotFoundError(`Package ${packageId}${options.version ? ` version ${options.version}` : ''} not found`);
  const { pkg, version } = found;

  const archived = await archivedFlow(deps, version);
  const flowName = typeof archived.name === 'string' && archived.name.trim() !== '' ? archived.name : pkg.name;
  // The count and its audit row together: one never moves without the other.
  await db.transaction(async (em) => {
    await packages.countInstall(em, pkg.id);
    await audit.record(em, caller, {
      tenantId: pkg.tenantId,
      packageUuid: pkg.id,
      packageId: pkg.packageId,
      version: version.version,
      action: 'install',
      changes: {},
      at: new Date(),
    });
  });
  const view = toPackageView(caller, pkg);
  return {
    flow: { ...archived, id: randomUUID(), name: `Copy of ${flowName}` },
    metadata: { packageId: view.packageId, name: view.name, version: version.version, authorEmail: view.authorEmail },
  };
}

/** The flow of a version's archive: from the cache when this archive was verified before. */
async function archivedFlow({ archives, blobs, logger }: CatalogDeps, version: VersionRecord): Promise<Readonly<Record<string, unknown>>> {
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
