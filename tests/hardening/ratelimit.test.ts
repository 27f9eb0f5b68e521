/** Token buckets per key: requests/s and tokens/min, 429 with Retry-After; in memory and shared through a real Redis. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Authenticator } from "../../src/auth/authenticator.ts";
import { type BucketSpec, type BucketStore, MemoryBucketStore, type Take, takeFrom } from "../../src/auth/bucket.ts";
import { AuthFileSchema } from "../../src/auth/file.ts";
import { RateLimiter } from "../../src/auth/limiter.ts";
import { RedisBucketStore } from "../../src/auth/redis-store.ts";
import { startHarness, type Harness } from "../server/harness.ts";
import { authFile, chat, errorOf, KEYS, POLICIES, sleep } from "./fixtures.ts";
import { HAVE_REDIS, type RedisProcess, startRedis } from "./redis-server.ts";
import * as v from "valibot";

const authenticator = () => new Authenticator(v.parse(AuthFileSchema, authFile()));
const gateway = (store: BucketStore) => startHarness({ policy: POLICIES, access: { authenticator: authenticator(), limiter: new RateLimiter(store) } });

describe("token bucket arithmetic", () => {
  const spec: BucketSpec = { capacity: 10, perMs: 0.001 };
  test("starts full, refills at the rate, never above capacity", () => {
    let [s, r] = takeFrom(spec, undefined, { cost: 10, need: 10 }, 0);
    assert.deepEqual([s.level, r.ok], [0, true]);
    [s, r] = takeFrom(spec, s, { cost: 1, need: 1 }, 500);
    assert.deepEqual([r.ok, r.retryAfterMs], [false, 500]);
    [s, r] = takeFrom(spec, s, { cost: 1, need: 1 }, 1000);
    assert.deepEqual([r.ok, s.level], [true, 0]);
    [s] = takeFrom(spec, s, { cost: 0, need: 0 }, 1e9);
    assert.equal(s.level, 10);
  });
  test("unconditional charges go into debt; the caller waits until it is repaid", () => {
    let [s] = takeFrom(spec, undefined, { cost: 25, need: -Infinity }, 0);
    assert.equal(s.level, -15);
    const [, r] = takeFrom(spec, s, { cost: 1, need: 1 }, 0);
    assert.deepEqual([r.ok, r.retryAfterMs], [false, 16_000]);
  });
});

/** The rate-limit behaviour every store must show, through a real gateway. */
function gatewayLimits(name: string, open: () => Promise<BucketStore>) {
  describe(`rate limits through the gateway (${name})`, () => {
    let store: BucketStore;
    let h: Harness;
    before(async () => {
      store = await open();
      h = gateway(store);
      h.upstream.scripts.set("m", { text: "ok" });
      h.upstream.scripts.set("long", { text: "x".repeat(400) });
    });
    after(async () => {
      await h.close();
      await store.close();
    });

    test("requests/s: the burst passes, the next gets 429 with Retry-After; other keys are unaffected", async () => {
      assert.equal((await chat(h, KEYS.slow)).status, 200);
      assert.equal((await chat(h, KEYS.slow)).status, 200);
      const limited = await chat(h, KEYS.slow);
      assert.equal(limited.status, 429, limited.text);
      const err = errorOf(limited);
      assert.deepEqual([err.type, err.code], ["rate_limit_error", "rate_limit_requests"]);
      assert.ok(Number(limited.headers.get("retry-after")) >= 1);
      assert.equal((await chat(h, KEYS.admin)).status, 200);
    });

    test("tokens/min: released completion text is charged; the caller then waits", async () => {
      const first = await chat(h, KEYS.frugal, { model: "long" });
      assert.equal(first.status, 200, first.text);
      await sleep(200); // the meter charges a response's tail shortly after the last release
      const limited = await chat(h, KEYS.frugal);
      assert.equal(limited.status, 429, limited.text);
      assert.equal(errorOf(limited).code, "rate_limit_tokens");
      assert.ok(Number(limited.headers.get("retry-after")) >= 60, limited.headers.get("retry-after") ?? "");
    });
  });
}

gatewayLimits("memory", async () => new MemoryBucketStore());

describe("Redis store (real redis-server)", { skip: !HAVE_REDIS && "redis-server is not installed" }, () => {
  let redis: RedisProcess;
  before(async () => (redis = await startRedis()));
  after(() => redis?.stop());

  gatewayLimits("redis", () => RedisBucketStore.connect(redis.url, `rsk:test:${crypto.randomUUID()}:`));

  test("the Lua script computes what takeFrom computes", async () => {
    const store = await RedisBucketStore.connect(redis.url, `rsk:parity:${crypto.randomUUID()}:`);
    try {
      const spec: BucketSpec = { capacity: 5, perMs: 1e-9 }; // refill negligible: results do not depend on timing
      const takes: Take[] = [{ cost: 2, need: 2 }, { cost: 2, need: 2 }, { cost: 2, need: 2 }, { cost: 7, need: -Infinity }, { cost: 1, need: 1 }, { cost: 0, need: 0 }];
      let state;
      for (const take of takes) {
        const [next, expected] = takeFrom(spec, state, take, 0);
        state = next;
        const got = await store.take("k", spec, take);
        assert.equal(got.ok, expected.ok, JSON.stringify(take));
        if (!got.ok) assert.ok(Math.abs(got.retryAfterMs - expected.retryAfterMs) / expected.retryAfterMs < 1e-3);
      }
    } finally {
      await store.close();
    }
  });

  test("two gateway instances share one key's budget", async () => {
    const prefix = `rsk:shared:${crypto.randomUUID()}:`;
    const [sa, sb] = [await RedisBucketStore.connect(redis.url, prefix), await RedisBucketStore.connect(redis.url, prefix)];
    const [a, b] = [gateway(sa), gateway(sb)];
    try {
      assert.equal((await chat(a, KEYS.slow)).status, 200);
      assert.equal((await chat(b, KEYS.slow)).status, 200);
      assert.equal((await chat(a, KEYS.slow)).status, 429);
      assert.equal((await chat(b, KEYS.slow)).status, 429);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await Promise.all([sa.close(), sb.close()]);
    }
  });

  test("Redis going away fails closed with 503", async () => {
    const own = await startRedis();
    const store = await RedisBucketStore.connect(own.url, "rsk:down:");
    const h = gateway(store);
    try {
      assert.equal((await chat(h, KEYS.slow)).status, 200);
      await own.stop();
      const res = await chat(h, KEYS.slow);
      assert.equal(res.status, 503, res.text);
      assert.equal(errorOf(res).code, "rate_limit_store_unavailable");
      assert.equal((await chat(h, KEYS.admin)).status, 200, "keys without limits do not need the store");
    } finally {
      await h.close();
      await store.close().catch(() => {});
    }
  });
});
