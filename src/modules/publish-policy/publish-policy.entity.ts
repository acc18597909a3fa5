import { defineEntity, p } from '@mikro-orm/core';

/**
 * A tenant's publish policy: its rules, each with its mode, as one checked JSON document
 * (policy-rules.ts says its shape). A tenant without a row has no rules.
 */
export const CatalogPublishPolicySchema = defineEntity({
  name: 'CatalogPublishPolicy',
  tableName: 'catalog_publish_policy',
  properties: {
    tenantId: p.string().length(128).primary(),
    rules: p.json<Record<string, unknown>>(),
    updatedAt: p.datetime(),
    updatedBy: p.string().length(256),
  },
});

export class CatalogPublishPolicy extends CatalogPublishPolicySchema.class {}
CatalogPublishPolicySchema.setClass(CatalogPublishPolicy);
