import type { Caller } from '../../../common/caller';
import { CatalogError } from '../../../common/errors';
import { accessFor } from '../../access/scope';
import type { CatalogDeps, TenantOption } from '../catalog';
import { toPackageView, type PackageView } from '../package.view';
import { requireStatusReason } from '../version-status';
import { changePackage, prepareChange } from './manage-package';

/**
 * Freezes a package an admin suspects: until it is released, nobody but the tenant's admins (and
 * super admins) may install it, check an install of it, publish to it or change it, and update
 * checks report it. Nothing else moves: its versions, default and visibility stay as they were.
 */
export async function quarantinePackage(deps: CatalogDeps, caller: Caller, packageId: string, input: TenantOption & { reason: string }): Promise<PackageView> {
  const tenantId = prepareChange(caller, 'package:quarantine', input.tenantId);
  const reason = requireStatusReason(input.reason);
  const changed = await changePackage(deps, caller, 'package:quarantine', { packageId, tenantId }, async (em, pkg, now) => {
    if (pkg.quarantine !== null) throw new CatalogError('ILLEGAL_STATE', `Package ${packageId} is quarantined already`);
    const quarantine = { reason, by: caller.userId, at: now };
    await deps.packages.setQuarantine(em, pkg.id, quarantine);
    await deps.audit.record(em, caller, {
      tenantId: pkg.tenantId,
      packageUuid: pkg.id,
      packageId: pkg.packageId,
      version: pkg.defaultVersion,
      action: 'quarantine',
      changes: { reason },
      at: now,
    });
    return { ...pkg, quarantine };
  });
  deps.logger.warn({ tenantId, packageId, by: caller.userId }, 'package quarantined');
  return toPackageView(accessFor(caller), changed);
}

/** Lifts a quarantine: the package takes installs, publishes and changes again. */
export async function releasePackage(deps: CatalogDeps, caller: Caller, packageId: string, input: TenantOption = {}): Promise<PackageView> {
  const tenantId = prepareChange(caller, 'package:release', input.tenantId);
  const changed = await changePackage(deps, caller, 'package:release', { packageId, tenantId }, async (em, pkg, now) => {
    if (pkg.quarantine === null) throw new CatalogError('ILLEGAL_STATE', `Package ${packageId} is not quarantined`);
    await deps.packages.setQuarantine(em, pkg.id, null);
    await deps.audit.record(em, caller, {
      tenantId: pkg.tenantId,
      packageUuid: pkg.id,
      packageId: pkg.packageId,
      version: pkg.defaultVersion,
      action: 'release',
      changes: { reason: pkg.quarantine.reason },
      at: now,
    });
    return { ...pkg, quarantine: null };
  });
  deps.logger.info({ tenantId, packageId, by: caller.userId }, 'package released from quarantine');
  return toPackageView(accessFor(caller), changed);
}
