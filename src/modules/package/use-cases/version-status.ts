import type { Caller } from '../../../common/caller';
import type { Action } from '../../access/policy';
import type { CatalogDeps, TenantOption } from '../catalog';
import type { VersionRecord } from '../package.model';
import { toVersionView, type VersionView } from '../package.view';
import { requireStatusReason, transition, type VersionStatusAction } from '../version-status';
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
    const defaultVersion = await deps.packages.refreshDefaultVersion(em, pkg.id);
    await deps.audit.record(em, caller, {
      tenantId: pkg.tenantId,
      packageUuid: pkg.id,
      packageId: pkg.packageId,
      version: version.version,
      action: statusAction,
      changes: { from: version.status, to: status, reason, defaultVersion: { from: pkg.defaultVersion, to: defaultVersion } },
      at: now,
    });
    changed = { ...version, status, statusReason: reason };
    return { ...pkg, defaultVersion };
  });
  return toVersionView(changed!);
}
