import { decodeJwt } from 'jose';

/** Enough for every active caller of one instance; a token is about 1 KB, so a few MiB at most. */
const DEFAULT_MAX_ENTRIES = 5_000;

/**
 * What a token verified to, kept until the token's own `exp`: the same people call again and
 * again with the same token, and its signature check is the costliest step of a small request
 * (docs/PERFORMANCE.md). Keyed by the whole token, signature included, so only the very bytes
 * that were verified hit. A bounded LRU: the least recently used token goes first.
 */
export class VerifiedTokenCache<T> {
  private readonly entries = new Map<string, { value: T; expiresAtMs: number }>();

  constructor(
    private readonly maxEntries = DEFAULT_MAX_ENTRIES,
    private readonly now: () => number = Date.now,
  ) {}

  get(token: string): T | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    this.entries.delete(token);
    if (entry.expiresAtMs <= this.now()) return undefined;
    this.entries.set(token, entry); // most recently used last
    return entry.value;
  }

  /** Keeps `value` for a token that has just been verified; returns it. */
  remember(token: string, value: T): T {
    const exp = decodeJwt(token).exp;
    // Verification requires `exp`; without one there is no safe lifetime, so nothing is kept.
    if (typeof exp !== 'number' || this.maxEntries <= 0) return value;
    this.entries.delete(token);
    this.entries.set(token, { value, expiresAtMs: exp * 1000 });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }

  get size(): number {
    return this.entries.size;
  }
}
