import { defineEntity, p } from '@mikro-orm/core';
import { SEARCH_VECTOR } from './search-vector';

export const VISIBILITIES = ['tenant', 'groups'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

/**
 * One package per tenant and `package_id`. The row survives soft delete (`deletedAt`) so that a
 * later publish of the same id continues its version history instead of reusing versions.
 */
export const CatalogPackageSchema = defineEntity({
  name: 'CatalogPackage',
  tableName: 'catalog_package',
  uniques: [{ name: 'catalog_package_tenant_package_unique', properties: ['tenantId', 'packageId'] }],
  indexes: [
    // Keyset pagination of one tenant's list, newest first, without deleted rows.
    {
      name: 'catalog_package_tenant_list_idx',
      expression: 'create index "catalog_package_tenant_list_idx" on "catalog_package" ("tenant_id", "created_at" desc, "id" desc) where "deleted_at" is null',
    },
    // The super admin's list across tenants.
    {
      name: 'catalog_package_global_list_idx',
      expression: 'create index "catalog_package_global_list_idx" on "catalog_package" ("created_at" desc, "id" desc) where "deleted_at" is null',
    },
    // Flow.catalogPackages: a tenant's live packages published from given flows.
    {
      name: 'catalog_package_source_flow_idx',
      expression: 'create index "catalog_package_source_flow_idx" on "catalog_package" ("tenant_id", "source_flow_id") where "deleted_at" is null',
    },
    // Search: GIN on the vector (across tenants), on the tenant's own words, tags and node types.
    { name: 'catalog_package_search_idx', expression: 'create index "catalog_package_search_idx" on "catalog_package" using gin ("search_vector")' },
    {
      name: 'catalog_package_tenant_search_idx',
      expression: 'create index "catalog_package_tenant_search_idx" on "catalog_package" using gin ("tenant_search_terms")',
    },
    { name: 'catalog_package_tags_idx', expression: 'create index "catalog_package_tags_idx" on "catalog_package" using gin ("tags")' },
    { name: 'catalog_package_node_types_idx', expression: 'create index "catalog_package_node_types_idx" on "catalog_package" using gin ("node_types")' },
    {
      name: 'catalog_package_groups_idx',
      expression: 'create index "catalog_package_groups_idx" on "catalog_package" using gin ("visibility_group_ids")',
    },
  ],
  properties: {
    id: p.uuid().primary(),
    tenantId: p.string().length(128),
    packageId: p.string().length(64),
    name: p.string().length(200),
    description: p.text().nullable(),
    readme: p.text().nullable(),
    latestVersion: p.string().length(64),
    // Set when the latest version was an auto-bump: the version string that was republished.
    // Any request from it up to the latest is a republish too (see planPublishVersion).
    republishBase: p.string().length(64).nullable(),
    // The highest installable release, else prerelease, else null (defaultVersionSql): what
    // `version` shows and a plain install gets; recomputed wherever a version is added or changes state.
    defaultVersion: p.string().length(64).nullable(),
    authorId: p.string().length(256),
    authorEmail: p.string().length(320).nullable(),
    visibility: p.enum(VISIBILITIES).default('tenant'),
    visibilityGroupIds: p.array().default([]),
    sourceFlowId: p.string().length(128).nullable(),
    tags: p.array().default([]),
    nodeTypes: p.array().default([]),
    installCount: p.bigint().defaultRaw('0'),
    // Incremented by every change of the package (publish, metadata, visibility, status, channel,
    // quarantine): what `expectedRevision` and REST's ETag are compared with.
    revision: p.integer().default(1),
    // The highest version a member may know of (not staged, not rejected); null on rows no release
    // with staging has published to, where it is `latestVersion`.
    listedVersion: p.string().length(64).nullable(),
    // The `stable` channel is `defaultVersion`; who moved it last and when (null before channels).
    stableUpdatedAt: p.datetime().nullable(),
    stableUpdatedBy: p.string().length(256).nullable(),
    // The version `stable` was set to by hand (setCatalogChannel): it stays the default while it is
    // installable, until the next publish to `stable` or another set; null when the rule picks.
    stablePin: p.string().length(64).nullable(),
    // When a version still cooling off (the publish policy's coolingOffMinutes) may join `stable`:
    // the sweep promotes packages whose time has come.
    stableReviewAt: p.datetime().nullable(),
    // Set while the package is quarantined: nobody but admins installs, publishes to or edits it.
    quarantineReason: p.text().nullable(),
    quarantinedAt: p.datetime().nullable(),
    quarantinedBy: p.string().length(256).nullable(),
    // Kept up to date by the database (a stored generated column): never written by us.
    searchVector: p.type('tsvector').generated(`(${SEARCH_VECTOR}) stored`).nullable().lazy(),
    // The same words with the tenant in front, for searches in one tenant (migration …170000_tenant_search).
    tenantSearchTerms: p.type('tsvector').generated(`(catalog_tenant_terms(tenant_id, ${SEARCH_VECTOR})) stored`).nullable().lazy(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    deletedAt: p.datetime().nullable(),
  },
});

export class CatalogPackage extends CatalogPackageSchema.class {}
CatalogPackageSchema.setClass(CatalogPackage);
