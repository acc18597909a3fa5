import type { AbstractSqlConnection } from '@mikro-orm/sql';
import type { Logger } from '../../common/logger';
import { currentCallerKey, currentRequestToken } from '../../common/request-context';
import { metrics } from '../metrics/metrics';

/** `ok`: reads may go there; `lagging`: behind by more than the limit; `down`: did not answer. */
export type ReplicaState = 'ok' | 'lagging' | 'down';

export interface ReplicaStatus {
  /** `replica-1`, `replica-2`, … in the order of `DATABASE_REPLICA_URLS` (never the address: /readyz is public). */
  name: string;
  state: ReplicaState;
  /** Seconds of replay behind the primary at the last check; null when it did not answer. */
  lagSeconds: number | null;
}

export interface Replica {
  name: string;
  connection: AbstractSqlConnection;
}

export interface ReadRoutingOptions {
  /** A replica further behind than this is skipped (`REPLICA_MAX_LAG_SECONDS`). */
  maxLagMs: number;
  /** A caller's reads go to the primary for this long after their last write (`READ_YOUR_WRITES_SECONDS`). */
  readYourWritesMs: number;
  /** How often every replica's lag is measured. */
  checkEveryMs: number;
  logger?: Logger;
}

/** Past this many callers remembered, the expired entries are swept at the next write. */
const MAX_REMEMBERED_WRITERS = 50_000;

/**
 * Chooses where a read that tolerates a short lag goes: a replica that is up and close enough
 * behind the primary, or the primary itself. MikroORM opens the replicas' pools (its `replicas`
 * option) but picks one at random with no notion of health; this picks among the healthy ones,
 * round robin, from a check made every `checkEveryMs`.
 *
 * The lag check compares the primary's WAL position with what each replica has replayed: caught
 * up means no lag, otherwise the lag is the age of the last transaction it replayed. That
 * overstates the lag after a quiet spell (the last replayed transaction may be old while the one
 * missing is a millisecond old), which only ever sends a read to the primary that could have gone
 * to the replica.
 *
 * Read-your-writes is per instance: this remembers when each caller (tenant and user) last
 * committed a write here. Behind a router that spreads one caller's requests over instances, a
 * read on another instance right after the write can miss it for up to the replica's lag.
 */
export class ReadRouting {
  private readonly states = new Map<string, ReplicaStatus>();
  private readonly lastWrite = new Map<string, number>();
  private next = 0;
  // The replica each request read from first: its later reads go there too, so one answer never
  // mixes two replicas' lags (a package from one, its versions from another further behind).
  private readonly byRequest = new WeakMap<object, Replica>();
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(
    private readonly primary: AbstractSqlConnection,
    readonly replicas: readonly Replica[],
    private readonly options: ReadRoutingOptions,
  ) {
    for (const replica of replicas) this.states.set(replica.name, { name: replica.name, state: 'down', lagSeconds: null });
  }

  /** Checks every replica now (reads go to the primary until a check finds one healthy), then every `checkEveryMs`. */
  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.options.checkEveryMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.checking;
  }

  /** The replica the next read goes to, or null for the primary (none healthy, or the caller wrote just now). */
  pick(): Replica | null {
    const caller = currentCallerKey();
    if (caller !== undefined) {
      const wrote = this.lastWrite.get(caller);
      if (wrote !== undefined && Date.now() - wrote < this.options.readYourWritesMs) return null;
    }
    const request = currentRequestToken();
    const earlier = request && this.byRequest.get(request);
    if (earlier && this.usable(earlier)) return earlier;
    const healthy = this.replicas.filter((replica) => this.usable(replica));
    if (healthy.length === 0) return null;
    const chosen = healthy[this.next++ % healthy.length]!;
    if (request) this.byRequest.set(request, chosen);
    return chosen;
  }

  private usable(replica: Replica): boolean {
    return this.states.get(replica.name)?.state === 'ok';
  }

  /** The current request's caller committed a write: their reads stay on the primary for a while. */
  noteWrite(): void {
    const caller = currentCallerKey();
    if (caller === undefined) return;
    const now = Date.now();
    if (this.lastWrite.size >= MAX_REMEMBERED_WRITERS) {
      // The map is in the order of last writes (see below): the expired entries come first.
      for (const [key, at] of this.lastWrite) {
        if (now - at < this.options.readYourWritesMs) break;
        this.lastWrite.delete(key);
      }
    }
    // Delete first, so that a caller's entry moves to the end: the map stays in the order of last writes.
    this.lastWrite.delete(caller);
    this.lastWrite.set(caller, now);
  }

  /** A read on `replica` failed for want of an answer: skip it until a check finds it healthy again. */
  markDown(replica: Replica, error: unknown): void {
    this.setState(replica, { state: 'down', lagSeconds: null }, error);
  }

  status(): ReplicaStatus[] {
    return this.replicas.map((replica) => ({ ...this.states.get(replica.name)! }));
  }

  /** One check of every replica; a check still running (a replica slow to refuse) is not doubled. */
  check(): Promise<void> {
    this.checking ??= this.checkAll().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async checkAll(): Promise<void> {
    let primaryLsn: string | null = null;
    try {
      const [row] = await this.primary.execute<{ lsn: string }[]>('select pg_current_wal_lsn()::text as lsn');
      primaryLsn = row?.lsn ?? null;
    } catch (error) {
      // Without the primary's position no lag can be known: skip every replica until it answers.
      this.options.logger?.warn({ err: error }, 'read replicas: the primary did not answer the lag check');
    }
    await Promise.all(this.replicas.map((replica) => this.checkOne(replica, primaryLsn)));
  }

  private async checkOne(replica: Replica, primaryLsn: string | null): Promise<void> {
    if (primaryLsn === null) {
      this.setState(replica, { state: 'down', lagSeconds: null });
      return;
    }
    try {
      const [row] = await replica.connection.execute<{ standby: boolean; caught_up: boolean | null; behind: number | null }[]>(
        `select pg_is_in_recovery() as standby,
                pg_last_wal_replay_lsn() >= ?::pg_lsn as caught_up,
                extract(epoch from now() - pg_last_xact_replay_timestamp())::float8 as behind`,
        [primaryLsn],
      );
      // A server that is not a standby (the primary itself under another address) replays nothing: no lag.
      const lagSeconds = !row?.standby || row.caught_up ? 0 : Math.max(0, row.behind ?? Number.POSITIVE_INFINITY);
      const state: ReplicaState = lagSeconds * 1000 > this.options.maxLagMs ? 'lagging' : 'ok';
      this.setState(replica, { state, lagSeconds: Number.isFinite(lagSeconds) ? lagSeconds : null });
    } catch (error) {
      this.setState(replica, { state: 'down', lagSeconds: null }, error);
    }
  }

  private setState(replica: Replica, next: Omit<ReplicaStatus, 'name'>, error?: unknown): void {
    const previous = this.states.get(replica.name)!;
    this.states.set(replica.name, { name: replica.name, ...next });
    metrics.replicaUsable.set({ replica: replica.name }, next.state === 'ok' ? 1 : 0);
    if (next.lagSeconds === null) metrics.replicaLag.remove({ replica: replica.name });
    else metrics.replicaLag.set({ replica: replica.name }, next.lagSeconds);
    if (previous.state === next.state) return;
    const fields = { replica: replica.name, state: next.state, lagSeconds: next.lagSeconds, maxLagSeconds: this.options.maxLagMs / 1000, err: error };
    if (next.state === 'ok') this.options.logger?.info(fields, 'read replica is serving reads');
    else
      this.options.logger?.warn(
        fields,
        next.state === 'lagging' ? 'read replica lags too far behind: reads go to the primary' : 'read replica did not answer: reads go to the primary',
      );
  }
}
