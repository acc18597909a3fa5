import type { Caller } from '../../../common/caller';
import { BadUserInputError, RevisionMismatchError } from '../../../common/errors';
import { decodeCursor, pageSize, toConnection, type Connection } from '../../../common/pagination';
import type { Em } from '../../../infra/db/database';
import type { Action } from '../../access/policy';
import { accessFor } from '../../access/scope';
import { toAuditEventView, type AuditEventView } from '../../audit/audit.view';
import type { CatalogDeps, TenantOption } from '../catalog';
import type { Visibility } from '../package.entity';
import type { PackageRecord } from '../package.model';
import { groupIdsSchema, parseInput } from '../package.validation';
import { toPackageView, type PackageView } from '../package.view';
import { isPackageSlug, packageNotFound, visiblePackage } from '../package-ref';
import { assertNotQuarantined } from '../quarantine';

export async function setVisibility(
  deps: CatalogDeps,
  caller: Caller,
  packageId: string,
  input: TenantOption & { visibility: Visibility; visibilityGroupIds?: readonly string[] | null; expectedRevision?: number | null },
): Promise<PackageView> {
  const tenantId = prepareChange(caller, 'package:changeVisibility', input.tenantId);
  const groupIds = input.visibility === 'groups' ? parseGroupIds(input.visibilityGroupIds) : [];
  const target = { packageId, tenantId, expectedRevision: input.expectedRevision };
  const changed = await changePackage(deps, caller, 'package:changeVisibility', target, async (em, pkg, now) => {
    await deps.packages.updateVisibility(em, pkg.id, input.visibility, groupIds, now);
    await deps.audit.record(em, caller, {
      tenantId: pkg.tenantId,
      packageUuid: pkg.id,
      packageId: pkg.packageId,
      version: pkg.latestVersion,
      action: 'visibility',
      changes: {
        from: { visibility: pkg.visibility, visibilityGroupIds: pkg.visibilityGroupIds },
        to: { visibility: input.visibility, visibilityGroupIds: groupIds },
      },
      at: now,
    });
    return { ...pkg, visibility: input.visibility, visibilityGroupIds: groupIds, updatedAt: now };
  });
  return toPackageView(accessFor(caller), changed);
}

/** Soft delete: the row is marked, every version row and blob stays for audit. */
export async function deletePackage(deps: CatalogDeps, caller: Caller, packageId: string, options: TenantOption = {}): Promise<void> {
  const tenantId = prepareChange(caller, 'package:delete', options.tenantId);
  await changePackage(deps, caller, 'package:delete', { packageId, tenantId }, async (em, pkg, now) => {
    await deps.packages.markDeleted(em, pkg.id, now);
    await deps.audit.record(em, caller, {
      tenantId: pkg.tenantId,
      packageUuid: pkg.id,
      packageId: pkg.packageId,
      version: pkg.latestVersion,
      action: 'delete',
      changes: {},
      at: now,
    });
    return pkg;
  });
}

/** The audit trail of a package, for its author and admins (deleted packages included). */
export async function listAuditEvents(
  { db, packages, audit }: CatalogDeps,
  caller: Caller,
  packageId: string,
  args: TenantOption & { first?: number | null; after?: string | null },
): Promise<Connection<AuditEventView>> {
  const access = accessFor(caller);
  access.assertAttempt('package:readAudit');
  const tenantId = access.actingTenant(args.tenantId);
  const limit = pageSize(args.first);
  const after = decodeCursor(args.after);
  const { page, quarantineReasons } = await db.run(async (em) => {
    const pkg = isPackageSlug(packageId) ? await packages.findAny(em, access.rows, tenantId, packageId) : null;
    if (!pkg) throw packageNotFound(packageId);
    access.assert('package:readAudit', { pkg, visible: pkg.visible });
    return { page: await audit.list(em, pkg.id, limit, after), quarantineReasons: access.may('package:readQuarantineReason', { pkg }) };
  });
  const connection = toConnection(page, (event) => ({ key: event.occurredAt, id: event.id }));
  const view = (event: (typeof page.items)[number]) => toAuditEventView(event, { quarantineReasons });
  return { ...connection, edges: connection.edges.map((edge) => ({ cursor: edge.cursor, node: view(edge.node) })) };
}

/** The checks before any input is read: the permission, then the tenant acted in. */
export function prepareChange(caller: Caller, action: Action, tenantId: string | null | undefined): string {
  const access = accessFor(caller);
  access.assertAttempt(action);
  return access.actingTenant(tenantId);
}

/**
 * Runs a change on a package the caller sees, under its row lock, after the policy check:
 * NOT_FOUND when the caller cannot see the package, FORBIDDEN when they can but may not act,
 * PACKAGE_QUARANTINED when it is quarantined and they are not an admin, REVISION_MISMATCH when
 * `expectedRevision` is given and no longer current. Every change moves the
 * package's revision up by one (and `updatedAt`), in the same transaction.
 */
export async function changePackage(
  { db, packages }: CatalogDeps,
  caller: Caller,
  action: Action,
  target: { packageId: string; tenantId: string; expectedRevision?: number | null },
  change: (em: Em, pkg: PackageRecord, now: Date) => Promise<PackageRecord>,
): Promise<PackageRecord> {
  const { tenantId } = target;
  if (!isPackageSlug(target.packageId)) throw packageNotFound(target.packageId);
  const access = accessFor(caller);
  return db.transaction(async (em) => {
    const pkg = await visiblePackage(packages, em, access, { tenantId, packageId: target.packageId }, true);
    access.assert(action, { pkg, visible: true });
    assertNotQuarantined(access, pkg);
    // Read under the row lock: of two changes based on the same revision, the second is refused.
    const expected = target.expectedRevision ?? null;
    if (expected !== null && expected !== pkg.revision) throw new RevisionMismatchError(expected, pkg.revision);
    const now = new Date();
    const changed = await change(em, pkg, now);
    const revision = await packages.bumpRevision(em, pkg.id, now);
    return { ...changed, revision, updatedAt: now };
  });
}

function parseGroupIds(groupIds: readonly string[] | null | undefined): string[] {
  const unique = [...new Set(parseInput(groupIdsSchema, groupIds ?? [], 'Invalid visibility group ids'))];
  if (unique.length === 0) {
    throw new BadUserInputError('Groups visibility needs at least one group', [{ path: '$.visibilityGroupIds', message: 'must list at least one group id' }]);
  }
  return unique;
}
