import type { Em } from '../../infra/db/database';
import { z } from 'zod';
import { column, execute, rowMapper, sql, type SqlFragment } from '../../infra/db/sql';
import { IDEMPOTENCY_STATES, type IdempotencyState } from './idempotency.entity';

/** Who used the key: keys of different tenants or callers never meet. */
export interface IdempotencyScope {
  tenantId: string;
  callerId: string;
  key: string;
}

/** What a stored key says of its request: the hash it was first used with, and its outcome. */
const keyRows = rowMapper({ request_hash: column.text, state: z.enum(IDEMPOTENCY_STATES), response: column.nullableText }, (row) => ({
  requestHash: row.request_hash,
  state: row.state as IdempotencyState,
  response: row.response,
}));

export type StoredKey = ReturnType<typeof keyRows.parse>;

/** The key's row: the condition on `idempotency_key`. */
function inScope(scope: IdempotencyScope): SqlFragment {
  return sql`tenant_id = ${scope.tenantId} and caller_id = ${scope.callerId} and key = ${scope.key}`;
}

export class IdempotencyRepository {
  /** Deletes the key if it expired, or if it is in progress but its holder's lock ran out. */
  async dropIfStale(em: Em, scope: IdempotencyScope, now: Date): Promise<void> {
    await execute(
      em,
      sql`delete from idempotency_key where ${inScope(scope)} and (expires_at <= ${now} or (state = 'in_progress' and locked_until <= ${now}))`,
    );
  }

  /** True when this call now holds the key; false when someone else had it already. */
  async claim(
    em: Em,
    scope: IdempotencyScope,
    entry: { requestHash: string; claimToken: string; now: Date; lockedUntil: Date; expiresAt: Date },
  ): Promise<boolean> {
    const rows = await execute<unknown[]>(
      em,
      sql`insert into idempotency_key (tenant_id, caller_id, key, request_hash, state, claim_token, locked_until, response, created_at, expires_at)
       values (${scope.tenantId}, ${scope.callerId}, ${scope.key}, ${entry.requestHash}, 'in_progress', ${entry.claimToken}, ${entry.lockedUntil}, null,
         ${entry.now}, ${entry.expiresAt}) on conflict do nothing returning key`,
    );
    return rows.length > 0;
  }

  async find(em: Em, scope: IdempotencyScope): Promise<StoredKey | null> {
    const rows = await execute<unknown[]>(em, sql`select k.request_hash, k.state, k.response::text as response from idempotency_key k where ${inScope(scope)}`);
    return rows[0] ? keyRows.parse(rows[0]) : null;
  }

  async complete(em: Em, scope: IdempotencyScope, claimToken: string, response: string): Promise<void> {
    await execute(
      em,
      sql`update idempotency_key set state = 'completed', response = ${response}::jsonb where ${inScope(scope)} and claim_token = ${claimToken}`,
    );
  }

  async release(em: Em, scope: IdempotencyScope, claimToken: string): Promise<void> {
    await execute(em, sql`delete from idempotency_key where ${inScope(scope)} and claim_token = ${claimToken} and state = 'in_progress'`);
  }

  async deleteExpired(em: Em, now: Date): Promise<void> {
    await execute(em, sql`delete from idempotency_key where expires_at <= ${now}`);
  }
}
