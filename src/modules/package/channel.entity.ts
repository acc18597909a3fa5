import { defineEntity, p } from '@mikro-orm/core';
import { CatalogPackage } from './package.entity';

/**
 * A named pointer at one version of a package, other than `stable` (which is the package's
 * `defaultVersion`, so that every release reading that column keeps agreeing with it). Moved by
 * `setCatalogChannel` and approvals, never at a withdrawn, staged or rejected version.
 */
export const CatalogChannelSchema = defineEntity({
  name: 'CatalogChannel',
  tableName: 'catalog_channel',
  uniques: [{ name: 'catalog_channel_package_name_unique', properties: ['package', 'name'] }],
  properties: {
    id: p.uuid().primary(),
    package: () => p.manyToOne(CatalogPackage).fieldName('catalog_package_id').deleteRule('cascade'),
    name: p.string().length(64),
    version: p.string().length(64),
    updatedAt: p.datetime(),
    updatedBy: p.string().length(256),
  },
});

export class CatalogChannel extends CatalogChannelSchema.class {}
CatalogChannelSchema.setClass(CatalogChannel);
