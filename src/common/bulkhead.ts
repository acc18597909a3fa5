import { ServiceUnavailableError, type Dependency } from './errors';

/**
 * At most `limit` pieces of work at once; the next ones wait in order, each at most `waitMs`,
 * then are refused with SERVICE_UNAVAILABLE for `dependency`. Publish runs its database units
 * through one, so no burst of publishes can take every pooled connection from the readers.
 */
export class Bulkhead {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly limit: number,
    private readonly waitMs: number,
    private readonly dependency: Dependency,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`a bulkhead needs a limit of at least 1, not ${limit}`);
  }

  get inFlight(): number {
    return this.running;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.releaseOne();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.limit) {
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const admit = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(admit), 1);
        reject(new ServiceUnavailableError(this.dependency));
      }, this.waitMs);
      this.waiting.push(admit);
    });
  }

  /** Hands the slot straight to the next waiter, so `running` never dips below a waiting queue. */
  private releaseOne(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }
}
