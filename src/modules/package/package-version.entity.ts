import { defineEntity, p } from '@mikro-orm/core';
import { CatalogPackage } from './package.entity';
import { VERSION_STATUSES } from './version-status';

/** Every published version, kept forever: a version and its blob are never overwritten. */
export const CatalogPackageVersionSchema = defineEntity({
  name: 'CatalogPackageVersion',
  tableName: 'catalog_package_version',
  uniques: [{ name: 'catalog_package_version_unique', properties: ['package', 'version'] }],
  indexes: [
    {
      name: 'catalog_package_version_history_idx',
      expression: 'create index "catalog_package_version_history_idx" on "catalog_package_version" ("catalog_package_id", "published_at" desc, "id" desc)',
    },
  ],
  properties: {
    id: p.uuid().primary(),
    package: () => p.manyToOne(CatalogPackage).fieldName('catalog_package_id').deleteRule('cascade'),
    version: p.string().length(64),
    sha256: p.string().length(64),
    sizeBytes: p.integer(),
    blobName: p.string().length(512),
    publisherId: p.string().length(256),
    publisherEmail: p.string().length(320).nullable(),
    publishedAt: p.datetime(),
    tags: p.array().default([]),
    nodeTypes: p.array().default([]),
    status: p.enum(VERSION_STATUSES).default('active'),
    // Why the version was deprecated or withdrawn (null when active).
    statusReason: p.text().nullable(),
    changelog: p.text().nullable(),
    // versionSortKey(version): byte order is semver precedence, so the "C" collation sorts it.
    versionSort: p.text().collation('C'),
    installCount: p.bigint().defaultRaw('0'),
    // Whether the version joined `stable` (false when it was published to another channel and not
    // promoted since): the default-version rule weighs only versions that did.
    inStable: p.boolean().default(true),
    // What the version needs where it is installed, derived at publish; null for versions published before.
    requirements: p.json<Record<string, unknown>>().nullable(),
    // The signed provenance statement ({ statement, signature, keyId }); null for versions published before.
    provenance: p.json<Record<string, unknown>>().nullable(),
  },
});

export class CatalogPackageVersion extends CatalogPackageVersionSchema.class {}
CatalogPackageVersionSchema.setClass(CatalogPackageVersion);
