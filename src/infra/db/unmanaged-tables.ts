/**
 * Tables a library manages rather than an entity: a migration creates them, and the schema
 * generator (migration:create, the schema test) must leave them alone.
 */
/** rate-limiter-flexible's PostgreSQL counters (modules/ratelimit). */
export const RATE_LIMIT_TABLE = 'rate_limit_counter';
