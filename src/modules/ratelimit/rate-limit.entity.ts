import { defineEntity, p } from '@mikro-orm/core';

/**
 * The old limiter's counters, no longer read or written: the limiter now keeps its counters in
 * rate-limiter-flexible's `rate_limit_counter` table. Kept only so that the schema still matches
 * the migrations until one drops `rate_limit_bucket` (and this entity with it).
 */
export const RateLimitBucketSchema = defineEntity({
  name: 'RateLimitBucket',
  tableName: 'rate_limit_bucket',
  indexes: [{ name: 'rate_limit_bucket_window_idx', properties: ['windowStart'] }],
  properties: {
    bucket: p.string().length(512).primary(),
    windowStart: p.datetime(),
    hits: p.integer(),
  },
});

export class RateLimitBucket extends RateLimitBucketSchema.class {}
RateLimitBucketSchema.setClass(RateLimitBucket);
