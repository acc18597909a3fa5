import type { Em } from '../../infra/db/database';
import { z } from 'zod';
import { column, rowMapper } from '../../infra/db/sql';
import { IDEMPOTENCY_STATES, type IdempotencyState } from './idempotency.entity';

/** Who used the key: keys of different tenants or callers never meet. */
export interface IdempotencyScope {
  tenantId: string;
  callerId: string;
  key: string;
}

/** What a stored key says of its request: the hash it was first used with, and its outcome. */
const keyRows = rowMapper(
  { request_hash: column.text, state: z.enum(IDEMPOTENCY_STATES), response: column.nullableText },
  (row) => ({ requestHash: row.request_hash, state: row.state as IdempotencyState, response: row.response }),
);

export type StoredKey = ReturnType<typeof keyRows.parse>;

const SCOPE = 'tenant_id = ? and caller_id = ? and key = ?';
const scopeParams = (s: IdempotencyScope) => [s.tenantId, s.callerId, s.key];

export class IdempotencyRepository {
  /** Deletes the key if it expired, or if it is in progress but its holder's lock ran out. */
  async dropIfStale(em: Em, scope: IdempotencyScope, now: Date): Promise<void> {
    await em.execute(
      `delete from idempotency_key where ${SCOPE} and (expires_at <= ? or (state = 'in_progress' and locked_until <= ?))`,
      [...scopeParams(scope), now, now],
    );
  }

  /** True when this call now holds the key; false when someone else had it already. */
  async claim(
    em: Em,
    scope: IdempotencyScope,
    entry: { requestHash: string; claimToken: string; now: Date; lockedUntil: Date; expiresAt: Date },
  ): Promise<boolean> {
    const rows = await em.execute<unknown[]>(
      `insert into idempotency_key (tenant_id, caller_id, key, request_hash, state, claim_token, locked_until, response, created_at, expires_at)
       values (?, ?, ?, ?, 'in_progress', ?, ?, null, ?, ?) on conflict do nothing returning key`,
      [...scopeParams(scope), entry.requestHash, entry.claimToken, entry.lockedUntil, entry.now, entry.expiresAt],
    );
    return rows.length > 0;
  }

  async find(em: Em, scope: IdempotencyScope): Promise<StoredKey | null> {
    const rows = await em.execute<unknown[]>(
      `select k.request_hash, k.state, k.response::text as response from idempotency_key k where ${SCOPE}`,
      scopeParams(scope),
    );
    return rows[0] ? keyRows.parse(rows[0]) : null;
  }

  async complete(em: Em, scope: IdempotencyScope, claimToken: string, response: string): Promise<void> {
    await em.execute(
      `update idempotency_key set state = 'completed', response = ?::jsonb where ${SCOPE} and claim_token = ?`,
      [response, ...scopeParams(scope), claimToken],
    );
  }

  async release(em: Em, scope: IdempotencyScope, claimToken: string): Promise<void> {
    await em.execute(`delete from idempotency_key where ${SCOPE} and claim_token = ? and state = 'in_progress'`, [
      ...scopeParams(scope),
      claimToken,
    ]);
  }

  async deleteExpired(em: Em, now: Date): Promise<void> {
    await em.execute('delete from idempotency_key where expires_at <= ?', [now]);
  }
}
