import { BadUserInputError, CatalogError } from '../../common/errors';
import type { AuditAction } from '../audit/audit-event';

/**
 * The life of a published version (stored lowercase in `catalog_package_version.status`). A staged
 * version waits for a second person's approval (then active) or rejection (kept, never served).
 */
export const VERSION_STATUSES = ['active', 'deprecated', 'withdrawn', 'staged', 'rejected'] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];

/** The changes of status; each is also the audit action that records it (checked by the compiler). */
export const VERSION_STATUS_ACTIONS = ['deprecate', 'withdraw', 'restore'] as const satisfies readonly AuditAction[];
export type VersionStatusAction = (typeof VERSION_STATUS_ACTIONS)[number];

/**
 * Where each action leads; a missing entry is `ILLEGAL_STATE`. Deprecating a withdrawn version is
 * refused rather than quietly making it installable again: bringing it back is a decision of its
 * own (restore, then deprecate). Restore always goes back to active; the state before a
 * withdrawal is not remembered, so a deprecated-then-withdrawn version is deprecated again by hand.
 */
const NEXT: Record<VersionStatus, Partial<Record<VersionStatusAction, VersionStatus>>> = {
  active: { deprecate: 'deprecated', withdraw: 'withdrawn' },
  deprecated: { withdraw: 'withdrawn', restore: 'active' },
  withdrawn: { restore: 'active' },
  // A staged version is approved or rejected (review.ts), and a rejected one stays rejected.
  staged: {},
  rejected: {},
};

export function transition(current: VersionStatus, action: VersionStatusAction): VersionStatus {
  const next = NEXT[current][action];
  if (next === undefined) {
    throw new CatalogError('ILLEGAL_STATE', illegalTransitionMessage(current, action));
  }
  return next;
}

function illegalTransitionMessage(current: VersionStatus, action: VersionStatusAction): string {
  if (current === 'withdrawn' && action === 'deprecate') return 'The version is withdrawn: restore it first';
  if (current === 'staged') return 'The version is staged: approve or reject it first';
  if (current === 'rejected') return 'The version was rejected and stays so';
  return `The version is already ${current}`;
}

/** Installable: active or deprecated. Withdrawn, staged (not yet approved) and rejected never are. */
export function isInstallable(status: VersionStatus): boolean {
  return status === 'active' || status === 'deprecated';
}

/** Staged and rejected versions are shown to their author, the tenant's admins and approvers only. */
export function isUnderReview(status: VersionStatus): boolean {
  return status === 'staged' || status === 'rejected';
}

export const MAX_STATUS_REASON_LENGTH = 500;

/**
 * The reason of a deprecation or withdrawal, trimmed: 1 to 500 characters (code points, so an
 * emoji counts once). Blank is refused: the reason is what readers and the audit log see.
 */
export function requireStatusReason(reason: string): string {
  const trimmed = reason.trim();
  const length = [...trimmed].length;
  if (length === 0 || length > MAX_STATUS_REASON_LENGTH) {
    throw new BadUserInputError('Invalid reason', [{ path: '$.reason', message: `A reason needs 1 to ${MAX_STATUS_REASON_LENGTH} characters` }]);
  }
  return trimmed;
}

/** A withdrawn version is not served (install, diff): what the caller is told instead. */
export function versionWithdrawnError(packageId: string, version: { version: string; statusReason: string | null }): CatalogError {
  return new CatalogError('VERSION_WITHDRAWN', `Version ${version.version} of ${packageId} was withdrawn: ${version.statusReason ?? 'no reason given'}`);
}
