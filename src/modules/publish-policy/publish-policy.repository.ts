import { randomUUID } from 'node:crypto';
import type { Caller } from '../../common/caller';
import type { Cursor, Page } from '../../common/pagination';
import type { Em } from '../../infra/db/database';
import { keysetAfter, toPage } from '../../infra/db/keyset';
import { column, execute, rowMapper, sql } from '../../infra/db/sql';
import { storedPolicyRules, type PolicyRules } from './policy-rules';

const policyRows = rowMapper({ tenant_id: column.text, rules: column.json, updated_at: column.timestamp, updated_by: column.text }, (row) => ({
  tenantId: row.tenant_id,
  rules: storedPolicyRules(row.rules),
  updatedAt: row.updated_at,
  updatedBy: row.updated_by,
}));

export type PolicyRecord = ReturnType<typeof policyRows.parse>;

const changeRows = rowMapper(
  {
    id: column.text,
    tenant_id: column.text,
    actor_id: column.text,
    actor_email: column.nullableText,
    actor_tenant_id: column.text,
    from_rules: column.nullableJson,
    to_rules: column.json,
    changed_at: column.timestamp,
  },
  (row) => ({
    id: row.id,
    tenantId: row.tenant_id,
    actorId: row.actor_id,
    actorEmail: row.actor_email,
    actorTenantId: row.actor_tenant_id,
    from: row.from_rules === null ? null : storedPolicyRules(row.from_rules),
    to: storedPolicyRules(row.to_rules),
    changedAt: row.changed_at,
  }),
);

export type PolicyChangeRecord = ReturnType<typeof changeRows.parse>;

/** `catalog_publish_policy` and its history, `catalog_publish_policy_change`. */
export class PublishPolicyRepository {
  /** The tenant's policy, or null when it never set one: one primary-key read. */
  async find(em: Em, tenantId: string): Promise<PolicyRecord | null> {
    const rows = await execute<unknown[]>(em, sql`select ${sql.raw(policyRows.columns('pp'))} from catalog_publish_policy pp where pp.tenant_id = ${tenantId}`);
    return rows[0] ? policyRows.parse(rows[0]) : null;
  }

  /**
   * In a transaction: replaces the tenant's rules and records the change, from the rules as they
   * stood under the row's lock (two admins setting at once are recorded in the order they took
   * effect, each with what it replaced).
   */
  async replace(em: Em, caller: Caller, tenantId: string, rules: PolicyRules, now: Date): Promise<{ policy: PolicyRecord; from: PolicyRules | null }> {
    const to = JSON.stringify(rules);
    let previous = await this.lock(em, tenantId);
    if (previous === null) {
      const inserted = await execute<unknown[]>(
        em,
        sql`insert into catalog_publish_policy (tenant_id, rules, updated_at, updated_by) values (${tenantId}, ${to}::jsonb, ${now}, ${caller.userId})
         on conflict (tenant_id) do nothing returning 1`,
      );
      // Another admin's first policy committed meanwhile (the insert waited for it): replace that one.
      if (inserted.length === 0) previous = await this.lock(em, tenantId);
    }
    if (previous !== null) {
      await execute(
        em,
        sql`update catalog_publish_policy set rules = ${to}::jsonb, updated_at = ${now}, updated_by = ${caller.userId} where tenant_id = ${tenantId}`,
      );
    }
    const from = previous?.rules ?? null;
    await execute(
      em,
      sql`insert into catalog_publish_policy_change (id, tenant_id, actor_id, actor_email, actor_tenant_id, from_rules, to_rules, changed_at)
       values (${randomUUID()}, ${tenantId}, ${caller.userId}, ${caller.email}, ${caller.tenantId},
         ${from === null ? null : JSON.stringify(from)}::jsonb, ${to}::jsonb, ${now})`,
    );
    return { policy: { tenantId, rules, updatedAt: now, updatedBy: caller.userId }, from };
  }

  /** Newest first. */
  async listChanges(em: Em, tenantId: string, limit: number, after: Cursor | null): Promise<Page<PolicyChangeRecord>> {
    const rows = await execute<unknown[]>(
      em,
      sql`select ${sql.raw(changeRows.columns('c'))} from catalog_publish_policy_change c
       where c.tenant_id = ${tenantId} ${keysetAfter(after, 'c.changed_at', 'c.id')}
       order by c.changed_at desc, c.id desc limit ${limit + 1}`,
    );
    return toPage(rows, limit, changeRows.parse);
  }

  private async lock(em: Em, tenantId: string): Promise<PolicyRecord | null> {
    const rows = await execute<unknown[]>(
      em,
      sql`select ${sql.raw(policyRows.columns('pp'))} from catalog_publish_policy pp where pp.tenant_id = ${tenantId} for update`,
    );
    return rows[0] ? policyRows.parse(rows[0]) : null;
  }
}
