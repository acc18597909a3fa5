/** Who is calling, from the verified token's claims (docs/API.md "Rules"). */
export interface Caller {
  tenantId: string;
  userId: string;
  email: string | null;
  groups: readonly string[];
  permissions: ReadonlySet<string>;
  roles: ReadonlySet<string>;
}

export const PERMISSION_VIEW = 'scaicore:view';
export const PERMISSION_MANAGE = 'scaicore:manage';
export const ROLE_TENANT_ADMIN = 'tenant_admin';
export const ROLE_SUPER_ADMIN = 'super_admin';

export function isSuperAdmin(caller: Caller): boolean {
  return caller.roles.has(ROLE_SUPER_ADMIN);
}

/** Admin of the given tenant: a tenant admin of that very tenant, or a super admin. */
export function isAdminOf(caller: Caller, tenantId: string): boolean {
  return isSuperAdmin(caller) || (caller.roles.has(ROLE_TENANT_ADMIN) && caller.tenantId === tenantId);
}
