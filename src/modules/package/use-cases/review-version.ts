import type { Caller } from '../../../common/caller';
import { CatalogError, ForbiddenError } from '../../../common/errors';
import { accessFor } from '../../access/scope';
import type { Em } from '../../../infra/db/database';
import { verifiedArchive } from '../archived-flow';
import type { CatalogDeps, TenantOption } from '../catalog';
import type { PackageRecord, VersionRecord } from '../package.model';
import { toVersionView, type VersionView } from '../package.view';
import { versionNotFound, visiblePackage } from '../package-ref';
import { requireStatusReason } from '../version-status';
import { moveChannel, parseChannelName, STABLE } from '../channels';
import { changePackage, prepareChange } from './manage-package';

export interface ReviewTarget extends TenantOption {
  version: string;
}

export interface ApprovalTarget extends ReviewTarget {
  /** The channel the approved version joins: none or `stable` by the default-version rule; `stable` pins it; another channel points there only. */
  channel?: string | null;
}

/**
 * Approves a staged version: it becomes ACTIVE (installable, and the default version when the
 * default-version rule says so), and the package shows the texts and labels it was published with.
 * Only a reviewer (an admin of the tenant, or a holder of scaicore:approve in it) who is not its
 * publisher; of two concurrent approvals exactly one wins, the other finds it approved (ILLEGAL_STATE).
 */
export async function approveVersion(deps: CatalogDeps, caller: Caller, packageId: string, target: ApprovalTarget): Promise<VersionView> {
  const tenantId = prepareChange(caller, 'package:review', target.tenantId);
  const channel = target.channel == null ? null : parseChannelName(target.channel);
  // The texts come from the archive, read before the transaction: no lock waits on blob storage.
  const published = await publishedTexts(deps, caller, { packageId, tenantId, version: target.version });
  let approved: VersionRecord | undefined;
  await changePackage(deps, caller, 'package:review', { packageId, tenantId }, async (em, pkg, now) => {
    const version = await stagedVersion(deps, em, caller, pkg, target.version);
    if (channel !== null && channel !== STABLE) await deps.packages.leaveStable(em, version.id);
    await deps.packages.updateVersionStatus(em, version.id, 'active', null);
    if (channel !== null) await moveChannel(deps.packages, em, pkg, { channel, version: version.version, by: caller.userId, at: now });
    const defaultVersion = await deps.packages.refreshDefaultVersion(em, pkg.id);
    await deps.packages.refreshListedVersion(em, pkg.id);
    const texts = { ...published, tags: version.tags, nodeTypes: version.nodeTypes };
    await deps.packages.updateAfterApproval(em, pkg.id, texts);
    await deps.audit.record(em, caller, {
      tenantId: pkg.tenantId,
      packageUuid: pkg.id,
      packageId: pkg.packageId,
      version: version.version,
      action: 'approve',
      changes: { defaultVersion: { from: pkg.defaultVersion, to: defaultVersion }, ...(channel === null ? {} : { channel }) },
      at: now,
    });
    approved = { ...version, status: 'active', statusReason: null };
    return { ...pkg, ...texts, defaultVersion };
  });
  return toVersionView(approved!);
}

/** Rejects a staged version: REJECTED, kept with the reason for the record, never installable. */
export async function rejectVersion(deps: CatalogDeps, caller: Caller, packageId: string, target: ReviewTarget & { reason: string }): Promise<VersionView> {
  const tenantId = prepareChange(caller, 'package:review', target.tenantId);
  const reason = requireStatusReason(target.reason);
  let rejected: VersionRecord | undefined;
  await changePackage(deps, caller, 'package:review', { packageId, tenantId }, async (em, pkg, now) => {
    const version = await stagedVersion(deps, em, caller, pkg, target.version);
    await deps.packages.updateVersionStatus(em, version.id, 'rejected', reason);
    await deps.packages.refreshListedVersion(em, pkg.id);
    await deps.audit.record(em, caller, {
      tenantId: pkg.tenantId,
      packageUuid: pkg.id,
      packageId: pkg.packageId,
      version: version.version,
      action: 'reject',
      changes: { reason },
      at: now,
    });
    rejected = { ...version, status: 'rejected', statusReason: reason };
    return pkg;
  });
  return toVersionView(rejected!);
}

/** Only a staged version is reviewed: NOT_FOUND without one, ILLEGAL_STATE for any other status. */
function assertStaged(packageId: string, wanted: string, version: VersionRecord | null): asserts version is VersionRecord {
  if (!version) throw versionNotFound(packageId, wanted);
  if (version.status !== 'staged') throw new CatalogError('ILLEGAL_STATE', `Version ${version.version} of ${packageId} is ${version.status}, not staged`);
}

/** The version to review, read under the package lock: staged, and not published by the reviewer. */
async function stagedVersion(deps: CatalogDeps, em: Em, caller: Caller, pkg: PackageRecord, wanted: string) {
  const version = await deps.packages.findVersion(em, pkg.id, wanted);
  assertStaged(pkg.packageId, wanted, version);
  // The second pair of eyes: whoever published it cannot approve or reject it, admins included.
  if (version.publisherId === caller.userId && pkg.tenantId === caller.tenantId) {
    throw new ForbiddenError('A staged version is reviewed by someone other than its publisher');
  }
  return version;
}

/** The name, description and readme a version was published with, from its verified archive. */
async function publishedTexts(deps: CatalogDeps, caller: Caller, key: { packageId: string; tenantId: string; version: string }) {
  const access = accessFor(caller);
  const version = await deps.db.read(async (em) => {
    const pkg = await visiblePackage(deps.packages, em, access, key);
    access.assert('package:review', { pkg, visible: true });
    return deps.packages.findVersion(em, pkg.id, key.version);
  });
  assertStaged(key.packageId, key.version, version);
  const { contents } = await verifiedArchive(deps, version);
  const meta = contents.packageJson as { displayName?: unknown; description?: unknown };
  return {
    name: typeof meta.displayName === 'string' ? meta.displayName : key.packageId,
    description: typeof meta.description === 'string' ? meta.description : null,
    readme: contents.readme,
  };
}
