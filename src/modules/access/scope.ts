import type { Caller } from '../../common/caller';
import type { VisibleRows } from '../../infra/db/sql';
import { actingTenant, assertMayAttempt, assertMayPerform, mayPerform, visibleRows, type Action, type CheckedTarget, type Target } from './policy';

/**
 * What one caller may see and do, issued once per use case by the policy. Use cases hand `rows`
 * to the repositories (the visibility rule as SQL), ask `may`/`assert` before they act, and build
 * views with `may` (field redactions). A new kind of caller (a public surface, a service account)
 * is a new way to issue a scope, not a new query.
 */
export interface Scope {
  /** The packages this caller may read, for the repositories' SQL. */
  readonly rows: VisibleRows;
  /** The tenant an operation acts in: the caller's own, or another one named by a super admin (else FORBIDDEN). */
  actingTenant(tenantId: string | null | undefined): string;
  may(action: Action, target?: Target): boolean;
  /** Throws unless the caller may: NOT_FOUND on a package they do not see, FORBIDDEN otherwise. */
  assert(action: Action, target?: CheckedTarget): void;
  /** The permission check alone, before anything is looked up. */
  assertAttempt(action: Action): void;
}

export function accessFor(caller: Caller): Scope {
  return {
    rows: visibleRows(caller),
    actingTenant: (tenantId) => actingTenant(caller, tenantId),
    may: (action, target) => mayPerform(caller, action, target),
    assert: (action, target) => assertMayPerform(caller, action, target),
    assertAttempt: (action) => assertMayAttempt(caller, action),
  };
}
