import { z } from 'zod';
import type { Em } from '../../infra/db/database';
import { column, execute, rowMapper, sql } from '../../infra/db/sql';

/** Which package's publish slot: reservations are keyed by the package's name, not its row (a new package has none yet). */
export interface ReservationKey {
  tenantId: string;
  packageId: string;
}

export interface Reservation extends ReservationKey {
  token: string;
  version: string;
  sizeBytes: number;
  newPackage: boolean;
}

const reservationRows = rowMapper(
  {
    tenant_id: column.text,
    package_id: column.text,
    token: column.text,
    version: column.text,
    size_bytes: column.integer,
    new_package: z.boolean(),
  },
  (row): Reservation => ({
    tenantId: row.tenant_id,
    packageId: row.package_id,
    token: row.token,
    version: row.version,
    sizeBytes: row.size_bytes,
    newPackage: row.new_package,
  }),
);

const lockedRows = z.object({ live: z.boolean() });

/**
 * `catalog_publish_reservation`: one row per package while a publish of it is between its two
 * transactions (docs/ARCHITECTURE.md, "The publish sequence"). Times are the database's clock,
 * so every process agrees on what has expired.
 */
export class PublishReservationRepository {
  /**
   * Locks the package's reservation, if any. `'live'`: another publish holds the slot. `'expired'`:
   * one whose holder stopped renewing it (the row, locked, is the caller's to reap). `'free'`: none.
   */
  async lock(em: Em, key: ReservationKey): Promise<'free' | 'live' | 'expired'> {
    const rows = await execute<unknown[]>(
      em,
      sql`select r.expires_at > clock_timestamp() as live from catalog_publish_reservation r
       where r.tenant_id = ${key.tenantId} and r.package_id = ${key.packageId} for update`,
    );
    if (!rows[0]) return 'free';
    return lockedRows.parse(rows[0]).live ? 'live' : 'expired';
  }

  /** Takes the slot; false when a concurrent publish took it first (its insert committed before ours). */
  async insert(em: Em, reservation: Reservation, ttlMs: number): Promise<boolean> {
    const rows = await execute<unknown[]>(
      em,
      sql`insert into catalog_publish_reservation (tenant_id, package_id, token, version, size_bytes, new_package, expires_at)
       values (${reservation.tenantId}, ${reservation.packageId}, ${reservation.token}::uuid, ${reservation.version}, ${reservation.sizeBytes},
         ${reservation.newPackage}, clock_timestamp() + ${ttlMs}::int * interval '1 millisecond')
       on conflict (tenant_id, package_id) do nothing returning 1 as taken`,
    );
    return rows.length === 1;
  }

  /** What the slot's holder planned, once it has planned it (in the transaction that took the slot). */
  async record(em: Em, reservation: Reservation): Promise<void> {
    await execute(
      em,
      sql`update catalog_publish_reservation set version = ${reservation.version}, size_bytes = ${reservation.sizeBytes}, new_package = ${reservation.newPackage}
       where tenant_id = ${reservation.tenantId} and package_id = ${reservation.packageId} and token = ${reservation.token}::uuid`,
    );
  }

  /** Pushes the expiry on while the upload runs; false when the reservation is no longer this attempt's. */
  async renew(em: Em, key: ReservationKey, token: string, ttlMs: number): Promise<boolean> {
    const rows = await execute<unknown[]>(
      em,
      sql`update catalog_publish_reservation set expires_at = clock_timestamp() + ${ttlMs}::int * interval '1 millisecond'
       where tenant_id = ${key.tenantId} and package_id = ${key.packageId} and token = ${token}::uuid returning 1 as renewed`,
    );
    return rows.length === 1;
  }

  /**
   * Ends a reservation: this attempt's (`token`), or any expired one (`token` null). Returns what
   * it held, or null when there was none to end (it was confirmed, released or taken over).
   */
  async remove(em: Em, key: ReservationKey, token: string | null): Promise<Reservation | null> {
    const rows = await execute<unknown[]>(
      em,
      sql`delete from catalog_publish_reservation r
       where r.tenant_id = ${key.tenantId} and r.package_id = ${key.packageId} and (r.token = ${token}::uuid or (${token}::uuid is null and r.expires_at <= clock_timestamp()))
       returning ${sql.raw(reservationRows.columns('r'))}`,
    );
    return rows[0] ? reservationRows.parse(rows[0]) : null;
  }

  /** Expired reservations, oldest first, for the sweep. */
  async expired(em: Em, limit: number): Promise<ReservationKey[]> {
    const rows = await execute<{ tenant_id: string; package_id: string }[]>(
      em,
      sql`select r.tenant_id, r.package_id from catalog_publish_reservation r
       where r.expires_at <= clock_timestamp() order by r.expires_at limit ${limit}`,
    );
    return rows.map((row) => ({ tenantId: row.tenant_id, packageId: row.package_id }));
  }
}
