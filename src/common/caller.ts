/** Who is calling, from the verified token's claims (docs/API.md "Rules"). */
export interface Caller {
  tenantId: string;
  userId: string;
  email: string | null;
  groups: readonly string[];
  permissions: ReadonlySet<string>;
  roles: ReadonlySet<string>;
}

/**
 * What a tenant id may look like (the `tid` claim, a `tenantId` argument): it becomes a blob-name
 * prefix (`catalog/<tid>/…`), so one safe segment of letters, digits and `. _ : @ -`, starting with
 * a letter or digit (never `.` or `..`), at most the column's 128 characters. Entra ids are GUIDs.
 */
export const TENANT_ID_MAX = 128;
const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;

export function isTenantId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= TENANT_ID_MAX && TENANT_ID.test(value);
}

export const PERMISSION_VIEW = 'scaicore:view';
export const PERMISSION_MANAGE = 'scaicore:manage';
/** Approving or rejecting another person's staged version. */
export const PERMISSION_APPROVE = 'scaicore:approve';
export const ROLE_TENANT_ADMIN = 'tenant_admin';
export const ROLE_SUPER_ADMIN = 'super_admin';

export function isSuperAdmin(caller: Caller): boolean {
  return caller.roles.has(ROLE_SUPER_ADMIN);
}

/** Admin of the given tenant: a tenant admin of that very tenant, or a super admin. */
export function isAdminOf(caller: Caller, tenantId: string): boolean {
  return isSuperAdmin(caller) || (caller.roles.has(ROLE_TENANT_ADMIN) && caller.tenantId === tenantId);
}
