/**
 * Flows read from published archives, keyed by the archive's sha256. A version's archive never
 * changes (write-once blobs, docs/API.md "Rules"), so an entry never goes stale: install skips the blob
 * download, the hash check and the unzip for an archive it has already verified. Least recently
 * used entries go first once the archives held exceed `maxBytes`. Entries are frozen: every
 * install shares them.
 */
export class ArchiveCache {
  private readonly entries = new Map<string, { flow: Readonly<Record<string, unknown>>; bytes: number }>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(sha256: string): Readonly<Record<string, unknown>> | undefined {
    const entry = this.entries.get(sha256);
    if (!entry) return undefined;
    // Map keeps insertion order: re-inserting marks the entry as the most recently used.
    this.entries.delete(sha256);
    this.entries.set(sha256, entry);
    return entry.flow;
  }

  /** `bytes`: the archive's size, the weight of the entry. Archives over the budget are not kept. */
  set(sha256: string, flow: Record<string, unknown>, bytes: number): Readonly<Record<string, unknown>> {
    const frozen = deepFreeze(flow);
    if (bytes > this.maxBytes || this.entries.has(sha256)) return frozen;
    this.entries.set(sha256, { flow: frozen, bytes });
    this.bytes += bytes;
    for (const [key, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(key);
      this.bytes -= entry.bytes;
    }
    return frozen;
  }

  get size(): number {
    return this.entries.size;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
