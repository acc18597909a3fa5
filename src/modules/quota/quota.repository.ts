import { z } from 'zod';
import { QuotaExceededError } from '../../common/errors';
import type { QuotaLimits } from '../../config';
import type { Em } from '../../infra/db/database';
import { column, execute, rowMapper, sql } from '../../infra/db/sql';

/** A `catalog_tenant_usage` row: the tenant's counters, kept exact by the publish transaction. */
const usageRows = rowMapper({ packages: column.integer, versions: column.integer, bytes: column.integer }, (row) => row);

export type TenantUsage = ReturnType<typeof usageRows.parse>;

/** What one publish adds: maybe a package, always one version of `bytes`. */
export interface PublishCost {
  tenantId: string;
  /** The package row's id; null when the publish creates the package (a revived deleted one is not new). */
  packageUuid: string | null;
  /** Archive size of the new version. */
  bytes: number;
}

/** What `reserve`'s statement answers: the package's versions before this publish, and whether it fits. */
const reservationRows = rowMapper({ package_versions: column.integer, reserved: z.boolean() }, (row) => ({
  packageVersions: row.package_versions,
  reserved: row.reserved,
}));

const NO_USAGE: TenantUsage = { packages: 0, versions: 0, bytes: 0 };

/** The per-tenant counters behind the quotas (docs/API.md, "Quotas"). */
export class QuotaRepository {
  constructor(readonly limits: QuotaLimits) {}

  /**
   * In the publish transaction, after the package row is locked (lock order: package row, then
   * tenant usage row): adds the publish to the tenant's counters when it fits every limit, and
   * throws QUOTA_EXCEEDED otherwise. Rolled back with the transaction.
   *
   * One statement when the publish fits: the usage row is created or updated by an upsert whose
   * conditions are the limits, so the check and the addition happen on the row as locked, and a
   * concurrent publish of the tenant waits for this one's commit (a new tenant's too: it waits on
   * the primary key). The package's version count is exact: the package row lock keeps it still.
   */
  async reserve(em: Em, cost: PublishCost): Promise<void> {
    const { packagesPerTenant, bytesPerTenant, versionsPerPackage } = this.limits;
    // The limits of `assertFits` over a usage row and the proposed addition (`packages` 0 or 1).
    const fits = (used: { packages: string; bytes: string }, proposed: string) =>
      sql`(${sql.raw(proposed)}.packages = 0 or ${sql.raw(used.packages)} + 1 <= ${packagesPerTenant}::bigint)
         and ${sql.raw(used.bytes)} + ${sql.raw(proposed)}.bytes <= ${bytesPerTenant}::bigint`;
    // A tenant's first publish is an insert, refused by its `where` when it alone passes a limit
    // (it then passes it for any usage: counters only grow). Otherwise the conflict's `where`
    // checks the row as locked, and a refused update leaves it locked too.
    const rows = await execute<unknown[]>(
      em,
      sql`with proposed as (
         select ${cost.tenantId}::text as tenant_id, ${cost.packageUuid === null ? 1 : 0}::bigint as packages, ${cost.bytes}::bigint as bytes,
           (select count(*)::int from catalog_package_version where catalog_package_id = ${cost.packageUuid}::uuid) as package_versions
       ), reserved as (
         insert into catalog_tenant_usage as u (tenant_id, packages, versions, bytes)
         select tenant_id, packages, 1, bytes from proposed
         where package_versions + 1 <= ${versionsPerPackage}::bigint and ${fits({ packages: '0', bytes: '0' }, 'proposed')}
         on conflict (tenant_id) do update
           set packages = u.packages + excluded.packages, versions = u.versions + 1, bytes = u.bytes + excluded.bytes
           where ${fits({ packages: 'u.packages', bytes: 'u.bytes' }, 'excluded')}
         returning 1
       )
       select package_versions, exists (select 1 from reserved) as reserved from proposed`,
    );
    const outcome = reservationRows.parse(rows[0]);
    if (outcome.reserved) return;
    // Refused (rare; a second statement): which limit and how much of it is used, read from the
    // usage row under its lock, as it stands for this publish.
    const locked = await execute<unknown[]>(
      em,
      sql`select ${sql.raw(usageRows.columns('u'))} from catalog_tenant_usage u where u.tenant_id = ${cost.tenantId} for update`,
    );
    this.assertFits(locked[0] ? usageRows.parse(locked[0]) : NO_USAGE, outcome.packageVersions, cost);
    throw new Error(`the quota reservation of tenant ${cost.tenantId} was refused, yet its usage fits every limit`);
  }

  /**
   * Gives back what `reserve` added for a publish that ended without its version row (its upload
   * failed, or it was swept after a crash). Called after the reservation row is locked, like
   * `reserve` (lock order: reservation, then the tenant's usage row).
   */
  async release(em: Em, cost: { tenantId: string; newPackage: boolean; bytes: number }): Promise<void> {
    await execute(
      em,
      sql`update catalog_tenant_usage set packages = packages - ${cost.newPackage ? 1 : 0}::bigint, versions = versions - 1, bytes = bytes - ${cost.bytes}::bigint
       where tenant_id = ${cost.tenantId}`,
    );
  }

  async usage(em: Em, tenantId: string): Promise<TenantUsage> {
    const rows = await execute<unknown[]>(em, sql`select ${sql.raw(usageRows.columns('u'))} from catalog_tenant_usage u where u.tenant_id = ${tenantId}`);
    return rows[0] ? usageRows.parse(rows[0]) : NO_USAGE;
  }

  private assertFits(usage: TenantUsage, versionsOfPackage: number, cost: PublishCost): void {
    const { packagesPerTenant, bytesPerTenant, versionsPerPackage } = this.limits;
    if (cost.packageUuid === null && usage.packages + 1 > packagesPerTenant) {
      throw new QuotaExceededError({
        name: 'packages',
        limit: packagesPerTenant,
        used: usage.packages,
      });
    }
    if (versionsOfPackage + 1 > versionsPerPackage) {
      throw new QuotaExceededError({
        name: 'versionsPerPackage',
        limit: versionsPerPackage,
        used: versionsOfPackage,
      });
    }
    if (usage.bytes + cost.bytes > bytesPerTenant) {
      throw new QuotaExceededError({
        name: 'bytes',
        limit: bytesPerTenant,
        used: usage.bytes,
      });
    }
  }
}
