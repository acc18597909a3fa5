import { z } from 'zod';
import type { Requirements } from '../flow/requirements.types';
import type { Provenance } from '../provenance/provenance';
import { column, rowMapper } from '../../infra/db/sql';
import { VISIBILITIES, type Visibility } from './package.entity';
import { VERSION_STATUSES } from './version-status';

/** A `catalog_package` row as use cases see it: a plain, read-only snapshot. */
export const packageRows = rowMapper(
  {
    id: column.text,
    tenant_id: column.text,
    package_id: column.text,
    name: column.text,
    description: column.nullableText,
    readme: column.nullableText,
    latest_version: column.text,
    republish_base: column.nullableText,
    default_version: column.nullableText,
    author_id: column.text,
    author_email: column.nullableText,
    visibility: z.enum(VISIBILITIES),
    visibility_group_ids: column.textArray,
    source_flow_id: column.nullableText,
    tags: column.textArray,
    node_types: column.textArray,
    install_count: column.integer,
    revision: column.integer,
    listed_version: column.nullableText,
    stable_updated_at: column.nullableTimestamp,
    stable_updated_by: column.nullableText,
    stable_pin: column.nullableText,
    quarantine_reason: column.nullableText,
    quarantined_at: column.nullableTimestamp,
    quarantined_by: column.nullableText,
    created_at: column.timestamp,
    updated_at: column.timestamp,
    deleted_at: column.nullableTimestamp,
  },
  (row) => ({
    id: row.id,
    tenantId: row.tenant_id,
    packageId: row.package_id,
    name: row.name,
    description: row.description,
    readme: row.readme,
    latestVersion: row.latest_version,
    republishBase: row.republish_base,
    /** The highest installable release, else prerelease; null when nothing is installable. */
    defaultVersion: row.default_version,
    authorId: row.author_id,
    authorEmail: row.author_email,
    visibility: row.visibility as Visibility,
    visibilityGroupIds: row.visibility_group_ids,
    sourceFlowId: row.source_flow_id,
    tags: row.tags,
    nodeTypes: row.node_types,
    installCount: row.install_count,
    /** Incremented by every change: what `expectedRevision` and REST's ETag compare with. */
    revision: row.revision,
    /** The highest version a member may know of (staged and rejected ones are not). */
    listedVersion: row.listed_version ?? row.latest_version,
    /** The `stable` channel is `defaultVersion`: who moved it last and when (null before channels). */
    stableUpdatedAt: row.stable_updated_at,
    stableUpdatedBy: row.stable_updated_by,
    /** The version `stable` was set to by hand, which stays the default while installable; null when the rule picks. */
    stablePin: row.stable_pin,
    /** Set while quarantined: the reason, when and by whom. */
    quarantine: row.quarantined_at === null ? null : { reason: row.quarantine_reason ?? '', at: row.quarantined_at, by: row.quarantined_by ?? '' },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
  }),
);

export type PackageRecord = ReturnType<typeof packageRows.parse>;

/** A `catalog_package_version` row: one published version, never overwritten. */
export const versionRows = rowMapper(
  {
    id: column.text,
    catalog_package_id: column.text,
    version: column.text,
    sha256: column.text,
    size_bytes: column.integer,
    blob_name: column.text,
    publisher_id: column.text,
    publisher_email: column.nullableText,
    published_at: column.timestamp,
    tags: column.textArray,
    node_types: column.textArray,
    status: z.enum(VERSION_STATUSES),
    status_reason: column.nullableText,
    changelog: column.nullableText,
    version_sort: column.text,
    install_count: column.integer,
    in_stable: column.boolean,
    requirements: column.nullableJson,
    provenance: column.nullableJson,
  },
  (row) => ({
    id: row.id,
    packageUuid: row.catalog_package_id,
    version: row.version,
    sha256: row.sha256,
    sizeBytes: row.size_bytes,
    blobName: row.blob_name,
    publisherId: row.publisher_id,
    publisherEmail: row.publisher_email,
    publishedAt: row.published_at,
    tags: row.tags,
    nodeTypes: row.node_types,
    status: row.status,
    statusReason: row.status_reason,
    changelog: row.changelog,
    versionSort: row.version_sort,
    installCount: row.install_count,
    /** Whether the version joined `stable` (false while it is on another channel only). */
    inStable: row.in_stable,
    /** Derived at publish (written by this code only); null for versions published before requirements existed. */
    requirements: row.requirements as Requirements | null,
    /** Signed at publish; null for versions published before provenance existed. */
    provenance: row.provenance as Provenance | null,
  }),
);

export type VersionRecord = ReturnType<typeof versionRows.parse>;

/** A `catalog_channel` row (a channel other than `stable`), or `stable` as the channel list reads it. */
export const channelRows = rowMapper(
  {
    catalog_package_id: column.text,
    name: column.text,
    version: column.text,
    updated_at: column.timestamp,
    updated_by: column.text,
  },
  (row) => ({
    packageUuid: row.catalog_package_id,
    name: row.name,
    version: row.version,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  }),
);

export type ChannelRecord = ReturnType<typeof channelRows.parse>;
