/**
 * Token buckets on Cloudflare Durable Objects, for gateways on Workers (where a Redis socket cannot outlive a request):
 * one object per bucket key applies takeFrom() to the state it holds in memory. Runtime-neutral: the Workers types it
 * needs are declared here structurally, so it loads and type-checks on Bun and Deno too.
 */
import * as v from "valibot";
import { ApiError } from "../server/errors.ts";
import { parseJsonBody, validate } from "../server/validate.ts";
import { type BucketSpec, type BucketState, type BucketStore, type Take, type TakeResult, takeFrom } from "./bucket.ts";

/** What the store posts to a bucket's object; `need: null` charges unconditionally (JSON has no -Infinity). */
export const TakeRequestSchema = v.strictObject({
  capacity: v.pipe(v.number(), v.finite(), v.gtValue(0)),
  perMs: v.pipe(v.number(), v.finite(), v.gtValue(0)),
  cost: v.pipe(v.number(), v.finite(), v.minValue(0)),
  need: v.nullable(v.pipe(v.number(), v.finite())),
});

/** The body of one take, as sent over the wire. */
export type TakeRequest = v.InferOutput<typeof TakeRequestSchema>;

/** The part of a Durable Object stub the store calls (`DurableObjectStub` satisfies it). */
export interface BucketStub {
  /** Sends one request to the object. */
  fetch(input: string, init?: RequestInit): Promise<Response>;
}

/** The part of a Durable Object namespace binding the store uses (`DurableObjectNamespace` satisfies it). */
export interface BucketNamespace<Id = unknown> {
  /** The id of the object named `name` (the same name always gives the same object). */
  idFromName(name: string): Id;
  /** A stub for the object `id`. */
  get(id: Id): BucketStub;
}

/** The part of `DurableObjectStorage` a bucket uses (the KV calls, available on both storage backends). */
export interface BucketStorage {
  /** Reads a stored value. */
  get<T>(key: string): Promise<T | undefined>;
  /** Writes a value (the output gate holds the response until it is durable). */
  put<T>(key: string, value: T): Promise<void>;
  /** Drops every stored value. */
  deleteAll(): Promise<void>;
  /** Schedules `alarm()` at `scheduledTime` (ms since the epoch), replacing any earlier schedule. */
  setAlarm(scheduledTime: number): Promise<void>;
}

/** The part of `DurableObjectState` a bucket uses. */
export interface BucketObjectState {
  /** This object's private storage. */
  readonly storage: BucketStorage;
  /** Holds every event until `fn` settles (used once, to load the state before the first take). */
  blockConcurrencyWhile<T>(fn: () => Promise<T>): Promise<T>;
}

/** A stored bucket and when it will be full again (then the alarm drops it). */
type StoredBucket = BucketState & { fullAt: number };

const KEY = "bucket";

/** The Durable Object class a worker exports: one bucket, one atomic take per POST of a TakeRequest. */
export class BucketObject {
  readonly #storage: BucketStorage;
  #bucket: StoredBucket | undefined;

  constructor(state: BucketObjectState, _env?: unknown) {
    this.#storage = state.storage;
    void state.blockConcurrencyWhile(async () => {
      this.#bucket = await this.#storage.get<StoredBucket>(KEY);
    });
  }

  /** Applies one take; 400 on a body that is not a TakeRequest. */
  async fetch(request: Request): Promise<Response> {
    let body: TakeRequest;
    try {
      if (request.method !== "POST") throw new ApiError(405, "POST a take", { code: "method_not_allowed" });
      body = validate(TakeRequestSchema, parseJsonBody(await request.arrayBuffer()));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return Response.json(err.toBody(), { status: err.status });
    }
    // Read, compute and replace in one synchronous step: no other event can run in between, gates or not.
    const fresh = this.#bucket === undefined;
    const spec: BucketSpec = { capacity: body.capacity, perMs: body.perMs };
    const [state, result] = takeFrom(spec, this.#bucket, { cost: body.cost, need: body.need ?? -Infinity }, Date.now());
    const fullAt = state.at + Math.max(0, Math.ceil((spec.capacity - state.level) / spec.perMs));
    this.#bucket = { ...state, fullAt };
    // While a bucket is stored an alarm is pending; with cost ≥ 0 `fullAt` never moves earlier, so one alarm per
    // drain suffices and alarm() pushes itself back when takes moved `fullAt` later.
    await Promise.all([this.#storage.put(KEY, this.#bucket), fresh ? this.#storage.setAlarm(fullAt) : undefined]);
    return Response.json(result);
  }

  /** Drops the bucket once it is full again (a new bucket starts full), so idle callers cost no storage. */
  async alarm(): Promise<void> {
    const bucket = this.#bucket;
    if (bucket === undefined) return;
    if (Date.now() < bucket.fullAt) return this.#storage.setAlarm(bucket.fullAt);
    this.#bucket = undefined;
    await this.#storage.deleteAll();
  }
}

/** Longest wait for a bucket's object before a request is refused with 503 (fail closed, as with Redis). */
const TIMEOUT_MS = 2000;

/** Token buckets in Durable Objects (one object per key), for gateways running on Cloudflare Workers. */
export class DurableBucketStore<Id = unknown> implements BucketStore {
  constructor(private readonly namespace: BucketNamespace<Id>) {}

  /** One atomic take in the object named `key`; any failure or a late answer is a 503. */
  async take(key: string, spec: BucketSpec, take: Take): Promise<TakeResult> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    });
    try {
      return await Promise.race([this.#call(key, spec, take), timeout]);
    } catch (err) {
      throw new ApiError(503, "rate-limit store unavailable", { code: "rate_limit_store_unavailable", cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Nothing to release: stubs hold no connection. */
  async close(): Promise<void> {}

  async #call(key: string, spec: BucketSpec, take: Take): Promise<TakeResult> {
    const request = { capacity: spec.capacity, perMs: spec.perMs, cost: take.cost, need: take.need === -Infinity ? null : take.need };
    const stub = this.namespace.get(this.namespace.idFromName(key));
    const response = await stub.fetch("https://bucket/take", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request, keepNonFinite),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`bucket object answered ${response.status}: ${text.slice(0, 200)}`);
    const reply = JSON.parse(text) as Partial<TakeResult>;
    if (typeof reply.ok !== "boolean" || typeof reply.retryAfterMs !== "number") throw new Error(`bucket object answered ${text.slice(0, 200)}`);
    return { ok: reply.ok, retryAfterMs: reply.retryAfterMs };
  }
}

// JSON.stringify turns NaN and ±Infinity into null, which would read as "unconditional": send them as strings so the
// object refuses them (400) and the take fails closed.
function keepNonFinite(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isFinite(value) ? String(value) : value;
}
