import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Caller } from '../../common/caller';
import type { Cursor, Page } from '../../common/pagination';
import type { Em } from '../../infra/db/database';
import { keysetAfter, toPage } from '../../infra/db/keyset';
import { column, execute, rowMapper, sql, type SqlFragment } from '../../infra/db/sql';
import { AUDIT_ACTIONS, auditChanges, type AuditChange } from './audit-event';

const auditRows = rowMapper(
  {
    id: column.text,
    tenant_id: column.text,
    package_id: column.text,
    version: column.nullableText,
    actor_id: column.text,
    actor_email: column.nullableText,
    actor_tenant_id: column.text,
    action: z.enum(AUDIT_ACTIONS),
    changes: column.json,
    occurred_at: column.timestamp,
  },
  (row) => ({
    id: row.id,
    tenantId: row.tenant_id,
    packageId: row.package_id,
    version: row.version,
    actorId: row.actor_id,
    actorEmail: row.actor_email,
    actorTenantId: row.actor_tenant_id,
    action: row.action,
    changes: row.changes,
    occurredAt: row.occurred_at,
  }),
);

export type AuditEventRecord = ReturnType<typeof auditRows.parse>;

type AuditEntry = AuditChange & {
  tenantId: string;
  packageUuid: string;
  packageId: string;
  version: string | null;
  at: Date;
};

export class AuditRepository {
  /**
   * Call inside the transaction of the change it records, or hand the change over as `change`:
   * data-modifying CTEs (without `with`) that run in the same statement as the insert, so that
   * the change and its audit row need no transaction (one statement is atomic).
   */
  async record(em: Em, caller: Caller, entry: AuditEntry, change?: SqlFragment): Promise<void> {
    await execute(
      em,
      sql`${change ? sql`with ${change} ` : sql.empty}insert into catalog_audit_event (id, tenant_id, catalog_package_id, package_id,
         version, actor_id, actor_email, actor_tenant_id, action, changes, occurred_at)
       values (${randomUUID()}, ${entry.tenantId}, ${entry.packageUuid}, ${entry.packageId}, ${entry.version}, ${caller.userId},
         ${caller.email}, ${caller.tenantId}, ${entry.action}, ${JSON.stringify(auditChanges(entry))}::jsonb, ${entry.at})`,
    );
  }

  /**
   * Only the actions this release knows: during a rolling upgrade a newer instance may already
   * record one that this release could not describe.
   */
  async list(em: Em, packageUuid: string, limit: number, after: Cursor | null): Promise<Page<AuditEventRecord>> {
    const rows = await execute<unknown[]>(
      em,
      sql`select ${sql.raw(auditRows.columns('a'))} from catalog_audit_event a
       where a.catalog_package_id = ${packageUuid} and a.action = any(${sql.textArray(AUDIT_ACTIONS)}) ${keysetAfter(after, 'a.occurred_at', 'a.id')}
       order by a.occurred_at desc, a.id desc limit ${limit + 1}`,
    );
    return toPage(rows, limit, auditRows.parse);
  }
}
