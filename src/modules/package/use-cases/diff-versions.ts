import type { Caller } from '../../../common/caller';
import { accessFor } from '../../access/scope';
import { archivedFlow } from '../archived-flow';
import type { CatalogDeps, TenantOption } from '../catalog';
import { diffFlows, type FlowDiff, type FlowLike } from '../flow-diff';
import { versionWithdrawnError } from '../version-status';
import { isUnreleased, readsUnreleased } from '../unreleased';
import { versionNotFound, visiblePackage } from '../package-ref';

export interface VersionDiff extends FlowDiff {
  from: string;
  to: string;
}

/**
 * `catalogPackageDiff`: what changed between two versions of a package the caller sees, read
 * from the stored archives after their sha256 check. A withdrawn version is not served
 * (VERSION_WITHDRAWN), except to those who may manage it: its author and admins, who may want
 * to see what was pulled back. Unknown versions are NOT_FOUND.
 */
export async function diffVersions(
  deps: CatalogDeps,
  caller: Caller,
  packageId: string,
  args: TenantOption & { from: string; to: string },
): Promise<VersionDiff> {
  const access = accessFor(caller);
  access.assert('package:read');
  const tenantId = access.actingTenant(args.tenantId);
  const versions = await deps.db.read(async (em) => {
    const pkg = await visiblePackage(deps.packages, em, access, { tenantId, packageId });
    return { pkg, from: await deps.packages.findVersion(em, pkg.id, args.from), to: await deps.packages.findVersion(em, pkg.id, args.to) };
  });
  const { pkg, from, to } = versions;
  if (!from) throw versionNotFound(packageId, args.from);
  if (!to) throw versionNotFound(packageId, args.to);
  for (const version of [from, to]) {
    if (isUnreleased(version.status) && !readsUnreleased(access, pkg)) throw versionNotFound(packageId, version.version);
    if (version.status === 'withdrawn' && !access.may('package:readWithdrawn', { pkg })) throw versionWithdrawnError(packageId, version);
  }
  const [before, after] = await Promise.all([archivedFlow(deps, from), archivedFlow(deps, to)]);
  return { from: from.version, to: to.version, ...diffFlows(before as unknown as FlowLike, after as unknown as FlowLike) };
}
