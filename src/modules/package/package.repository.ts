import { isSuperAdmin, type Caller } from '../../common/caller';
import type { Em } from '../../infra/db/database';
import { toDate, toPgTextArray } from '../../infra/db/sql';
import type { Visibility } from './package.entity';
import type { Page, PackageRecord, VersionRecord } from './package.model';

const PACKAGE_COLUMNS = `p.id, p.tenant_id, p.package_id, p.name, p.description, p.readme, p.latest_version, p.republish_base,
  p.author_id, p.author_email, p.visibility, p.visibility_group_ids, p.source_flow_id,
  p.created_at, p.updated_at, p.deleted_at`;

const VERSION_COLUMNS = `v.id, v.catalog_package_id, v.version, v.sha256, v.size_bytes, v.blob_name,
  v.publisher_id, v.publisher_email, v.published_at`;

type Row = Record<string, unknown>;

/** The natural key of a package: unique per tenant. */
export interface PackageKey {
  tenantId: string;
  packageId: string;
}

export interface KeysetCursor {
  createdAt: Date;
  id: string;
}

/**
 * The visibility rule of CONTRACT §3 as SQL, so that lists are filtered by the database (and its
 * indexes), never in memory. Super admins see every tenant; everyone else sees their own tenant's
 * `tenant` packages, `groups` packages of a group they are in, and what they authored.
 */
export function visibleTo(caller: Caller, alias = 'p'): { sql: string; params: unknown[] } {
  if (isSuperAdmin(caller)) return { sql: `${alias}.deleted_at is null`, params: [] };
  return {
    sql: `${alias}.deleted_at is null and ${alias}.tenant_id = ? and (${alias}.visibility = 'tenant'
      or ${alias}.author_id = ? or (${alias}.visibility = 'groups' and ${alias}.visibility_group_ids && ?::text[]))`,
    params: [caller.tenantId, caller.userId, toPgTextArray(caller.groups)],
  };
}

export class PackageRepository {
  async listVisible(em: Em, caller: Caller, limit: number, after: KeysetCursor | null): Promise<Page<PackageRecord>> {
    const visible = visibleTo(caller);
    const keyset = after ? 'and (p.created_at, p.id) < (?::timestamptz, ?::uuid)' : '';
    const rows = await em.execute<Row[]>(
      `select ${PACKAGE_COLUMNS} from catalog_package p where ${visible.sql} ${keyset}
       order by p.created_at desc, p.id desc limit ?`,
      [...visible.params, ...(after ? [after.createdAt.toISOString(), after.id] : []), limit + 1],
    );
    return { items: rows.slice(0, limit).map(toPackage), hasNextPage: rows.length > limit };
  }

  /** `forUpdate` locks the row for the rest of the transaction (changes to one package queue up). */
  async findVisible(em: Em, caller: Caller, tenantId: string, packageId: string, forUpdate = false): Promise<PackageRecord | null> {
    const visible = visibleTo(caller);
    const rows = await em.execute<Row[]>(
      `select ${PACKAGE_COLUMNS} from catalog_package p where p.tenant_id = ? and p.package_id = ? and ${visible.sql}
       ${forUpdate ? 'for update' : ''}`,
      [tenantId, packageId, ...visible.params],
    );
    return rows[0] ? toPackage(rows[0]) : null;
  }

  /** One query for any number of ids: the federation `_entities` batch. */
  async findVisibleByIds(em: Em, caller: Caller, ids: readonly string[]): Promise<PackageRecord[]> {
    if (ids.length === 0) return [];
    const visible = visibleTo(caller);
    const rows = await em.execute<Row[]>(
      `select ${PACKAGE_COLUMNS} from catalog_package p where p.id = any(?::uuid[]) and ${visible.sql}`,
      [toPgTextArray(ids), ...visible.params],
    );
    return rows.map(toPackage);
  }

  /**
   * One query for any number of (tenant, package id) pairs: the `_entities` batch for the
   * `tenantId packageId` key. The pairs travel as two parallel arrays zipped by `unnest`.
   */
  async findVisibleByKeys(em: Em, caller: Caller, keys: readonly PackageKey[]): Promise<PackageRecord[]> {
    if (keys.length === 0) return [];
    const visible = visibleTo(caller);
    const rows = await em.execute<Row[]>(
      `select ${PACKAGE_COLUMNS} from catalog_package p
       where (p.tenant_id, p.package_id) in (select * from unnest(?::text[], ?::text[])) and ${visible.sql}`,
      [toPgTextArray(keys.map((k) => k.tenantId)), toPgTextArray(keys.map((k) => k.packageId)), ...visible.params],
    );
    return rows.map(toPackage);
  }

  /**
   * The packages last published from any of the given flows, newest first and at most `perFlow`
   * of each: one query for every `Flow` in an `_entities` call (index catalog_package_source_flow_idx).
   */
  async findVisibleBySourceFlowIds(em: Em, caller: Caller, flowIds: readonly string[], perFlow: number): Promise<PackageRecord[]> {
    if (flowIds.length === 0) return [];
    const visible = visibleTo(caller);
    const rows = await em.execute<Row[]>(
      `select ${PACKAGE_COLUMNS} from (
         select p.*, row_number() over (partition by p.source_flow_id order by p.created_at desc, p.id desc) as flow_rank
         from catalog_package p where p.source_flow_id = any(?::text[]) and ${visible.sql}
       ) p where p.flow_rank <= ? order by p.created_at desc, p.id desc`,
      [toPgTextArray(flowIds), ...visible.params, perFlow],
    );
    return rows.map(toPackage);
  }

  /** A live (not deleted) package, locked for the rest of the transaction; no visibility rule: for admins. */
  async findLive(em: Em, tenantId: string, packageId: string): Promise<PackageRecord | null> {
    const rows = await em.execute<Row[]>(
      `select ${PACKAGE_COLUMNS} from catalog_package p where p.tenant_id = ? and p.package_id = ? and p.deleted_at is null for update`,
      [tenantId, packageId],
    );
    return rows[0] ? toPackage(rows[0]) : null;
  }

  /** The row whatever its state (deleted too), without any visibility rule: for publishing. */
  async findAny(em: Em, tenantId: string, packageId: string): Promise<PackageRecord | null> {
    const rows = await em.execute<Row[]>(
      `select ${PACKAGE_COLUMNS} from catalog_package p where p.tenant_id = ? and p.package_id = ?`,
      [tenantId, packageId],
    );
    return rows[0] ? toPackage(rows[0]) : null;
  }

  /**
   * Locks the package row for the rest of the transaction, creating it first when it is new.
   * Returns the locked row and whether this call created it.
   */
  async lockOrCreate(em: Em, fresh: PackageRecord): Promise<{ row: PackageRecord; created: boolean }> {
    const inserted = await em.execute<Row[]>(
      `insert into catalog_package (id, tenant_id, package_id, name, description, readme, latest_version, republish_base, author_id,
         author_email, visibility, visibility_group_ids, source_flow_id, created_at, updated_at, deleted_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::text[], ?, ?, ?, null)
       on conflict (tenant_id, package_id) do nothing returning id`,
      [
        fresh.id, fresh.tenantId, fresh.packageId, fresh.name, fresh.description, fresh.readme, fresh.latestVersion, fresh.republishBase,
        fresh.authorId, fresh.authorEmail, fresh.visibility, toPgTextArray(fresh.visibilityGroupIds), fresh.sourceFlowId,
        fresh.createdAt, fresh.updatedAt,
      ],
    );
    const rows = await em.execute<Row[]>(
      `select ${PACKAGE_COLUMNS} from catalog_package p where p.tenant_id = ? and p.package_id = ? for update`,
      [fresh.tenantId, fresh.packageId],
    );
    return { row: toPackage(rows[0]!), created: inserted.length === 1 };
  }

  async updateAfterPublish(
    em: Em,
    id: string,
    fields: Pick<PackageRecord, 'name' | 'description' | 'readme' | 'latestVersion' | 'republishBase' | 'sourceFlowId' | 'updatedAt'>,
  ): Promise<void> {
    await em.execute(
      `update catalog_package set name = ?, description = ?, readme = ?, latest_version = ?, republish_base = ?, source_flow_id = ?,
         updated_at = ?, deleted_at = null where id = ?`,
      [fields.name, fields.description, fields.readme, fields.latestVersion, fields.republishBase, fields.sourceFlowId, fields.updatedAt, id],
    );
  }

  async updateVisibility(em: Em, id: string, visibility: Visibility, groupIds: readonly string[], at: Date): Promise<void> {
    await em.execute(
      `update catalog_package set visibility = ?, visibility_group_ids = ?::text[], updated_at = ? where id = ?`,
      [visibility, toPgTextArray(groupIds), at, id],
    );
  }

  async markDeleted(em: Em, id: string, at: Date): Promise<void> {
    await em.execute(`update catalog_package set deleted_at = ?, updated_at = ? where id = ?`, [at, at, id]);
  }

  async insertVersion(em: Em, version: VersionRecord): Promise<void> {
    await em.execute(
      `insert into catalog_package_version (id, catalog_package_id, version, sha256, size_bytes, blob_name,
         publisher_id, publisher_email, published_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        version.id, version.packageUuid, version.version, version.sha256, version.sizeBytes, version.blobName,
        version.publisherId, version.publisherEmail, version.publishedAt,
      ],
    );
  }

  async findVersion(em: Em, packageUuid: string, version: string): Promise<VersionRecord | null> {
    const rows = await em.execute<Row[]>(
      `select ${VERSION_COLUMNS} from catalog_package_version v where v.catalog_package_id = ? and v.version = ?`,
      [packageUuid, version],
    );
    return rows[0] ? toVersion(rows[0]) : null;
  }

  async listVersions(em: Em, packageUuid: string, limit: number, after: KeysetCursor | null): Promise<Page<VersionRecord>> {
    const keyset = after ? 'and (v.published_at, v.id) < (?::timestamptz, ?::uuid)' : '';
    const rows = await em.execute<Row[]>(
      `select ${VERSION_COLUMNS} from catalog_package_version v where v.catalog_package_id = ? ${keyset}
       order by v.published_at desc, v.id desc limit ?`,
      [packageUuid, ...(after ? [after.createdAt.toISOString(), after.id] : []), limit + 1],
    );
    return { items: rows.slice(0, limit).map(toVersion), hasNextPage: rows.length > limit };
  }
}

function toPackage(row: Row): PackageRecord {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    packageId: String(row.package_id),
    name: String(row.name),
    description: (row.description as string | null) ?? null,
    readme: (row.readme as string | null) ?? null,
    latestVersion: String(row.latest_version),
    republishBase: (row.republish_base as string | null) ?? null,
    authorId: String(row.author_id),
    authorEmail: (row.author_email as string | null) ?? null,
    visibility: row.visibility as Visibility,
    visibilityGroupIds: (row.visibility_group_ids as string[] | null) ?? [],
    sourceFlowId: (row.source_flow_id as string | null) ?? null,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    deletedAt: row.deleted_at == null ? null : toDate(row.deleted_at),
  };
}

function toVersion(row: Row): VersionRecord {
  return {
    id: String(row.id),
    packageUuid: String(row.catalog_package_id),
    version: String(row.version),
    sha256: String(row.sha256),
    sizeBytes: Number(row.size_bytes),
    blobName: String(row.blob_name),
    publisherId: String(row.publisher_id),
    publisherEmail: (row.publisher_email as string | null) ?? null,
    publishedAt: toDate(row.published_at),
  };
}
