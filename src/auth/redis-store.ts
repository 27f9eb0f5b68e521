/** Buckets in Redis, shared by every gateway instance: one atomic Lua script per take, Redis's clock for time. */
import { createHash } from "node:crypto";
import { createClient } from "redis";
import { ApiError } from "../server/errors.ts";
import type { BucketSpec, BucketStore, Take, TakeResult } from "./bucket.ts";

// Same arithmetic as takeFrom() in bucket.ts. Redis TIME (not the callers' clocks) so skewed instances agree;
// a drained bucket expires once it would be full again, so idle callers cost no memory.
const TAKE = `
local capacity, perMs, cost, need = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local s = redis.call('HMGET', KEYS[1], 'level', 'at')
local level = tonumber(s[1]) or capacity
local at = tonumber(s[2]) or now
level = math.min(capacity, level + math.max(0, now - at) * perMs)
local ok = level >= need
if ok then level = level - cost end
redis.call('HSET', KEYS[1], 'level', string.format('%.17g', level), 'at', string.format('%.17g', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - level) / perMs) + 1000)
if ok then return {1, 0} end
return {0, math.ceil((need - level) / perMs)}
`;
const SHA = createHash("sha1").update(TAKE).digest("hex");

/** Longest wait for Redis before a request is refused with 503 (fail closed: no store, no unlimited access). */
const TIMEOUT_MS = 2000;

// No offline queue: while Redis is away a take fails at once (503) instead of piling up behind a reconnect.
const newClient = (url: string) =>
  createClient({ url, disableOfflineQueue: true, socket: { connectTimeout: TIMEOUT_MS, reconnectStrategy: (n: number) => Math.min(50 * 2 ** n, 2000) } });

/** Token buckets in Redis (`RSK_REDIS_URL`). */
export class RedisBucketStore implements BucketStore {
  private constructor(private readonly client: ReturnType<typeof newClient>, private readonly prefix: string) {}

  /** Connects (throws when Redis is unreachable, so a misconfigured gateway does not start). */
  static async connect(url: string, prefix = "rsk:rl:", onError: (err: Error) => void = () => {}): Promise<RedisBucketStore> {
    const client = newClient(url);
    client.on("error", onError);
    await client.connect();
    return new RedisBucketStore(client, prefix);
  }

  /** One atomic take (EVALSHA, loading the script on NOSCRIPT). */
  async take(key: string, spec: BucketSpec, take: Take): Promise<TakeResult> {
    const options = {
      keys: [this.prefix + key],
      arguments: [String(spec.capacity), String(spec.perMs), String(take.cost), take.need === -Infinity ? "-1e300" : String(take.need)],
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    });
    try {
      const reply = await Promise.race([this.#eval(options), timeout]);
      const [ok, wait] = reply as [number, number];
      return { ok: ok === 1, retryAfterMs: wait };
    } catch (err) {
      throw new ApiError(503, "rate-limit store unavailable", { code: "rate_limit_store_unavailable", cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the connection (at once when Redis is unreachable: nothing to wait for). */
  async close(): Promise<void> {
    if (this.client.isReady) await this.client.close();
    else if (this.client.isOpen) this.client.destroy();
  }

  async #eval(options: { keys: string[]; arguments: string[] }): Promise<unknown> {
    try {
      return await this.client.evalSha(SHA, options);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
      return this.client.eval(TAKE, options);
    }
  }
}
