import type { Database } from '../../infra/db/database';

/** Counts one more hit in each bucket for the window that starts at `windowStart`. */
export interface RateLimitStore {
  /** Returns the hits of each bucket in this window, this one included, in the order given. */
  hit(buckets: readonly string[], windowStart: Date): Promise<number[]>;
}

/** How often past windows are swept, at most. */
const SWEEP_EVERY_MS = 5 * 60_000;

/** For the embedded default (one process): counters in memory. */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly counters = new Map<string, { windowStart: number; hits: number }>();
  private lastSweep = Date.now();

  async hit(buckets: readonly string[], windowStart: Date): Promise<number[]> {
    const start = windowStart.getTime();
    this.sweep(start);
    return buckets.map((bucket) => {
      const counter = this.counters.get(bucket);
      if (counter && counter.windowStart === start) {
        counter.hits += 1;
        return counter.hits;
      }
      this.counters.set(bucket, { windowStart: start, hits: 1 });
      return 1;
    });
  }

  private sweep(currentWindow: number): void {
    if (Date.now() - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = Date.now();
    for (const [bucket, counter] of this.counters) if (counter.windowStart < currentWindow) this.counters.delete(bucket);
  }
}

/**
 * Shared by every instance: one upsert per request counts the hit in all its buckets and reads the
 * totals back. Buckets are always given in the same order (tenant, then caller), so concurrent
 * upserts lock rows in the same order and cannot deadlock.
 */
export class DatabaseRateLimitStore implements RateLimitStore {
  private lastSweep = 0;

  constructor(private readonly db: Database) {}

  async hit(buckets: readonly string[], windowStart: Date): Promise<number[]> {
    const rows = await this.db.run((em) =>
      em.execute<{ bucket: string; hits: number | string }[]>(
        `insert into rate_limit_bucket (bucket, window_start, hits) values ${buckets.map(() => '(?, ?, 1)').join(', ')}
         on conflict (bucket) do update set
           hits = case when rate_limit_bucket.window_start = excluded.window_start then rate_limit_bucket.hits + 1 else 1 end,
           window_start = excluded.window_start
         returning bucket, hits`,
        buckets.flatMap((bucket) => [bucket, windowStart]),
      ),
    );
    const hits = new Map(rows.map((row) => [row.bucket, Number(row.hits)]));
    if (Date.now() - this.lastSweep > SWEEP_EVERY_MS) {
      this.lastSweep = Date.now();
      // Old windows are dead weight; one instance sweeping now and then is enough.
      await this.db.run((em) => em.execute('delete from rate_limit_bucket where window_start < ?', [windowStart]));
    }
    return buckets.map((bucket) => hits.get(bucket) ?? 1);
  }
}
