import { defineEntity, p } from '@mikro-orm/core';

/**
 * A publish between its two short transactions (docs/ARCHITECTURE.md, "The publish sequence"):
 * the version it planned and the quota it holds while its archive uploads. One per package at a
 * time, so publishes of one package stay in a serial order; no reader ever looks at this table.
 * A reservation whose holder stopped renewing it (a crash) is taken over or swept once expired.
 */
export const CatalogPublishReservationSchema = defineEntity({
  name: 'CatalogPublishReservation',
  tableName: 'catalog_publish_reservation',
  indexes: [{ name: 'catalog_publish_reservation_expires_idx', properties: ['expiresAt'] }],
  properties: {
    tenantId: p.string().length(128).primary(),
    packageId: p.string().length(64).primary(),
    /** Which attempt holds it: a publish whose reservation was taken over cannot confirm it. */
    token: p.uuid(),
    version: p.string().length(64),
    /** What the reservation added to the tenant's usage row, given back when it ends unconfirmed. */
    sizeBytes: p.bigint('number'),
    newPackage: p.boolean(),
    expiresAt: p.datetime(),
  },
});

export class CatalogPublishReservation extends CatalogPublishReservationSchema.class {}
CatalogPublishReservationSchema.setClass(CatalogPublishReservation);
