import { defineEntity, p } from '@mikro-orm/core';

/** One row per change (and per install), written in the same transaction as what it records. */
export const CatalogAuditEventSchema = defineEntity({
  name: 'CatalogAuditEvent',
  tableName: 'catalog_audit_event',
  indexes: [
    {
      name: 'catalog_audit_event_package_idx',
      expression: 'create index "catalog_audit_event_package_idx" on "catalog_audit_event" ("catalog_package_id", "occurred_at" desc, "id" desc)',
    },
  ],
  properties: {
    id: p.uuid().primary(),
    tenantId: p.string().length(128),
    catalogPackageId: p.uuid(),
    packageId: p.string().length(64),
    version: p.string().length(64).nullable(),
    actorId: p.string().length(256),
    actorEmail: p.string().length(320).nullable(),
    actorTenantId: p.string().length(128),
    // Text, not an enum: the actions are the code's (audit-event.ts), see AUDIT_CHANGES.
    action: p.text(),
    changes: p.json<Record<string, unknown>>(),
    occurredAt: p.datetime(),
  },
});

class CatalogAuditEvent extends CatalogAuditEventSchema.class {}
CatalogAuditEventSchema.setClass(CatalogAuditEvent);
