import { randomUUID } from 'node:crypto';
import type { Bulkhead } from '../../common/bulkhead';
import { ServiceUnavailableError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import type { Database, Em } from '../../infra/db/database';
import type { QuotaRepository } from '../quota/quota.repository';
import { PublishReservationRepository, type Reservation, type ReservationKey } from './publish-reservation.repository';

/** What a publish plans inside its first transaction, once it holds the package's slot. */
export type PlannedReservation = Omit<Reservation, 'token' | keyof ReservationKey>;

export interface PublishSlotOptions {
  db: Database;
  quotas: QuotaRepository;
  /** Bounds the database units of publish running at once (`tuning.publishConcurrency`). */
  bulkhead: Bulkhead;
  logger: Logger;
  ttlMs: number;
  /** How long to wait for another publish of the same package before giving up. */
  waitMs: number;
}

/** Thrown inside the first transaction to roll it back: another publish holds the package's slot. */
class SlotBusy extends Error {}

const SWEEP_BATCH = 100;

/**
 * The publish slot of each package (docs/ARCHITECTURE.md, "The publish sequence"): a row in
 * `catalog_publish_reservation` taken in a short transaction, held (renewed) while the archive
 * uploads with no connection or lock held, and ended by the transaction that commits the version
 * or by a release. Publishes of one package take turns; of different packages, they never wait
 * for each other's uploads. Every database unit of publish goes through the bulkhead.
 */
export class PublishSlots {
  private readonly reservations = new PublishReservationRepository();

  constructor(private readonly options: PublishSlotOptions) {}

  /** A unit of work of publish, within the bulkhead. */
  run<T>(work: (em: Em) => Promise<T>): Promise<T> {
    return this.options.bulkhead.run(() => this.options.db.run(work));
  }

  transaction<T>(work: (em: Em) => Promise<T>): Promise<T> {
    return this.options.bulkhead.run(() => this.options.db.transaction(work));
  }

  /**
   * Takes the package's slot and, in the same short transaction, runs `plan` (which plans the
   * version from the committed history and reserves the quota). While another publish holds the
   * slot, waits without a connection and tries again, up to `waitMs`; an expired reservation (its
   * holder died) is reaped on the way, its quota given back.
   */
  async reserve<P extends PlannedReservation>(key: ReservationKey, plan: (em: Em) => Promise<P>): Promise<{ reservation: Reservation; planned: P }> {
    const giveUpAt = Date.now() + this.options.waitMs;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.transaction(async (em) => {
          const held = await this.reservations.lock(em, key);
          if (held === 'live') throw new SlotBusy();
          if (held === 'expired') await this.reapLocked(em, key);
          // The slot first, then the plan: the package row read after taking it includes every
          // publish that held it before (read committed: a later statement sees their commits).
          const token = randomUUID();
          if (!(await this.reservations.insert(em, { ...key, token, version: '', sizeBytes: 0, newPackage: false }, this.options.ttlMs))) {
            throw new SlotBusy();
          }
          const planned = await plan(em);
          const reservation: Reservation = { ...key, token, version: planned.version, sizeBytes: planned.sizeBytes, newPackage: planned.newPackage };
          await this.reservations.record(em, reservation);
          return { reservation, planned };
        });
      } catch (error) {
        if (!(error instanceof SlotBusy)) throw error;
      }
      const pause = Math.min(250, 20 * 2 ** Math.min(attempt, 4)) * (0.5 + Math.random() / 2);
      if (Date.now() + pause > giveUpAt) {
        throw new ServiceUnavailableError('blob-storage', `Another publish of ${key.packageId} is still uploading; try again shortly`, 2);
      }
      await sleep(pause);
    }
  }

  /** Runs `work` (the upload) while renewing the reservation, so it does not expire under a slow upload. */
  async hold<T>(reservation: Reservation, work: () => Promise<T>): Promise<T> {
    const renew = () => {
      this.run((em) => this.reservations.renew(em, reservation, reservation.token, this.options.ttlMs)).catch((error: unknown) =>
        this.options.logger.warn({ err: error, packageId: reservation.packageId }, 'could not renew a publish reservation'),
      );
    };
    const timer = setInterval(renew, Math.max(50, Math.floor(this.options.ttlMs / 3)));
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }

  /**
   * Renews the reservation or throws: a publish whose reservation was taken over (it stopped
   * renewing for a whole TTL) may no longer write the version's blob name.
   */
  async assertHeld(reservation: Reservation): Promise<void> {
    const renewed = await this.run((em) => this.reservations.renew(em, reservation, reservation.token, this.options.ttlMs));
    if (!renewed) throw new ServiceUnavailableError('database', 'This publish lost its reservation (it could not renew it in time); try again');
  }

  /** In the transaction that commits the version: ends the reservation, which must still be this publish's. */
  async confirm(em: Em, reservation: Reservation): Promise<void> {
    const ended = await this.reservations.remove(em, reservation, reservation.token);
    if (!ended) throw new ServiceUnavailableError('database', 'This publish lost its reservation (it could not renew it in time); try again');
  }

  /**
   * A publish that failed after reserving gives its slot and quota back. Best effort: when the
   * database cannot be reached either, the reservation expires and the sweep gives them back.
   */
  async release(reservation: Reservation): Promise<void> {
    try {
      await this.transaction(async (em) => {
        const ended = await this.reservations.remove(em, reservation, reservation.token);
        if (ended) await this.giveBack(em, ended);
      });
    } catch (error) {
      this.options.logger.warn({ err: error, packageId: reservation.packageId }, 'could not release a publish reservation; it will expire');
    }
  }

  /**
   * Reaps expired reservations (left by a publish whose process died) and gives their quota back;
   * run on a schedule (`tuning.reservationSweepMs`). Returns how many it reaped.
   */
  async sweep(): Promise<number> {
    const expired = await this.run((em) => this.reservations.expired(em, SWEEP_BATCH));
    let reaped = 0;
    for (const key of expired) {
      // Each on its own, locked first like every publish (reservation, then usage row).
      const ended = await this.transaction(async (em) => ((await this.reservations.lock(em, key)) === 'expired' ? this.reapLocked(em, key) : null));
      if (ended) reaped += 1;
    }
    if (reaped > 0) this.options.logger.info({ reaped }, 'swept expired publish reservations');
    return reaped;
  }

  private async reapLocked(em: Em, key: ReservationKey): Promise<Reservation | null> {
    const ended = await this.reservations.remove(em, key, null);
    if (ended) {
      await this.giveBack(em, ended);
      this.options.logger.warn(
        { tenantId: key.tenantId, packageId: key.packageId, version: ended.version },
        'reaped an expired publish reservation (its publish died)',
      );
    }
    return ended;
  }

  private giveBack(em: Em, ended: Reservation): Promise<void> {
    return this.options.quotas.release(em, { tenantId: ended.tenantId, newPackage: ended.newPackage, bytes: ended.sizeBytes });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
