import { randomUUID } from 'node:crypto';
import type { Cursor, Page } from '../../common/pagination';
import type { Em } from '../../infra/db/database';
import { keysetAfter, toPage, type KeysetOrder } from '../../infra/db/keyset';
import { execute, sql, toDate, type SqlFragment, type VisibleRows } from '../../infra/db/sql';
import { defaultVersionSql } from './default-version';
import type { Visibility } from './package.entity';
import { NO_SEARCH, ORDER_KEYS, tsquerySql, type PackageSearch } from './package-search';
import { channelRows, packageRows, versionRows, type ChannelRecord, type PackageRecord, type VersionRecord } from './package.model';
import type { VersionStatus } from './version-status';

const PACKAGE_COLUMNS = sql.raw(packageRows.columns('p'));
const CHANNEL_COLUMNS = sql.raw(channelRows.columns('c'));
const VERSION_COLUMNS = sql.raw(versionRows.columns('v'));
/** The version columns as `v_<column>`, beside a package's columns in one row. */
const VERSION_VALUES = sql.raw(
  VERSION_COLUMNS.sql
    .split(', ')
    .map((column) => `${column} as v_${column.slice(2)}`)
    .join(', '),
);

/** The columns of `row` whose names start with `prefix`, without it. */
function unprefixed(row: Record<string, unknown>, prefix: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).flatMap(([name, value]) => (name.startsWith(prefix) ? [[name.slice(prefix.length), value]] : [])));
}

/** The version columns but the changelog, which update checks read only when asked (and bounded). */
const VERSION_COLUMNS_BUT_CHANGELOG = sql.raw(
  VERSION_COLUMNS.sql
    .split(', ')
    .filter((column) => column !== 'v.changelog')
    .join(', '),
);

/** What an update check reads of a package beside its versions: what the policy needs, and its quarantine. */
const QUARANTINE_COLUMNS = [
  'tenant_id',
  'package_id',
  'author_id',
  'visibility',
  'visibility_group_ids',
  'default_version',
  'stable_pin',
  'quarantined_at',
  'quarantine_reason',
];
const QUARANTINE_PICKED = sql.raw(QUARANTINE_COLUMNS.map((column) => `picked.q_${column}`).join(', '));
const QUARANTINE_OF_PACKAGE = sql.raw(QUARANTINE_COLUMNS.map((column) => `p.${column} as q_${column}`).join(', '));

/** A package as an update check weighs it: what the policy needs (who may read what), and its quarantine. */
export interface UpdatedPackage {
  tenantId: string;
  packageId: string;
  authorId: string;
  visibility: Visibility;
  visibilityGroupIds: readonly string[];
  deletedAt: null;
  defaultVersion: string | null;
  /** Why it is quarantined; null when it is not. */
  quarantineReason: string | null;
}

function updatedPackageOf(row: Record<string, unknown>): UpdatedPackage {
  const quarantined = row['q_quarantined_at'] !== null && row['q_quarantined_at'] !== undefined;
  return {
    tenantId: String(row['q_tenant_id']),
    packageId: String(row['q_package_id']),
    authorId: String(row['q_author_id']),
    visibility: row['q_visibility'] as Visibility,
    visibilityGroupIds: row['q_visibility_group_ids'] as string[],
    deletedAt: null,
    defaultVersion: (row['q_default_version'] as string | null) ?? null,
    quarantineReason: quarantined ? String(row['q_quarantine_reason'] ?? '') : null,
  };
}

/** What an update check's copy follows: its channel's version (null: `stable`), and `stable`'s pin. */
export interface Followed {
  channelVersion: string | null;
  stablePin: string | null;
}

function textOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** What an update check reads: how many newer versions per copy, and their changelogs or not. */
export interface UpdateRead {
  newer: number;
  changelogs: boolean;
  /** The most changelog bytes one answer may hold. */
  changelogBytes: number;
}

/** The natural key of a package: unique per tenant. */
export interface PackageKey {
  tenantId: string;
  packageId: string;
}

/** What a first publish creates: the fields it sets; the rest start at their column defaults. */
export type NewPackage = Omit<PackageRecord, 'revision' | 'listedVersion' | 'stableUpdatedAt' | 'stableUpdatedBy' | 'stablePin' | 'quarantine'>;

/** A listed package with the key it was sorted by (what its cursor carries). */
export type SortedPackage = PackageRecord & { sortKey: Cursor['key'] };

/**
 * The rows a search reads: visibility first, then each filter (AND). With a query, `s.q` is its
 * tsquery, never a LIKE scan: matched against the generated `search_vector` (GIN index) across
 * tenants, and as `s.tenant_q` against `tenant_search_terms` (GIN index of the tenant's words) in one.
 */
function searchSql(visibleTo: VisibleRows, search: PackageSearch): { from: SqlFragment; where: SqlFragment } {
  const filtered = [visibleTo.where(), ...filterConditions(search)];
  if (search.words === null) return { from: sql`catalog_package p`, where: sql.join(filtered, ' and ') };
  const query = tsquerySql(search.words);
  const tenant = visibleTo.tenant;
  if (tenant === null) {
    return { from: sql`catalog_package p cross join (select ${query} as q) s`, where: sql.join([...filtered, sql`p.search_vector @@ s.q`], ' and ') };
  }
  // In one tenant the match reads that tenant's posting lists only; the rank still uses search_vector.
  return {
    from: sql`catalog_package p cross join (select q, catalog_tenant_query(${tenant}, q) as tenant_q from (select ${query} as q) words) s`,
    where: sql.join([...filtered, sql`p.tenant_search_terms @@ s.tenant_q`], ' and '),
  };
}

/** The search's filters, each a condition on `p`, in a fixed order. */
function filterConditions(search: PackageSearch): SqlFragment[] {
  const conditions: SqlFragment[] = [];
  if (search.tags.length > 0) conditions.push(sql`p.tags @> ${sql.textArray(search.tags)}`);
  if (search.nodeTypes.length > 0) conditions.push(sql`p.node_types @> ${sql.textArray(search.nodeTypes)}`);
  if (search.authorId !== null) conditions.push(sql`p.author_id = ${search.authorId}`);
  return conditions;
}

function jsonOrNull(value: object | null): string | null {
  return value === null ? null : JSON.stringify(value);
}

/** The driver gives timestamps as dates or strings and bigints as strings: back to the cursor's types. */
function sortKeyOf(row: unknown, keyType: KeysetOrder['keyType']): Cursor['key'] {
  const value = (row as { sort_key: unknown }).sort_key;
  if (keyType === 'timestamptz') return toDate(value);
  return keyType === 'text' ? String(value) : Number(value);
}

/**
 * The catalog's queries. Raw SQL through MikroORM's EntityManager (docs/ARCHITECTURE.md says
 * why); every read that serves a caller takes the visibility rule (`VisibleRows`, from the
 * caller's scope) into its SQL, and no method here decides it.
 */
export class PackageRepository {
  /**
   * One page of the packages the caller sees that match the search, in its order. The visibility
   * rule and the filters come first; the order's key is selected as `sort_key` for the cursor.
   */
  async listVisible(em: Em, visibleTo: VisibleRows, limit: number, after: Cursor | null, search: PackageSearch = NO_SEARCH): Promise<Page<SortedPackage>> {
    const { from, where } = searchSql(visibleTo, search);
    const order = ORDER_KEYS[search.orderBy];
    const keyset = keysetAfter(after, 'p.sort_key', 'p.id', order);
    // The inner select is flattened by the planner: the list index still serves NEWEST.
    const direction = sql.raw(order.direction);
    const rows = await execute<unknown[]>(
      em,
      sql`select * from (select ${PACKAGE_COLUMNS}, ${sql.raw(order.column)} as sort_key from ${from} where ${where}) p
       where true ${keyset} order by p.sort_key ${direction}, p.id ${direction} limit ${limit + 1}`,
    );
    return toPage(rows, limit, (row) => ({ ...packageRows.parse(row), sortKey: sortKeyOf(row, order.keyType) }));
  }

  /** How many packages `listVisible` would give over all its pages. */
  async countVisible(em: Em, visibleTo: VisibleRows, search: PackageSearch): Promise<number> {
    const { from, where } = searchSql(visibleTo, search);
    const rows = await execute<{ total: number }[]>(em, sql`select count(*)::int as total from ${from} where ${where}`);
    return Number(rows[0].total);
  }

  /** `forUpdate` locks the row for the rest of the transaction (changes to one package queue up). */
  async findVisible(em: Em, visibleTo: VisibleRows, tenantId: string, packageId: string, forUpdate = false): Promise<PackageRecord | null> {
    const rows = await execute<unknown[]>(
      em,
      sql`select ${PACKAGE_COLUMNS} from catalog_package p where p.tenant_id = ${tenantId} and p.package_id = ${packageId} and ${visibleTo.where()}
       ${forUpdate ? sql`for update` : sql.empty}`,
    );
    return rows[0] ? packageRows.parse(rows[0]) : null;
  }

  /** One query for any number of ids: the federation `_entities` batch. */
  async findVisibleByIds(em: Em, visibleTo: VisibleRows, ids: readonly string[]): Promise<PackageRecord[]> {
    if (ids.length === 0) return [];
    const rows = await execute<unknown[]>(
      em,
      sql`select ${PACKAGE_COLUMNS} from catalog_package p where p.id = any(${sql.uuidArray(ids)}) and ${visibleTo.where()}`,
    );
    return rows.map(packageRows.parse);
  }

  /**
   * One query for any number of (tenant, package id) pairs: the `_entities` batch for the
   * `tenantId packageId` key. The pairs travel as two parallel arrays zipped by `unnest`.
   */
  async findVisibleByKeys(em: Em, visibleTo: VisibleRows, keys: readonly PackageKey[]): Promise<PackageRecord[]> {
    if (keys.length === 0) return [];
    const tenantIds = sql.textArray(keys.map((k) => k.tenantId));
    const packageIds = sql.textArray(keys.map((k) => k.packageId));
    const rows = await execute<unknown[]>(
      em,
      sql`select ${PACKAGE_COLUMNS} from catalog_package p
       where (p.tenant_id, p.package_id) in (select * from unnest(${tenantIds}, ${packageIds})) and ${visibleTo.where()}`,
    );
    return rows.map(packageRows.parse);
  }

  /**
   * The packages last published from any of the given flows, newest first and at most `perFlow`
   * of each: one query for every `Flow` in an `_entities` call (index catalog_package_source_flow_idx).
   */
  async findVisibleBySourceFlowIds(em: Em, visibleTo: VisibleRows, flowIds: readonly string[], perFlow: number): Promise<PackageRecord[]> {
    if (flowIds.length === 0) return [];
    const rows = await execute<unknown[]>(
      em,
      sql`select ${PACKAGE_COLUMNS} from (
         select p.*, row_number() over (partition by p.source_flow_id order by p.created_at desc, p.id desc) as flow_rank
         from catalog_package p where p.source_flow_id = any(${sql.textArray(flowIds)}) and ${visibleTo.where()}
       ) p where p.flow_rank <= ${perFlow} order by p.created_at desc, p.id desc`,
    );
    return rows.map(packageRows.parse);
  }

  /**
   * The row whatever its state (deleted too), not filtered by the visibility rule but flagged by
   * it: `visible` says whether the caller sees it (for publishing, and the audit trail of a
   * deleted package, where the policy then answers NOT_FOUND or FORBIDDEN from that flag).
   */
  async findAny(em: Em, visibleTo: VisibleRows, tenantId: string, packageId: string): Promise<(PackageRecord & { visible: boolean }) | null> {
    const found = await execute<Record<string, unknown>[]>(
      em,
      sql`select ${PACKAGE_COLUMNS}, coalesce(${visibleTo.where()}, false) as visible from catalog_package p where p.tenant_id = ${tenantId} and p.package_id = ${packageId}`,
    );
    return found[0] ? { ...packageRows.parse(found[0]), visible: found[0]['visible'] === true } : null;
  }

  /**
   * Locks the package row for the rest of the transaction, creating it first when it is new.
   * Returns the locked row and whether this call created it.
   */
  async lockOrCreate(em: Em, fresh: NewPackage): Promise<{ row: PackageRecord; created: boolean }> {
    // Inserted at revision 0: the publish that creates it makes it revision 1 (`updateAfterPublish`).
    const inserted = await execute<unknown[]>(
      em,
      sql`insert into catalog_package (id, tenant_id, package_id, name, description, readme, latest_version, republish_base, author_id,
         author_email, visibility, visibility_group_ids, source_flow_id, tags, node_types, created_at, updated_at, deleted_at, revision)
       values (${fresh.id}, ${fresh.tenantId}, ${fresh.packageId}, ${fresh.name}, ${fresh.description}, ${fresh.readme}, ${fresh.latestVersion},
         ${fresh.republishBase}, ${fresh.authorId}, ${fresh.authorEmail}, ${fresh.visibility}, ${sql.textArray(fresh.visibilityGroupIds)},
         ${fresh.sourceFlowId}, ${sql.textArray(fresh.tags)}, ${sql.textArray(fresh.nodeTypes)}, ${fresh.createdAt}, ${fresh.updatedAt}, null, 0)
       on conflict (tenant_id, package_id) do nothing returning id`,
    );
    const rows = await execute<unknown[]>(
      em,
      sql`select ${PACKAGE_COLUMNS} from catalog_package p where p.tenant_id = ${fresh.tenantId} and p.package_id = ${fresh.packageId} for update`,
    );
    return { row: packageRows.parse(rows[0]), created: inserted.length === 1 };
  }

  /** A publish's change of the package: its fields, and the revision up by one. Returns the new revision. */
  async updateAfterPublish(
    em: Em,
    id: string,
    fields: Pick<PackageRecord, 'name' | 'description' | 'readme' | 'latestVersion' | 'republishBase' | 'sourceFlowId' | 'tags' | 'nodeTypes' | 'updatedAt'>,
  ): Promise<number> {
    const rows = await execute<{ revision: number }[]>(
      em,
      sql`update catalog_package set name = ${fields.name}, description = ${fields.description}, readme = ${fields.readme},
         latest_version = ${fields.latestVersion}, republish_base = ${fields.republishBase}, source_flow_id = ${fields.sourceFlowId},
         tags = ${sql.textArray(fields.tags)}, node_types = ${sql.textArray(fields.nodeTypes)}, updated_at = ${fields.updatedAt}, deleted_at = null,
         revision = revision + 1
       where id = ${id} returning revision`,
    );
    return Number(rows[0]?.revision);
  }

  /** The metadata fields an edit sets (`undefined` ones stay); the revision moves in the edit's transaction. */
  async updateMetadata(em: Em, id: string, fields: Partial<Pick<PackageRecord, 'name' | 'description' | 'readme' | 'tags'>>): Promise<void> {
    const sets = [
      ...(fields.name !== undefined ? [sql`name = ${fields.name}`] : []),
      ...(fields.description !== undefined ? [sql`description = ${fields.description}`] : []),
      ...(fields.readme !== undefined ? [sql`readme = ${fields.readme}`] : []),
      ...(fields.tags !== undefined ? [sql`tags = ${sql.textArray(fields.tags)}`] : []),
    ];
    if (sets.length === 0) return;
    await execute(em, sql`update catalog_package set ${sql.join(sets, ', ')} where id = ${id}`);
  }

  async updateVisibility(em: Em, id: string, visibility: Visibility, groupIds: readonly string[], at: Date): Promise<void> {
    await execute(
      em,
      sql`update catalog_package set visibility = ${visibility}, visibility_group_ids = ${sql.textArray(groupIds)}, updated_at = ${at} where id = ${id}`,
    );
  }

  /**
   * One install of one version, as data-modifying CTEs (`with` omitted) for the statement that
   * records it (`AuditRepository.record`): the version's count, the package's and the audit row
   * move together in one statement, which is atomic without a transaction around it.
   */
  installCountsSql(id: string, versionId: string): SqlFragment {
    return sql`counted_version as (update catalog_package_version set install_count = install_count + 1 where id = ${versionId}),
       counted_package as (update catalog_package set install_count = install_count + 1 where id = ${id})`;
  }

  /**
   * Recomputes the package's default version (the `stable` channel) from its version rows and its
   * pin (`defaultVersionSql`); run in every transaction that adds a version or changes a status,
   * under the package row lock. When it moves, `stable_updated_at/_by` record who moved it.
   */
  async refreshDefaultVersion(em: Em, id: string, moved?: { by: string; at: Date }): Promise<string | null> {
    const rule = sql.raw(defaultVersionSql('p.id', 'dv', 'p.stable_pin'));
    const stamp = moved
      ? sql`, stable_updated_at = case when p.default_version is distinct from ${rule} then ${moved.at}::timestamptz else p.stable_updated_at end,
         stable_updated_by = case when p.default_version is distinct from ${rule} then ${moved.by}::text else p.stable_updated_by end`
      : sql.empty;
    const rows = await execute<{ default_version: string | null }[]>(
      em,
      sql`update catalog_package p set default_version = ${rule}${stamp} where p.id = ${id} returning p.default_version`,
    );
    return rows[0]?.default_version ?? null;
  }

  /**
   * Points `stable` at a version by hand: it joins `stable` and becomes the pin (null clears the
   * pin, as a publish to `stable` does). The caller refreshes the default version after.
   */
  async setStablePin(em: Em, id: string, pin: { versionId: string; version: string } | null): Promise<void> {
    if (pin !== null) await execute(em, sql`update catalog_package_version set in_stable = true where id = ${pin.versionId}`);
    await execute(em, sql`update catalog_package set stable_pin = ${pin?.version ?? null} where id = ${id}`);
  }

  /** A version approved onto another channel than `stable`: it does not join `stable` (never the default until promoted). */
  async leaveStable(em: Em, versionId: string): Promise<void> {
    await execute(em, sql`update catalog_package_version set in_stable = false where id = ${versionId}`);
  }

  /** Records who moved `stable` and when (a set by hand, even to the version it already was at). */
  async stampStable(em: Em, id: string, moved: { by: string; at: Date }): Promise<void> {
    await execute(em, sql`update catalog_package set stable_updated_at = ${moved.at}, stable_updated_by = ${moved.by} where id = ${id}`);
  }

  /** A channel other than `stable` of a package, or null. */
  async findChannel(em: Em, packageUuid: string, name: string): Promise<ChannelRecord | null> {
    const rows = await execute<unknown[]>(
      em,
      sql`select ${CHANNEL_COLUMNS} from catalog_channel c where c.catalog_package_id = ${packageUuid} and c.name = ${name}`,
    );
    return rows[0] ? channelRows.parse(rows[0]) : null;
  }

  /** Creates the channel or moves it (one statement, under the package row lock). */
  async upsertChannel(em: Em, packageUuid: string, channel: { name: string; version: string; by: string; at: Date }): Promise<void> {
    await execute(
      em,
      sql`insert into catalog_channel (id, catalog_package_id, name, version, updated_at, updated_by)
       values (${randomUUID()}, ${packageUuid}, ${channel.name}, ${channel.version}, ${channel.at}, ${channel.by})
       on conflict (catalog_package_id, name) do update set version = excluded.version, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
    );
  }

  async deleteChannel(em: Em, packageUuid: string, name: string): Promise<void> {
    await execute(em, sql`delete from catalog_channel where catalog_package_id = ${packageUuid} and name = ${name}`);
  }

  /** Removes every channel (but `stable`) pointing at the version; returns their names, sorted. */
  async deleteChannelsAt(em: Em, packageUuid: string, version: string): Promise<string[]> {
    const rows = await execute<{ name: string }[]>(
      em,
      sql`delete from catalog_channel where catalog_package_id = ${packageUuid} and version = ${version} returning name`,
    );
    return rows.map((row) => String(row.name)).sort();
  }

  /**
   * Every channel of each package, `stable` first (the default version; who moved it last, or
   * before channels the default version's publisher and publish time), then the others by name:
   * one query for a page of packages (the channels DataLoader). Packages with nothing installable
   * have no `stable`.
   */
  async listChannelsOfPackages(em: Em, packageUuids: readonly string[]): Promise<Map<string, ChannelRecord[]>> {
    const channels = new Map<string, ChannelRecord[]>(packageUuids.map((id) => [id, []]));
    if (packageUuids.length === 0) return channels;
    const ids = sql.uuidArray(packageUuids);
    const rows = await execute<unknown[]>(
      em,
      sql`select * from (
         select p.id as catalog_package_id, 'stable' as name, p.default_version as version,
           coalesce(p.stable_updated_at, v.published_at) as updated_at, coalesce(p.stable_updated_by, v.publisher_id) as updated_by, 0 as rank
         from catalog_package p join catalog_package_version v on v.catalog_package_id = p.id and v.version = p.default_version
         where p.id = any(${ids})
         union all
         select c.catalog_package_id, c.name, c.version, c.updated_at, c.updated_by, 1 as rank from catalog_channel c where c.catalog_package_id = any(${ids})
       ) c order by c.catalog_package_id, c.rank, c.name collate "C"`,
    );
    for (const channel of rows.map(channelRows.parse)) channels.get(channel.packageUuid)?.push(channel);
    return channels;
  }

  async updateVersionStatus(em: Em, versionId: string, status: VersionStatus, reason: string | null): Promise<void> {
    await execute(em, sql`update catalog_package_version set status = ${status}, status_reason = ${reason} where id = ${versionId}`);
  }

  /**
   * One change of the package (any: publish, metadata, visibility, status, channel, quarantine):
   * its revision goes up by one and `updated_at` moves. Run under the package row lock, in the
   * change's transaction; returns the new revision.
   */
  async bumpRevision(em: Em, id: string, at: Date): Promise<number> {
    const rows = await execute<{ revision: number }[]>(
      em,
      sql`update catalog_package set revision = revision + 1, updated_at = ${at} where id = ${id} returning revision`,
    );
    return Number(rows[0]?.revision);
  }

  /** Puts the package in quarantine (with why, who and when) or, with null, takes it out. */
  async setQuarantine(em: Em, id: string, quarantine: { reason: string; by: string; at: Date } | null): Promise<void> {
    await execute(
      em,
      sql`update catalog_package set quarantine_reason = ${quarantine?.reason ?? null}, quarantined_by = ${quarantine?.by ?? null},
         quarantined_at = ${quarantine?.at ?? null} where id = ${id}`,
    );
  }

  async markDeleted(em: Em, id: string, at: Date): Promise<void> {
    await execute(em, sql`update catalog_package set deleted_at = ${at}, updated_at = ${at} where id = ${id}`);
  }

  /** A new version row, never installed: active, or staged for review; `inStable` false when published to another channel. */
  async insertVersion(
    em: Em,
    version: Omit<VersionRecord, 'status' | 'statusReason' | 'installCount' | 'inStable'> & { status: 'active' | 'staged'; inStable?: boolean },
  ): Promise<void> {
    await execute(
      em,
      sql`insert into catalog_package_version (id, catalog_package_id, version, sha256, size_bytes, blob_name,
         publisher_id, publisher_email, published_at, tags, node_types, changelog, version_sort, requirements, provenance, status, in_stable)
       values (${version.id}, ${version.packageUuid}, ${version.version}, ${version.sha256}, ${version.sizeBytes}, ${version.blobName},
         ${version.publisherId}, ${version.publisherEmail}, ${version.publishedAt}, ${sql.textArray(version.tags)}, ${sql.textArray(version.nodeTypes)},
         ${version.changelog}, ${version.versionSort}, ${jsonOrNull(version.requirements)}::jsonb, ${jsonOrNull(version.provenance)}::jsonb, ${version.status}, ${version.inStable ?? true})`,
    );
  }

  /**
   * A staged publish's change of the package: its highest version (version planning counts staged
   * ones) and nothing a member reads (a deleted package is revived, so its reviewers find it); the
   * revision up by one. Returns the new revision.
   */
  async updateAfterStagedPublish(em: Em, id: string, fields: Pick<PackageRecord, 'latestVersion' | 'republishBase' | 'updatedAt'>): Promise<number> {
    const rows = await execute<{ revision: number }[]>(
      em,
      sql`update catalog_package set latest_version = ${fields.latestVersion}, republish_base = ${fields.republishBase}, updated_at = ${fields.updatedAt},
         deleted_at = null, revision = revision + 1 where id = ${id} returning revision`,
    );
    return Number(rows[0]?.revision);
  }

  /**
   * Recomputes the highest version a member may know of (staged and rejected ones are not), under
   * the package row lock after any publish or review. Stored only while it differs from
   * `latest_version` (null otherwise), so a package without unreleased versions reads as before.
   */
  async refreshListedVersion(em: Em, id: string): Promise<void> {
    await execute(
      em,
      sql`update catalog_package p set listed_version = nullif((select v.version from catalog_package_version v
         where v.catalog_package_id = p.id and v.status not in ('staged', 'rejected') order by v.version_sort collate "C" desc limit 1), p.latest_version)
       where p.id = ${id}`,
    );
  }

  /** After an approval: the package shows what the approved version was published with. */
  async updateAfterApproval(em: Em, id: string, fields: Pick<PackageRecord, 'name' | 'description' | 'readme' | 'tags' | 'nodeTypes'>): Promise<void> {
    await execute(
      em,
      sql`update catalog_package set name = ${fields.name}, description = ${fields.description}, readme = ${fields.readme},
         tags = ${sql.textArray(fields.tags)}, node_types = ${sql.textArray(fields.nodeTypes)} where id = ${id}`,
    );
  }

  /**
   * For each installed copy, in input order and in ONE statement whatever their number: the
   * versions of its package the caller sees that `shapeUpdate` needs, and no more: the installed
   * one, the default one, its channel's, the highest installable one in its reach and the
   * `read.newer` highest versions offered above the installed one (at least one, so
   * `updateAvailable` holds), or null when the package is unknown or invisible; and what it
   * follows (`follows`: its channel's version, `stable`'s pin). `channel` of an input is the
   * channel it follows (null: `stable`). `sortKey` is `versionSortKey(version)` of each input,
   * `copies` how many identical inputs it stands for (the changelog budget counts each); a key
   * ending in `~` is a release (a copy at a release is offered releases only).
   * Changelogs are read only when `read.changelogs`, and then only when all of them together
   * stay within `read.changelogBytes` (measured in the database from their stored lengths, before
   * any is read): `changelogBytes` is that total, so the caller can refuse a bigger answer.
   */
  async findVersionsForUpdates(
    em: Em,
    visibleTo: VisibleRows,
    installed: readonly { tenantId: string; packageId: string; version: string; sortKey: string; copies: number; channel: string | null }[],
    read: UpdateRead,
  ): Promise<{ versions: (VersionRecord[] | null)[]; packages: (UpdatedPackage | null)[]; follows: (Followed | null)[]; changelogBytes: number }> {
    if (installed.length === 0) return { versions: [], packages: [], follows: [], changelogBytes: 0 };
    // What a copy may be offered (`inReach`): a copy that follows a channel (`ch`), the versions up
    // to that channel's; any other, the versions that joined `stable`, up to its pin when pinned
    // (`b.sort`: the sort key of that bound). A channel at a prerelease makes its copies follow prereleases.
    const inReach = sql`(ch.version is not null or w.in_stable) and (b.sort is null or w.version_sort collate "C" <= b.sort collate "C")`;
    const offeredAbove = sql`w.status in ('active', 'deprecated') and w.version_sort collate "C" > c.sort_key collate "C" and ${inReach}
      and (right(c.sort_key, 1) <> '~' or right(w.version_sort, 1) = '~' or (ch.version is not null and right(b.sort, 1) <> '~'))`;
    const changelog = read.changelogs
      ? sql`case when (select bytes from budget) <= ${read.changelogBytes} then v.changelog end as changelog`
      : sql`null::text as changelog`;
    const changelogBytes = read.changelogs ? sql`(select bytes from budget)` : sql`0`;
    const copies = sql.join(
      [
        sql.textArray(installed.map((copy) => copy.tenantId)),
        sql.textArray(installed.map((copy) => copy.packageId)),
        sql.textArray(installed.map((copy) => copy.version)),
        sql.textArray(installed.map((copy) => copy.sortKey)),
        sql.intArray(installed.map((copy) => copy.copies)),
        // No channel (or `stable`): the empty string, never a channel name.
        sql.textArray(installed.map((copy) => copy.channel ?? '')),
      ],
      ', ',
    );
    const rows = await execute<Record<string, unknown>[]>(
      em,
      sql`with copy as (
         select * from unnest(${copies}) with ordinality as i(tenant_id, package_id, version, sort_key, copies, channel, ord)
       ), picked as (
         select c.ord, c.copies, p.id as package_uuid, ch.version as channel_version, w.id as version_id, ${QUARANTINE_OF_PACKAGE}
         from copy c
         left join catalog_package p on p.tenant_id = c.tenant_id and p.package_id = c.package_id and ${visibleTo.where()}
         left join catalog_channel ch on ch.catalog_package_id = p.id and ch.name = c.channel
         left join lateral (
           select t.version_sort as sort from catalog_package_version t
           where t.catalog_package_id = p.id and t.version = coalesce(ch.version, case when p.stable_pin = p.default_version then p.stable_pin end)
         ) b on true
         left join lateral (
           (select w.id from catalog_package_version w where w.catalog_package_id = p.id
             and (w.version = c.version or w.version = p.default_version or w.version = ch.version))
           union
           (select w.id from catalog_package_version w where w.catalog_package_id = p.id and w.status in ('active', 'deprecated') and ${inReach}
             order by w.version_sort collate "C" desc limit 1)
           union
           (select w.id from catalog_package_version w where w.catalog_package_id = p.id and ${offeredAbove}
             order by w.version_sort collate "C" desc limit ${Math.max(read.newer, 1)})
         ) w on true
       ), budget as (
         select coalesce(sum(octet_length(x.changelog)::bigint * picked.copies), 0)::bigint as bytes from picked join catalog_package_version x on x.id = picked.version_id
       )
       select picked.ord, picked.package_uuid, picked.channel_version, ${changelogBytes} as changelog_bytes, ${QUARANTINE_PICKED}, ${VERSION_COLUMNS_BUT_CHANGELOG}, ${changelog}
       from picked left join catalog_package_version v on v.id = picked.version_id
       order by picked.ord`,
    );
    const versions: (VersionRecord[] | null)[] = installed.map(() => null);
    const packages: (UpdatedPackage | null)[] = installed.map(() => null);
    const follows: (Followed | null)[] = installed.map(() => null);
    for (const row of rows) {
      if (row['package_uuid'] === null) continue;
      const index = Number(row['ord']) - 1;
      const found = (versions[index] ??= []);
      packages[index] ??= updatedPackageOf(row);
      follows[index] ??= { channelVersion: textOrNull(row['channel_version']), stablePin: textOrNull(row['q_stable_pin']) };
      if (row['id'] !== null) found.push(versionRows.parse(row));
    }
    return { versions, packages, follows, changelogBytes: Number(rows[0]?.['changelog_bytes'] ?? 0) };
  }

  /**
   * The package the caller sees and, in the same statement, every version a pre-flight check may
   * weigh: the installable ones and `wanted` (whatever its status, so that the check can say it is
   * withdrawn). Null when the package is unknown or invisible.
   */
  async findForInstallCheck(
    em: Em,
    visibleTo: VisibleRows,
    key: PackageKey,
    wanted: string | null,
    channel: string | null = null,
  ): Promise<{ pkg: PackageRecord; versions: VersionRecord[]; channelVersion: string | null } | null> {
    // The named channel's version (a channel points at installable versions only, so it is among them).
    const rows = await execute<Record<string, unknown>[]>(
      em,
      sql`select ${PACKAGE_COLUMNS}, ${VERSION_VALUES}, ch.version as channel_version from catalog_package p
       left join catalog_channel ch on ch.catalog_package_id = p.id and ch.name = ${channel}
       left join catalog_package_version v on v.catalog_package_id = p.id and (v.status in ('active', 'deprecated') or v.version = ${wanted})
       where p.tenant_id = ${key.tenantId} and p.package_id = ${key.packageId} and ${visibleTo.where()}
       order by v.version_sort collate "C" desc`,
    );
    if (rows.length === 0) return null;
    const versions = rows.filter((row) => row['v_id'] !== null).map((row) => versionRows.parse(unprefixed(row, 'v_')));
    const channelVersion = rows[0]['channel_version'];
    return { pkg: packageRows.parse(rows[0]), versions, channelVersion: typeof channelVersion === 'string' ? channelVersion : null };
  }

  /**
   * For each copy to upgrade, in input order and in ONE statement: the package the caller sees,
   * the version the copy came from and the target (`to`, or the package's default version when
   * it is null), or null when the package is unknown or invisible.
   */
  async findVersionsForUpgrades(
    em: Em,
    visibleTo: VisibleRows,
    copies: readonly (PackageKey & { from: string; to: string | null })[],
  ): Promise<({ pkg: PackageRecord; versions: VersionRecord[] } | null)[]> {
    if (copies.length === 0) return [];
    const columns = sql.join(
      [
        sql.textArray(copies.map((copy) => copy.tenantId)),
        sql.textArray(copies.map((copy) => copy.packageId)),
        sql.textArray(copies.map((copy) => copy.from)),
        // No target: the empty string, never a version, stands for "the default version".
        sql.textArray(copies.map((copy) => copy.to ?? '')),
      ],
      ', ',
    );
    const rows = await execute<Record<string, unknown>[]>(
      em,
      sql`with copy as (select * from unnest(${columns}) with ordinality as i(tenant_id, package_id, from_version, to_version, ord))
       select c.ord, p.id as p_found, ${PACKAGE_COLUMNS}, ${VERSION_VALUES}
       from copy c
       left join catalog_package p on p.tenant_id = c.tenant_id and p.package_id = c.package_id and ${visibleTo.where()}
       left join catalog_package_version v on v.catalog_package_id = p.id
         and v.version in (c.from_version, coalesce(nullif(c.to_version, ''), p.default_version))
       order by c.ord`,
    );
    const found: ({ pkg: PackageRecord; versions: VersionRecord[] } | null)[] = copies.map(() => null);
    for (const row of rows) {
      if (row['p_found'] === null) continue;
      const entry = (found[Number(row['ord']) - 1] ??= { pkg: packageRows.parse(row), versions: [] });
      if (row['v_id'] !== null) entry.versions.push(versionRows.parse(unprefixed(row, 'v_')));
    }
    return found;
  }

  async findVersion(em: Em, packageUuid: string, version: string): Promise<VersionRecord | null> {
    const rows = await execute<unknown[]>(
      em,
      sql`select ${VERSION_COLUMNS} from catalog_package_version v where v.catalog_package_id = ${packageUuid} and v.version = ${version}`,
    );
    return rows[0] ? versionRows.parse(rows[0]) : null;
  }

  /** `unreleased`: whether staged and rejected versions are listed (for the package's author and reviewers). */
  async listVersions(em: Em, packageUuid: string, limit: number, after: Cursor | null, unreleased: boolean): Promise<Page<VersionRecord>> {
    const keyset = keysetAfter(after, 'v.published_at', 'v.id');
    const released = unreleased ? sql.empty : sql`and v.status not in ('staged', 'rejected')`;
    const rows = await execute<unknown[]>(
      em,
      sql`select ${VERSION_COLUMNS} from catalog_package_version v where v.catalog_package_id = ${packageUuid} ${released} ${keyset}
       order by v.published_at desc, v.id desc limit ${limit + 1}`,
    );
    return toPage(rows, limit, versionRows.parse);
  }

  /**
   * The first page (`limit` rows, newest first) of versions of each package, in one query: what a
   * list of packages each asking for `versions(first:)` needs (the versions DataLoader).
   */
  async listFirstVersionPages(
    em: Em,
    packageUuids: readonly string[],
    limit: number,
    /** The packages whose staged and rejected versions are listed too (the caller is their author or a reviewer). */
    unreleasedOf: ReadonlySet<string>,
  ): Promise<Map<string, Page<VersionRecord>>> {
    const pages = new Map<string, Page<VersionRecord>>(packageUuids.map((id) => [id, { items: [], hasNextPage: false }]));
    if (packageUuids.length === 0) return pages;
    const rows = await execute<unknown[]>(
      em,
      sql`select ${VERSION_COLUMNS} from (
         select *, row_number() over (partition by catalog_package_id order by published_at desc, id desc) as position
         from catalog_package_version where catalog_package_id = any(${sql.uuidArray(packageUuids)})
           and (status not in ('staged', 'rejected') or catalog_package_id = any(${sql.uuidArray([...unreleasedOf])}))
       ) v where v.position <= ${limit + 1} order by v.published_at desc, v.id desc`,
    );
    for (const version of rows.map(versionRows.parse)) {
      const page = pages.get(version.packageUuid)!;
      if (page.items.length < limit) page.items.push(version);
      else page.hasNextPage = true;
    }
    return pages;
  }
}
