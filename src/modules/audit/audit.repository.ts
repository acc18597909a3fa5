import { randomUUID } from 'node:crypto';
import type { Caller } from '../../common/caller';
import type { Em } from '../../infra/db/database';
import { toDate } from '../../infra/db/sql';
import type { Page } from '../package/package.model';
import type { AuditAction } from './audit.entity';

export interface AuditEventRecord {
  id: string;
  tenantId: string;
  packageId: string;
  version: string | null;
  actorId: string;
  actorEmail: string | null;
  actorTenantId: string;
  action: AuditAction;
  changes: Record<string, unknown>;
  occurredAt: Date;
}

export interface AuditEntry {
  tenantId: string;
  packageUuid: string;
  packageId: string;
  version: string | null;
  action: AuditAction;
  changes: Record<string, unknown>;
  at: Date;
}

type Row = Record<string, unknown>;

export class AuditRepository {
  /** Call inside the transaction of the change it records. */
  async record(em: Em, caller: Caller, entry: AuditEntry): Promise<void> {
    await em.execute(
      `insert into catalog_audit_event (id, tenant_id, catalog_package_id, package_id, version, actor_id, actor_email,
         actor_tenant_id, action, changes, occurred_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?)`,
      [
        randomUUID(), entry.tenantId, entry.packageUuid, entry.packageId, entry.version, caller.userId, caller.email,
        caller.tenantId, entry.action, JSON.stringify(entry.changes), entry.at,
      ],
    );
  }

  async list(em: Em, packageUuid: string, limit: number, after: { createdAt: Date; id: string } | null): Promise<Page<AuditEventRecord>> {
    const keyset = after ? 'and (a.occurred_at, a.id) < (?::timestamptz, ?::uuid)' : '';
    const rows = await em.execute<Row[]>(
      `select a.* from catalog_audit_event a where a.catalog_package_id = ? ${keyset}
       order by a.occurred_at desc, a.id desc limit ?`,
      [packageUuid, ...(after ? [after.createdAt.toISOString(), after.id] : []), limit + 1],
    );
    return { items: rows.slice(0, limit).map(toAuditEvent), hasNextPage: rows.length > limit };
  }
}

function toAuditEvent(row: Row): AuditEventRecord {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    packageId: String(row.package_id),
    version: (row.version as string | null) ?? null,
    actorId: String(row.actor_id),
    actorEmail: (row.actor_email as string | null) ?? null,
    actorTenantId: String(row.actor_tenant_id),
    action: row.action as AuditAction,
    changes: (typeof row.changes === 'string' ? JSON.parse(row.changes) : row.changes) as Record<string, unknown>,
    occurredAt: toDate(row.occurred_at),
  };
}
