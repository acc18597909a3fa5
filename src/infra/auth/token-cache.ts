import { decodeJwt } from 'jose';

/** Enough for every active caller of one instance; a token is about 1 KB, so a few MiB at most. */
const DEFAULT_MAX_ENTRIES = 5_000;

/**
 * What a token verified to, kept until the token's own `exp`: the same people call again and
 * again with the same token, and its signature check is the costliest step of a small request
 * (docs/PERFORMANCE.md). Keyed by the whole token, signature included, so only the very bytes
 * that were verified hit, and tied to the key (`kid`) that verified it: when that key leaves the
 * issuer's JWKS, its tokens are forgotten (`forgetKeys`). A bounded LRU: the least recently used
 * token goes first.
 */
export class VerifiedTokenCache<T> {
  private readonly entries = new Map<string, { value: T; expiresAtMs: number; kid: string }>();

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

  /** Keeps `value` for a token that key `kid` has just verified; returns it. */
  remember(token: string, kid: string | undefined, value: T): T {
    const exp = decodeJwt(token).exp;
    // Verification requires `exp`; without one there is no safe lifetime, so nothing is kept. Nor
    // without a kid: nothing would say when its key is removed.
    if (typeof exp !== 'number' || kid === undefined || this.maxEntries <= 0) return value;
    this.entries.delete(token);
    this.entries.set(token, { value, expiresAtMs: exp * 1000, kid });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }

  /** Forgets every token verified by one of these keys (they left the issuer's JWKS). */
  forgetKeys(kids: ReadonlySet<string>): void {
    for (const [token, entry] of this.entries) if (kids.has(entry.kid)) this.entries.delete(token);
  }

  get size(): number {
    return this.entries.size;
  }
}
