import { isAdminOf, isSuperAdmin, type Caller } from '../../common/caller';
import type { PackageRecord } from './package.model';

/** Field-level rules of CONTRACT §4, in one place for GraphQL and REST. */
export function mayReadGroupIds(caller: Caller, pkg: PackageRecord): boolean {
  return isAuthor(caller, pkg) || isAdminOf(caller, pkg.tenantId);
}

export function mayReadAuthorEmail(caller: Caller, pkg: PackageRecord): boolean {
  return caller.tenantId === pkg.tenantId || isSuperAdmin(caller);
}

export function isAuthor(caller: Caller, pkg: PackageRecord): boolean {
  return pkg.authorId === caller.userId && pkg.tenantId === caller.tenantId;
}
