import { defineEntity, p } from '@mikro-orm/core';

/**
 * One fixed-window counter per bucket (a tenant's or a caller's reads or writes), shared by every
 * instance of the service. Rows of past windows are swept now and then.
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
