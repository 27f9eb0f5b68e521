/**
 * The process-wide budget of cached token masks. Every grammar's mask cache counts against one byte total; past the
 * budget, the caches of the grammars used least recently are dropped. A dropped mask stays valid for whoever still
 * holds it (only the cache's reference goes), and a grammar the runtime collects leaves the total on its own.
 */

/** Default budget: 256 MiB (`RSK_GRAMMAR_CACHE_MB`). */
export const DEFAULT_MASK_CACHE_BYTES = 256 << 20;

let budget = DEFAULT_MASK_CACHE_BYTES;
let total = 0;
let clock = 0;

/** Bytes one grammar has cached (kept apart from its share, so that accounting does not keep the grammar alive). */
interface Account {
  bytes: number;
}

/** One grammar's part of the budget. */
export class CacheShare {
  readonly account: Account = { bytes: 0 };
  lastUsed = 0;

  constructor(
    /** Drops the grammar's cached masks (and calls `cleared`). */
    readonly drop: () => void,
  ) {}

  /** Marks the grammar as just used. */
  touch(): void {
    this.lastUsed = ++clock;
  }

  /** Counts `bytes` more cached masks; past the budget, drops the least recently used caches (this one last). */
  add(bytes: number): void {
    this.account.bytes += bytes;
    total += bytes;
    if (total > budget) evict();
  }

  /** The grammar dropped all its cached masks. */
  cleared(): void {
    total -= this.account.bytes;
    this.account.bytes = 0;
  }
}

/** Every share, held weakly, with its account (which outlives it, so that a collected grammar's bytes can leave). */
interface Entry {
  readonly ref: WeakRef<CacheShare>;
  readonly account: Account;
}

const shares = new Set<Entry>();

/** Takes a collected grammar's bytes out of the total (once: whichever of this and `evict` sees it first). */
function forget(entry: Entry): void {
  total -= entry.account.bytes;
  entry.account.bytes = 0;
  shares.delete(entry);
}

const collected = new FinalizationRegistry<Entry>(forget);

/** A new grammar's share of the budget; `drop` empties its cache. */
export function cacheShare(drop: () => void): CacheShare {
  const share = new CacheShare(drop);
  const entry = { ref: new WeakRef(share), account: share.account };
  shares.add(entry);
  collected.register(share, entry);
  return share;
}

/** Drops whole caches, least recently used first, until the total is back within the budget. */
function evict(): void {
  const live: CacheShare[] = [];
  for (const entry of shares) {
    const share = entry.ref.deref();
    if (!share) forget(entry);
    else if (share.account.bytes > 0) live.push(share);
  }
  live.sort((a, b) => a.lastUsed - b.lastUsed);
  for (const share of live) {
    if (total <= budget) return;
    share.drop();
  }
}

/** Sets the budget in bytes (at least one byte); caches over it are dropped now. */
export function setMaskCacheBudget(bytes: number): void {
  if (!(Number.isInteger(bytes) && bytes > 0)) throw new RangeError(`mask cache budget must be a positive whole number of bytes, got ${bytes}`);
  budget = bytes;
  if (total > budget) evict();
}

/** Bytes of token masks cached by every live grammar. */
export function maskCacheBytes(): number {
  return total;
}
