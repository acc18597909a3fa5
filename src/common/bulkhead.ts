import { ServiceUnavailableError, type Dependency } from './errors';

/**
 * At most `limit` pieces of work at once; the next ones wait in order, each at most `waitMs`,
 * then are refused (SERVICE_UNAVAILABLE for a dependency by default). Publish runs its database
 * units through one, so no burst of publishes can take every pooled connection from the readers;
 * large GraphQL answers are built through another (`LargeAnswerLane`, src/graphql/cost.ts).
 */
export class Bulkhead {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly limit: number,
    private readonly waitMs: number,
    /** What a waiter that waited too long is refused with: a dependency's SERVICE_UNAVAILABLE, or an error of its own. */
    private readonly refusal: Dependency | (() => Error),
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`a bulkhead needs a limit of at least 1, not ${limit}`);
  }

  get inFlight(): number {
    return this.running;
  }

  /**
   * Takes a slot for work that does not fit one callback (it starts in one hook and ends in
   * another); the answer releases it, once, however often it is called.
   */
  async enter(): Promise<() => void> {
    await this.acquire();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.releaseOne();
    };
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
        reject(typeof this.refusal === 'function' ? this.refusal() : new ServiceUnavailableError(this.refusal));
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
