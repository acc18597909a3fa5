import { setTimeout as sleep } from 'node:timers/promises';
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { ServiceUnavailableError } from '../../common/errors';

/**
 * The issuer could not be asked (discovery or JWKS unreachable, or misconfigured). Not a 401:
 * the caller's token may be fine, so this is SERVICE_UNAVAILABLE (`dependency: issuer`); the
 * client sees a generic message, the log gets `detail` and the cause.
 */
export class TokenIssuerUnavailableError extends ServiceUnavailableError {
  constructor(
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super('issuer', 'The token issuer is unavailable; try again shortly');
    this.name = 'TokenIssuerUnavailableError';
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

interface IssuerKeySetOptions {
  jwksUri: URL;
  /** How old the known keys may be before a request waits for a fresh set; also the least time between two fetches. */
  cooldownMs: number;
  /** Past this age, keys that could not be fetched again no longer verify new tokens. */
  maxAgeMs: number;
  fetchTimeoutMs: number;
  /** Told the kids that left the set, so that what they verified is forgotten. */
  onKeysRemoved: (kids: ReadonlySet<string>) => void;
}

/**
 * The issuer's signing keys (its JWKS), kept current so that a key the issuer removes stops
 * working within the cooldown: a request that finds the set older than the cooldown waits for one
 * fetch (shared by every request meanwhile), and each fetch reports the kids that left. While the
 * issuer cannot be reached, the known keys go on verifying (up to `maxAgeMs`), since nothing says
 * they were removed. A token with an unseen `kid` waits for the next permitted fetch (at most one
 * per cooldown, so a flood of made-up kids cannot hammer the issuer) and is answered from what the
 * issuer says then: its key, no such key (401), or unreachable (503).
 */
export class IssuerKeySet {
  private local: JWTVerifyGetKey | undefined;
  private kids = new Set<string>();
  private fetchedAtMs = Number.NEGATIVE_INFINITY;
  private lastAttemptAtMs = Number.NEGATIVE_INFINITY;
  private lastAttemptFailed = false;
  private pending: Promise<void> | undefined;
  /** True while a fetch is actually on the wire (not while `pending` waits out the cooldown). */
  private fetching = false;

  constructor(private readonly options: IssuerKeySetOptions) {}

  /** Called before every verification, cached or not; throws only when no key was ever fetched. */
  async keepCurrent(): Promise<void> {
    if (!this.local) {
      if (!this.fetching) this.refuseWhileCoolingAfterFailure();
      return this.fetchSoon();
    }
    if (Date.now() - this.fetchedAtMs < this.options.cooldownMs) return;
    // After a failed fetch, the next one is made in the background: requests do not wait on an
    // issuer that is known to be away (nothing can be learned from it about removed keys).
    const fetched = this.fetchSoon().catch(() => undefined);
    if (!this.lastAttemptFailed) await fetched;
  }

  /** The key lookup for jwtVerify. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    if (!this.local || Date.now() - this.fetchedAtMs >= this.options.maxAgeMs) {
      throw new TokenIssuerUnavailableError(`No signing keys from ${this.options.jwksUri.href} within ${this.options.maxAgeMs} ms`);
    }
    const known = await this.lookUp(header, token);
    if (known) return known;
    // A fetch under way (say the first after an outage) may bring the key: its answer decides.
    if (this.fetching) {
      await this.pending?.catch(() => undefined);
      const fetched = await this.lookUp(header, token);
      if (fetched) return fetched;
    }
    this.refuseWhileCoolingAfterFailure();
    await this.fetchSoon();
    return this.local(header, token);
  };

  /** The key for this header among the known ones; undefined when no key has its kid. */
  private async lookUp(...[header, token]: Parameters<JWTVerifyGetKey>): Promise<Awaited<ReturnType<JWTVerifyGetKey>> | undefined> {
    try {
      return await this.local!(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) return undefined;
      throw error;
    }
  }

  private refuseWhileCoolingAfterFailure(): void {
    if (this.lastAttemptFailed && Date.now() - this.lastAttemptAtMs < this.options.cooldownMs) {
      throw new TokenIssuerUnavailableError(`The JWKS at ${this.options.jwksUri.href} could not be fetched`);
    }
  }

  /** One fetch at a time, at least a cooldown after the previous one; resolves when it is done. */
  private fetchSoon(): Promise<void> {
    this.pending ??= (async () => {
      try {
        const wait = this.lastAttemptAtMs + this.options.cooldownMs - Date.now();
        if (wait > 0) await sleep(wait, undefined, { ref: false });
        this.fetching = true;
        await this.fetchKeys();
      } finally {
        this.fetching = false;
        this.pending = undefined;
      }
    })();
    return this.pending;
  }

  private async fetchKeys(): Promise<void> {
    this.lastAttemptAtMs = Date.now();
    let jwks: JSONWebKeySet;
    let local: JWTVerifyGetKey;
    try {
      const response = await fetch(this.options.jwksUri, {
        headers: { accept: 'application/json' },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.fetchTimeoutMs),
      });
      if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
      jwks = (await response.json()) as JSONWebKeySet;
      local = createLocalJWKSet(jwks); // refuses anything that is not a JWKS
    } catch (cause) {
      this.lastAttemptFailed = true;
      throw new TokenIssuerUnavailableError(`The JWKS at ${this.options.jwksUri.href} could not be fetched`, { cause });
    }
    const kids = new Set(jwks.keys.map((key) => key.kid).filter((kid): kid is string => typeof kid === 'string'));
    const removed = new Set([...this.kids].filter((kid) => !kids.has(kid)));
    this.local = local;
    this.kids = kids;
    this.fetchedAtMs = Date.now();
    this.lastAttemptFailed = false;
    if (removed.size > 0) this.options.onKeysRemoved(removed);
  }
}
