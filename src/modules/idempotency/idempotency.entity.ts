import { defineEntity, p } from '@mikro-orm/core';

export const IDEMPOTENCY_STATES = ['in_progress', 'completed'] as const;
export type IdempotencyState = (typeof IDEMPOTENCY_STATES)[number];

/**
 * One `Idempotency-Key` of one caller in one tenant: the hash of the request it was first used
 * with and, once that request succeeded, its result. Expired rows are deleted.
 */
export const IdempotencyKeySchema = defineEntity({
  name: 'IdempotencyKey',
  tableName: 'idempotency_key',
  indexes: [{ name: 'idempotency_key_expires_idx', properties: ['expiresAt'] }],
  properties: {
    tenantId: p.string().length(128).primary(),
    callerId: p.string().length(256).primary(),
    key: p.string().length(255).primary(),
    requestHash: p.string().length(64),
    state: p.enum(IDEMPOTENCY_STATES),
    /** Which attempt holds an `in_progress` key; a late finisher cannot overwrite a taken-over key. */
    claimToken: p.uuid(),
    /** An `in_progress` key whose holder died is taken over after this. */
    lockedUntil: p.datetime(),
    response: p.json<unknown>().nullable(),
    createdAt: p.datetime(),
    expiresAt: p.datetime(),
  },
});

export class IdempotencyKey extends IdempotencyKeySchema.class {}
IdempotencyKeySchema.setClass(IdempotencyKey);
