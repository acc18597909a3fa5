import { defineEntity, p } from '@mikro-orm/core';

/**
 * What one tenant has published, kept in step with the package and version rows by the publish
 * transaction, so that quotas are exact under concurrent publishes (the row is their lock).
 */
export const CatalogTenantUsageSchema = defineEntity({
  name: 'CatalogTenantUsage',
  tableName: 'catalog_tenant_usage',
  properties: {
    tenantId: p.string().length(128).primary(),
    /** Package rows, deleted ones included (a publish revives them under the same id). */
    packages: p.bigint('number'),
    versions: p.bigint('number'),
    /** Archive bytes of every version; deleted packages keep theirs (blobs are never deleted). */
    bytes: p.bigint('number'),
  },
});

export class CatalogTenantUsage extends CatalogTenantUsageSchema.class {}
CatalogTenantUsageSchema.setClass(CatalogTenantUsage);
