/**
 * Token buckets: the arithmetic shared by the in-memory store and the Redis Lua script (kept line for line alike).
 * A bucket may go into debt: completion tokens are charged after they were sent, and a caller in debt waits.
 */

/** Shape of one bucket. */
export interface BucketSpec {
  /** Most tokens the bucket holds (the burst). */
  capacity: number;
  /** Refill rate, tokens per millisecond. */
  perMs: number;
}

/** A bucket's stored state. */
export interface BucketState {
  /** Tokens available now (negative = debt). */
  level: number;
  /** When `level` was computed, in ms. */
  at: number;
}

/** One take: charge `cost` if at least `need` tokens are there (`need = -Infinity` charges unconditionally). */
export interface Take {
  /** Tokens removed when admitted. */
  cost: number;
  /** Tokens that must be available to admit. */
  need: number;
}

/** What a take did. */
export interface TakeResult {
  /** Whether it was admitted (and charged). */
  ok: boolean;
  /** When not admitted: ms until `need` tokens will be there. */
  retryAfterMs: number;
}

/** Applies `take` to `state` (undefined = a full, new bucket) at time `now`; returns the new state and the result. */
export function takeFrom(spec: BucketSpec, state: BucketState | undefined, take: Take, now: number): [BucketState, TakeResult] {
  const prior = state ?? { level: spec.capacity, at: now };
  let level = Math.min(spec.capacity, prior.level + Math.max(0, now - prior.at) * spec.perMs);
  const ok = level >= take.need;
  if (ok) level -= take.cost;
  const retryAfterMs = ok ? 0 : Math.ceil((take.need - level) / spec.perMs);
  return [{ level, at: now }, { ok, retryAfterMs }];
}

/** Where bucket states live: this process (memory) or shared by every gateway instance (Redis). */
export interface BucketStore {
  /** Atomically applies `take` to the bucket named `key`. */
  take(key: string, spec: BucketSpec, take: Take): Promise<TakeResult>;
  /** Releases connections. */
  close(): Promise<void>;
}

/** Buckets in this process; idle full buckets are dropped so memory stays bounded by active callers. */
export class MemoryBucketStore implements BucketStore {
  readonly #buckets = new Map<string, BucketState & { spec: BucketSpec }>();
  #takes = 0;

  /** Applies `take` now. */
  async take(key: string, spec: BucketSpec, take: Take): Promise<TakeResult> {
    const now = performance.now();
    if (++this.#takes % 4096 === 0) this.#sweep(now);
    const [state, result] = takeFrom(spec, this.#buckets.get(key), take, now);
    this.#buckets.set(key, { ...state, spec });
    return result;
  }

  /** Nothing to release. */
  async close(): Promise<void> {}

  #sweep(now: number): void {
    for (const [key, b] of this.#buckets) {
      if (b.level + (now - b.at) * b.spec.perMs >= b.spec.capacity) this.#buckets.delete(key);
    }
  }
}
