import type { Caller } from '../../common/caller';
import type { Database } from '../../infra/db/database';
import { requireTenantId } from '../access/policy';
import { accessFor } from '../access/scope';
import type { QuotaRepository, TenantUsage } from './quota.repository';

export interface CatalogUsage extends TenantUsage {
  limits: { packages: number; bytes: number; versionsPerPackage: number };
}

/** `catalogUsage`: a tenant's counters and limits, for its admins and super admins. */
export async function readUsage(deps: { db: Database; quotas: QuotaRepository }, caller: Caller, tenantId?: string | null): Promise<CatalogUsage> {
  const tenant = requireTenantId(tenantId ?? caller.tenantId);
  accessFor(caller).assert('tenant:readUsage', { tenantId: tenant });
  const usage = await deps.db.read((em) => deps.quotas.usage(em, tenant));
  const { packagesPerTenant, bytesPerTenant, versionsPerPackage } = deps.quotas.limits;
  return { ...usage, limits: { packages: packagesPerTenant, bytes: bytesPerTenant, versionsPerPackage } };
}
