import { QuotaExceededError } from "../../common/errors";
import type { QuotaLimits } from "../../config";
import type { Em } from "../../infra/db/database";
import { column, rowMapper } from "../../infra/db/sql";

/** A `catalog_tenant_usage` row: the tenant's counters, kept exact by the publish transaction. */
const usageRows = rowMapper(
  { packages: column.integer, versions: column.integer, bytes: column.integer },
  (row) => row,
);

export type TenantUsage = ReturnType<typeof usageRows.parse>;

/** What one publish adds: maybe a package, always one version of `bytes`. */
export interface PublishCost {
  tenantId: string;
  /** The package row's id; null when the publish creates the package (a revived deleted one is not new). */
  packageUuid: string | null;
  /** Archive size of the new version. */
  bytes: number;
}

const NO_USAGE: TenantUsage = { packages: 0, versions: 0, bytes: 0 };

/** The per-tenant counters behind the quotas (docs/API.md, "Quotas"). */
export class QuotaRepository {
  constructor(readonly limits: QuotaLimits) {}

  /**
   * In the publish transaction, after the package row is locked (lock order: package row, then
   * tenant usage row): locks the tenant's counters, throws QUOTA_EXCEEDED when the publish would
   * pass a limit, and adds the publish otherwise. Rolled back with the transaction.
   */
  async reserve(em: Em, cost: PublishCost): Promise<void> {
    await em.execute(
      `insert into catalog_tenant_usage (tenant_id, packages, versions, bytes) values (?, 0, 0, 0) on conflict (tenant_id) do nothing`,
      [cost.tenantId],
    );
    const rows = await em.execute<unknown[]>(
      `select ${usageRows.columns("u")} from catalog_tenant_usage u where u.tenant_id = ? for update`,
      [cost.tenantId],
    );
    // Exact: the package row lock keeps its version count still until the commit.
    this.assertFits(
      usageRows.parse(rows[0]),
      await this.versionsOf(em, cost.packageUuid),
      cost,
    );
    await em.execute(
      `update catalog_tenant_usage set packages = packages + ?, versions = versions + 1, bytes = bytes + ? where tenant_id = ?`,
      [cost.packageUuid === null ? 1 : 0, cost.bytes, cost.tenantId],
    );
  }

  async usage(em: Em, tenantId: string): Promise<TenantUsage> {
    const rows = await em.execute<unknown[]>(
      `select ${usageRows.columns("u")} from catalog_tenant_usage u where u.tenant_id = ?`,
      [tenantId],
    );
    return rows[0] ? usageRows.parse(rows[0]) : NO_USAGE;
  }

  private async versionsOf(
    em: Em,
    packageUuid: string | null,
  ): Promise<number> {
    if (packageUuid === null) return 0;
    const rows = await em.execute<{ count: string | number }[]>(
      `select count(*) as count from catalog_package_version where catalog_package_id = ?`,
      [packageUuid],
    );
    return Number(rows[0]?.count ?? 0);
  }

  private assertFits(
    usage: TenantUsage,
    versionsOfPackage: number,
    cost: PublishCost,
  ): void {
    const { packagesPerTenant, bytesPerTenant, versionsPerPackage } =
      this.limits;
    if (cost.packageUuid === null && usage.packages + 1 > packagesPerTenant) {
      throw new QuotaExceededError({
        name: "packages",
        limit: packagesPerTenant,
        used: usage.packages,
      });
    }
    if (versionsOfPackage + 1 > versionsPerPackage) {
      throw new QuotaExceededError({
        name: "versionsPerPackage",
        limit: versionsPerPackage,
        used: versionsOfPackage,
      });
    }
    if (usage.bytes + cost.bytes > bytesPerTenant) {
      throw new QuotaExceededError({
        name: "bytes",
        limit: bytesPerTenant,
        used: usage.bytes,
      });
    }
  }
}
