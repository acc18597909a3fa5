import type { Caller } from '../../../common/caller';
import type { Action } from '../../access/policy';
import type { CatalogDeps, TenantOption } from '../catalog';
import type { VersionRecord } from '../package.model';
import { toVersionView, type VersionView } from '../package.view';
import { isInstallable, requireStatusReason, transition, type VersionStatusAction } from '../version-status';
import { changePackage, prepareChange } from './manage-package';
import { versionNotFound } from '../package-ref';

const ACTION_BY_STATUS_ACTION: Record<VersionStatusAction, Action> = {
  deprecate: 'package:deprecateVersion',
  withdraw: 'package:withdrawVersion',
  restore: 'package:restoreVersion',
};

export interface VersionTarget extends TenantOption {
  version: string;
}

/** Deprecated versions stay installable; install tells why (`metadata.deprecation`). */
export function deprecateVersion(deps: CatalogDeps, caller: Caller, packageId: string, target: VersionTarget & { reason: string }): Promise<VersionView> {
  return changeVersionStatus(deps, caller, packageId, 'deprecate', target);
}

/** A withdrawn version is never served again; the package's default moves to the best remaining one. */
export function withdrawVersion(deps: CatalogDeps, caller: Caller, packageId: string, target: VersionTarget & { reason: string }): Promise<VersionView> {
  return changeVersionStatus(deps, caller, packageId, 'withdraw', target);
}

/** Back to active (from deprecated or withdrawn), without a reason. */
export function restoreVersion(deps: CatalogDeps, caller: Caller, packageId: string, target: VersionTarget): Promise<VersionView> {
  return changeVersionStatus(deps, caller, packageId, 'restore', target);
}

/**
 * One status change under the package row lock: the version row, the package's default version
 * and the audit row (with the reason) in one transaction. Repeating a state is ILLEGAL_STATE.
 */
async function changeVersionStatus(
  deps: CatalogDeps,
  caller: Caller,
  packageId: string,
  statusAction: VersionStatusAction,
  target: VersionTarget & { reason?: string },
): Promise<VersionView> {
  const action = ACTION_BY_STATUS_ACTION[statusAction];
  const tenantId = prepareChange(caller, action, target.tenantId);
  const reason = statusAction === 'restore' ? null : requireStatusReason(target.reason ?? '');
  let changed: VersionRecord | undefined;
  await changePackage(deps, caller, action, { packageId, tenantId }, async (em, pkg, now) => {
    const version = await deps.packages.findVersion(em, pkg.id, target.version);
    if (!version) throw versionNotFound(packageId, target.version);
    const status = transition(version.status, statusAction);
    await deps.packages.updateVersionStatus(em, version.id, status, reason);
    // A channel never points at a version that is not installable: `stable` lets go of a pin on
    // it (and follows the rule), every other channel at it is removed.
    const unpinned = !isInstallable(status) && pkg.stablePin === version.version;
    if (unpinned) await deps.packages.setStablePin(em, pkg.id, null);
    const channelsRemoved = isInstallable(status) ? [] : await deps.packages.deleteChannelsAt(em, pkg.id, version.version);
    const defaultVersion = await deps.packages.refreshDefaultVersion(em, pkg.id, { by: caller.userId, at: now });
    await deps.audit.record(em, caller, {
      tenantId: pkg.tenantId,
      packageUuid: pkg.id,
      packageId: pkg.packageId,
      version: version.version,
      action: statusAction,
      changes: {
        from: version.status,
        to: status,
        reason,
        defaultVersion: { from: pkg.defaultVersion, to: defaultVersion },
        ...(channelsRemoved.length > 0 ? { channelsRemoved } : {}),
      },
      at: now,
    });
    changed = { ...version, status, statusReason: reason };
    return { ...pkg, defaultVersion, stablePin: unpinned ? null : pkg.stablePin };
  });
  return toVersionView(changed!);
}
