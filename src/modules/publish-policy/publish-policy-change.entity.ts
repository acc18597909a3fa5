import { defineEntity, p } from '@mikro-orm/core';

/**
 * One change of a tenant's publish policy: who set it, when, and the rules before and after
 * (`from` null for the tenant's first policy). Written in the transaction that sets the policy;
 * read by the tenant's admins (`CatalogPublishPolicy.changes`).
 */
export const CatalogPublishPolicyChangeSchema = defineEntity({
  name: 'CatalogPublishPolicyChange',
  tableName: 'catalog_publish_policy_change',
  indexes: [
    {
      name: 'catalog_publish_policy_change_tenant_idx',
      expression: 'create index "catalog_publish_policy_change_tenant_idx" on "catalog_publish_policy_change" ("tenant_id", "changed_at" desc, "id" desc)',
    },
  ],
  properties: {
    id: p.uuid().primary(),
    tenantId: p.string().length(128),
    actorId: p.string().length(256),
    actorEmail: p.string().length(320).nullable(),
    actorTenantId: p.string().length(128),
    fromRules: p.json<Record<string, unknown>>().nullable(),
    toRules: p.json<Record<string, unknown>>(),
    changedAt: p.datetime(),
  },
});

class CatalogPublishPolicyChange extends CatalogPublishPolicyChangeSchema.class {}
CatalogPublishPolicyChangeSchema.setClass(CatalogPublishPolicyChange);
