import { PERMISSION_APPROVE, PERMISSION_MANAGE, PERMISSION_VIEW, isAdminOf, isSuperAdmin, isTenantId, type Caller } from '../../common/caller';
import { BadUserInputError, ForbiddenError, NotFoundError } from '../../common/errors';
import { sql, type VisibleRows } from '../../infra/db/sql';

/**
 * The one place that says who may do what. Use cases call `assertMayPerform` with a named action
 * before they act; edges never call it (a test checks). A new operation is one entry in `RULES`.
 */

/** What the policy needs to know of a package: its tenant, author, visibility and state. */
export interface PackageSubject {
  tenantId: string;
  packageId: string;
  authorId: string;
  visibility: 'tenant' | 'groups';
  visibilityGroupIds: readonly string[];
  deletedAt: Date | null;
  /** null when no version is installable: the package is then listed for its author and admins only. */
  defaultVersion: string | null;
}

interface Rule {
  /** The token permission the action needs. */
  permission?: string;
  /** Who may act on this package; without one, every holder of the permission may. */
  onPackage?: (caller: Caller, pkg: PackageSubject) => boolean;
  /** For actions that are not about a package (acting in another tenant). */
  onTenant?: (caller: Caller, tenantId: string) => boolean;
  denied: string;
}

const authorOrAdmin = (caller: Caller, pkg: PackageSubject): boolean => isAuthor(caller, pkg) || isAdminOf(caller, pkg.tenantId);
const adminOfPackage = (caller: Caller, pkg: PackageSubject): boolean => isAdminOf(caller, pkg.tenantId);
/** Reviewers of staged versions: the tenant's admins, and holders of scaicore:approve in the package's tenant. */
const reviewer = (caller: Caller, pkg: PackageSubject): boolean =>
  isAdminOf(caller, pkg.tenantId) || (caller.permissions.has(PERMISSION_APPROVE) && caller.tenantId === pkg.tenantId);
const ONLY_AUTHOR_OR_ADMIN = 'Only the author or an admin may change this package';

const RULES = {
  /** List, get, versions, `_entities`: the visibility rule applies on top (`visibleRows`). */
  'package:read': { permission: PERMISSION_VIEW, denied: `This needs the ${PERMISSION_VIEW} permission` },
  'package:install': { permission: PERMISSION_VIEW, denied: `This needs the ${PERMISSION_VIEW} permission` },
  /** The pre-flight of an install: whoever may install may ask whether it would work. */
  'package:checkInstall': { permission: PERMISSION_VIEW, denied: `This needs the ${PERMISSION_VIEW} permission` },
  /** What upgrading a copy would give: whoever may install may ask; nothing is written. */
  'package:previewUpgrade': { permission: PERMISSION_VIEW, denied: `This needs the ${PERMISSION_VIEW} permission` },
  'package:publish': { permission: PERMISSION_MANAGE, denied: `This needs the ${PERMISSION_MANAGE} permission` },
  /** Publishing a package that exists already (deleted ones too: a republish revives them). */
  'package:republish': {
    permission: PERMISSION_MANAGE,
    onPackage: authorOrAdmin,
    denied: 'Only the author or an admin may republish this package',
  },
  'package:changeVisibility': {
    permission: PERMISSION_MANAGE,
    onPackage: authorOrAdmin,
    denied: 'Only the author or an admin may change this package',
  },
  /** A version's status (docs/API.md "Version status, default version, updates and diffs"). */
  'package:deprecateVersion': { permission: PERMISSION_MANAGE, onPackage: authorOrAdmin, denied: ONLY_AUTHOR_OR_ADMIN },
  'package:withdrawVersion': { permission: PERMISSION_MANAGE, onPackage: authorOrAdmin, denied: ONLY_AUTHOR_OR_ADMIN },
  'package:restoreVersion': { permission: PERMISSION_MANAGE, onPackage: authorOrAdmin, denied: ONLY_AUTHOR_OR_ADMIN },
  'package:delete': { permission: PERMISSION_MANAGE, onPackage: authorOrAdmin, denied: ONLY_AUTHOR_OR_ADMIN },
  /** Moving and removing release channels by hand (docs/API.md, "Release channels"). */
  'package:setChannel': { permission: PERMISSION_MANAGE, onPackage: authorOrAdmin, denied: ONLY_AUTHOR_OR_ADMIN },
  'package:removeChannel': { permission: PERMISSION_MANAGE, onPackage: authorOrAdmin, denied: ONLY_AUTHOR_OR_ADMIN },
  /** Name, description, readme and tags without a new version. */
  'package:editMetadata': { permission: PERMISSION_MANAGE, onPackage: authorOrAdmin, denied: ONLY_AUTHOR_OR_ADMIN },
  /** Staged and rejected versions: seeing them, and approving or rejecting (never one's own: review.ts). */
  'package:readUnderReview': { onPackage: (caller, pkg) => isAuthor(caller, pkg) || reviewer(caller, pkg), denied: 'This version is not released' },
  'package:review': { onPackage: reviewer, denied: `Only an admin or a holder of ${PERMISSION_APPROVE} may approve or reject a version` },
  /** Quarantine: admins put a package in and take it out, and only admins act on it meanwhile. */
  'package:quarantine': { onPackage: adminOfPackage, denied: 'Only an admin may quarantine this package' },
  'package:release': { onPackage: adminOfPackage, denied: 'Only an admin may release this package' },
  'package:actOnQuarantined': { onPackage: adminOfPackage, denied: 'The package is quarantined' },
  'package:readQuarantineReason': { onPackage: adminOfPackage, denied: 'Only an admin may read why this package is quarantined' },
  /** Reading a withdrawn version's archive (diff): it is not served to anyone else. */
  'package:readWithdrawn': { onPackage: authorOrAdmin, denied: 'This version was withdrawn' },
  'package:readAudit': { permission: PERMISSION_VIEW, onPackage: authorOrAdmin, denied: 'Only the author or an admin may read this audit trail' },
  /** Field rules: `visibilityGroupIds` and `authorEmail` are redacted for everyone else. */
  'package:readGroupIds': { onPackage: authorOrAdmin, denied: 'Only the author or an admin may see the groups' },
  'package:readAuthorEmail': {
    onPackage: (caller, pkg) => caller.tenantId === pkg.tenantId || isSuperAdmin(caller),
    denied: 'Only callers in the package tenant may see its author email',
  },
  /** `catalogUsage`: a tenant's counters and limits, for its admins and super admins. */
  'tenant:readUsage': {
    onTenant: (caller, tenantId) => isAdminOf(caller, tenantId),
    denied: 'Only an admin of this tenant may read its usage',
  },
  /** The tenant's publish policy: read and set by its admins. */
  'tenant:readPublishPolicy': {
    onTenant: (caller, tenantId) => isAdminOf(caller, tenantId),
    denied: 'Only an admin of this tenant may read its publish policy',
  },
  'tenant:setPublishPolicy': {
    onTenant: (caller, tenantId) => isAdminOf(caller, tenantId),
    denied: 'Only an admin of this tenant may set its publish policy',
  },
  /** Naming another tenant than one's own (`tenantId` arguments). */
  'tenant:actIn': {
    onTenant: (caller, tenantId) => tenantId === caller.tenantId || isSuperAdmin(caller),
    denied: 'Only a super admin may act in another tenant',
  },
} satisfies Record<string, Rule>;

export type Action = keyof typeof RULES;

export type Target = { pkg: PackageSubject } | { tenantId: string } | undefined;

/**
 * A target of `assertMayPerform`: a package comes with whether the caller sees it, as computed in
 * SQL by `visibleRows` (true for a row read through it), which chooses NOT_FOUND over FORBIDDEN.
 */
export type CheckedTarget = { pkg: PackageSubject; visible: boolean } | { tenantId: string } | undefined;

/** Whether the caller may perform the action (on the package or in the tenant, when it needs one). */
export function mayPerform(caller: Caller, action: Action, target?: Target): boolean {
  const rule: Rule = RULES[action];
  if (rule.permission && !caller.permissions.has(rule.permission)) return false;
  if (rule.onPackage) return target !== undefined && 'pkg' in target && rule.onPackage(caller, target.pkg);
  if (rule.onTenant) return target !== undefined && 'tenantId' in target && rule.onTenant(caller, target.tenantId);
  return true;
}

/**
 * Throws unless the caller may perform the action. On a package the caller cannot see, the
 * refusal is NOT_FOUND, exactly like a package that does not exist; on one they see, FORBIDDEN.
 */
export function assertMayPerform(caller: Caller, action: Action, target?: CheckedTarget): void {
  if (mayPerform(caller, action, target)) return;
  if (target && 'pkg' in target && !target.visible) throw new NotFoundError(`Package ${target.pkg.packageId} not found`);
  throw new ForbiddenError(RULES[action].denied);
}

/**
 * The checks that need no package yet (the token's permission): run first, so a caller without
 * the permission is refused before anything is looked up or validated.
 */
export function assertMayAttempt(caller: Caller, action: Action): void {
  const rule: Rule = RULES[action];
  if (rule.permission && !caller.permissions.has(rule.permission)) throw new ForbiddenError(`This needs the ${rule.permission} permission`);
}

/** The tenant an operation acts in: the caller's own, or another one named by a super admin. */
export function actingTenant(caller: Caller, tenantId: string | null | undefined): string {
  const tenant = requireTenantId(tenantId ?? caller.tenantId);
  assertMayPerform(caller, 'tenant:actIn', { tenantId: tenant });
  return tenant;
}

/**
 * A tenant named by an argument has a tenant id's shape, whoever names it: it names blob prefixes
 * and reaches SQL (a NUL there fails the statement), so anything else is BAD_USER_INPUT first.
 */
export function requireTenantId(tenantId: string, path = '$.tenantId'): string {
  if (!isTenantId(tenantId)) throw new BadUserInputError('Invalid tenant id', [{ path, message: 'is not a tenant id' }]);
  return tenantId;
}

export function isAuthor(caller: Caller, pkg: Pick<PackageSubject, 'authorId' | 'tenantId'>): boolean {
  return pkg.authorId === caller.userId && pkg.tenantId === caller.tenantId;
}

/**
 * Who sees a package, the one statement of the rule: a live package of the caller's tenant with
 * visibility `tenant`, or `groups` sharing one of the caller's groups, or authored by the caller;
 * every live package of a tenant they administer; every live package for a super admin. A package
 * with no installable version (all withdrawn, or only staged) only for its author and admins, and
 * for approvers while it has a staged version to review. As SQL, so lists
 * are filtered by the database, and a row read without it gets its `visible` flag from it.
 */
export function visibleRows(caller: Caller): VisibleRows {
  if (isSuperAdmin(caller)) return { tenant: null, where: (alias = 'p') => sql`${sql.raw(alias)}.deleted_at is null` };
  if (isAdminOf(caller, caller.tenantId)) {
    return { tenant: caller.tenantId, where: (alias = 'p') => sql`${sql.raw(alias)}.deleted_at is null and ${sql.raw(alias)}.tenant_id = ${caller.tenantId}` };
  }
  return {
    tenant: caller.tenantId,
    where: (alias = 'p') => {
      const p = sql.raw(alias);
      // An approver also sees a package whose only news is a staged version (nothing installable yet).
      const listed = caller.permissions.has(PERMISSION_APPROVE)
        ? sql`(${p}.default_version is not null or exists (select 1 from catalog_package_version sv where sv.catalog_package_id = ${p}.id and sv.status = 'staged'))`
        : sql`${p}.default_version is not null`;
      return sql`${p}.deleted_at is null and ${p}.tenant_id = ${caller.tenantId} and (${p}.author_id = ${caller.userId} or ${listed}
      and (${p}.visibility = 'tenant' or (${p}.visibility = 'groups' and ${p}.visibility_group_ids && ${sql.textArray(caller.groups)})))`;
    },
  };
}
