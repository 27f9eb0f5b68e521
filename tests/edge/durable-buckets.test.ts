/** Token buckets in Durable Objects: the object on a scripted storage, then the store and object in real workerd (wrangler dev). */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { TakeResult } from "../../src/auth/bucket.ts";
import { BucketObject, type BucketObjectState, type BucketStub, DurableBucketStore } from "../../src/auth/durable-store.ts";
import { ApiError } from "../../src/server/errors.ts";
import { ROOT, type RunningHost, startHost } from "./hosts.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Practically no refill within a test. */
const SLOW = 1e-9;

/** A Durable Object state on a Map, with the pending alarm exposed. */
function scriptedState() {
  const stored = new Map<string, unknown>();
  const state = {
    stored,
    alarmAt: undefined as number | undefined,
    storage: {
      get: async <T>(key: string) => stored.get(key) as T | undefined,
      put: async <T>(key: string, value: T) => void stored.set(key, structuredClone(value)),
      deleteAll: async () => stored.clear(),
      setAlarm: async (time: number) => void (state.alarmAt = time),
    },
    blockConcurrencyWhile: <T>(fn: () => Promise<T>) => fn(),
  };
  return state satisfies BucketObjectState;
}

const post = (object: BucketObject, body: unknown, method = "POST") =>
  object.fetch(new Request("https://bucket/take", { method, body: method === "POST" ? (typeof body === "string" ? body : JSON.stringify(body)) : null }));

describe("BucketObject on a scripted storage", () => {
  test("drains, refuses with a wait, persists, and schedules an alarm for when it is full again", async () => {
    const state = scriptedState();
    const object = new BucketObject(state);
    const take = { capacity: 2, perMs: 0.001, cost: 1, need: 1 };
    assert.deepEqual(await (await post(object, take)).json(), { ok: true, retryAfterMs: 0 });
    assert.deepEqual(await (await post(object, take)).json(), { ok: true, retryAfterMs: 0 });
    const refused = (await (await post(object, take)).json()) as TakeResult;
    assert.equal(refused.ok, false);
    assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 1000, String(refused.retryAfterMs));
    assert.ok(state.stored.has("bucket"));
    assert.ok(state.alarmAt !== undefined && state.alarmAt > Date.now());
    // A new object on the same storage (after eviction) resumes from the stored level.
    const revived = new BucketObject(state);
    await sleep(0);
    assert.equal(((await (await post(revived, take)).json()) as TakeResult).ok, false);
  });

  test("need null charges unconditionally (debt)", async () => {
    const object = new BucketObject(scriptedState());
    assert.deepEqual(await (await post(object, { capacity: 3, perMs: 0.001, cost: 5, need: null })).json(), { ok: true, retryAfterMs: 0 });
    const refused = (await (await post(object, { capacity: 3, perMs: 0.001, cost: 1, need: 1 })).json()) as TakeResult;
    assert.ok(!refused.ok && refused.retryAfterMs > 2900 && refused.retryAfterMs <= 3000, JSON.stringify(refused));
  });

  test("the alarm drops a full bucket and pushes itself back while it is not full", async () => {
    const state = scriptedState();
    const object = new BucketObject(state);
    await post(object, { capacity: 1, perMs: 1e-3, cost: 1, need: 1 });
    const first = state.alarmAt!;
    await post(object, { capacity: 1, perMs: 1e-3, cost: 0, need: -1e9 }); // a later take: the alarm stays put
    assert.equal(state.alarmAt, first);
    await object.alarm(); // fired early (not full yet): rescheduled, nothing dropped
    assert.ok(state.stored.has("bucket") && state.alarmAt! >= first);
    await post(object, { capacity: 1, perMs: 1, cost: 0, need: 0 }); // a faster refill: full at once
    await sleep(2);
    await object.alarm();
    assert.equal(state.stored.size, 0);
    assert.deepEqual(await (await post(object, { capacity: 1, perMs: SLOW, cost: 1, need: 1 })).json(), { ok: true, retryAfterMs: 0 });
  });

  test("bad input is a 400 naming the field; not a POST is a 405", async () => {
    const object = new BucketObject(scriptedState());
    const good = { capacity: 1, perMs: 1, cost: 1, need: 1 };
    const cases: [unknown, string][] = [
      ["{", "invalid_json"],
      [[], "invalid_request"],
      [{ ...good, capacity: 0 }, "capacity"],
      [{ ...good, perMs: -1 }, "perMs"],
      [{ ...good, cost: -1 }, "cost"],
      [{ ...good, cost: "NaN" }, "cost"],
      [{ ...good, need: "Infinity" }, "need"],
      [{ ...good, extra: 1 }, "extra"],
      [{ capacity: 1 }, "perMs"],
    ];
    for (const [body, mentions] of cases) {
      const res = await post(object, body);
      const text = await res.text();
      assert.equal(res.status, 400, text);
      assert.match(text, new RegExp(mentions), JSON.stringify(body));
    }
    assert.equal((await post(object, good, "GET")).status, 405);
  });
});

describe("DurableBucketStore on scripted objects", () => {
  const namespace = (stub: (name: string) => BucketStub) => ({ idFromName: (name: string) => name, get: stub });

  test("one object per key; -Infinity travels as null; NaN fails closed with a 503", async () => {
    const objects = new Map<string, BucketObject>();
    const store = new DurableBucketStore(namespace((name) => ({
      fetch: (input, init) => {
        if (!objects.has(name)) objects.set(name, new BucketObject(scriptedState()));
        return objects.get(name)!.fetch(new Request(input, init));
      },
    })));
    const spec = { capacity: 1, perMs: SLOW };
    assert.equal((await store.take("a", spec, { cost: 1, need: 1 })).ok, true);
    assert.equal((await store.take("a", spec, { cost: 1, need: 1 })).ok, false);
    assert.equal((await store.take("b", spec, { cost: 1, need: 1 })).ok, true);
    assert.equal((await store.take("c", spec, { cost: 5, need: -Infinity })).ok, true);
    for (const cost of [NaN, Infinity]) {
      await assert.rejects(store.take("d", spec, { cost, need: 1 }), (err: unknown) =>
        err instanceof ApiError && err.status === 503 && err.code === "rate_limit_store_unavailable" && /400/.test(String((err.cause as Error).message)));
    }
    await store.close();
  });

  test("an object that throws or never answers is a 503 (the latter after 2 s)", async () => {
    const failing = new DurableBucketStore(namespace(() => ({ fetch: () => Promise.reject(new Error("object reset")) })));
    await assert.rejects(failing.take("k", { capacity: 1, perMs: 1 }, { cost: 1, need: 1 }), (err: unknown) => err instanceof ApiError && err.status === 503);
    const hung = new DurableBucketStore(namespace(() => ({ fetch: () => new Promise<Response>(() => {}) })));
    const started = Date.now();
    await assert.rejects(hung.take("k", { capacity: 1, perMs: 1 }, { cost: 1, need: 1 }), (err: unknown) =>
      err instanceof ApiError && err.status === 503 && /no answer within 2000 ms/.test(String((err.cause as Error).message)));
    assert.ok(Date.now() - started >= 1900);
  });
});

/** The test worker: `/take?key&capacity&perMs&cost&need` runs the store; `/raw?key` posts its body straight to the object. */
const workerSource = () => `
import { BucketObject, DurableBucketStore } from ${JSON.stringify(`${ROOT}src/auth/durable-store.ts`)};
import { ApiError } from ${JSON.stringify(`${ROOT}src/server/errors.ts`)};
export { BucketObject };
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const key = url.searchParams.get("key") ?? "";
    const q = (name) => Number(url.searchParams.get(name));
    if (url.pathname === "/livez") return new Response("ok");
    if (url.pathname === "/raw") {
      return env.BUCKETS.get(env.BUCKETS.idFromName(key)).fetch("https://bucket/take", { method: "POST", body: await request.text() });
    }
    try {
      const store = new DurableBucketStore(env.BUCKETS);
      return Response.json(await store.take(key, { capacity: q("capacity"), perMs: q("perMs") }, { cost: q("cost"), need: q("need") }));
    } catch (err) {
      if (err instanceof ApiError) return Response.json(err.toBody(), { status: err.status });
      throw err;
    }
  },
};
`;

const wranglerToml = `
name = "rsk-durable-buckets-test"
main = "worker.ts"
compatibility_date = "2026-04-01"

[[durable_objects.bindings]]
name = "BUCKETS"
class_name = "BucketObject"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["BucketObject"]
`;

/** The test worker under wrangler dev, in a temp folder of its own. */
async function startWorker(dir: string): Promise<RunningHost> {
  writeFileSync(join(dir, "worker.ts"), workerSource());
  writeFileSync(join(dir, "wrangler.toml"), wranglerToml);
  return await startHost("workerd", {}, { workerConfig: join(dir, "wrangler.toml") });
}

describe("DurableBucketStore in workerd (wrangler dev --local)", () => {
  const dir = mkdtempSync(join(tmpdir(), "rsk-workerd-buckets-"));
  let dev: Promise<RunningHost> | undefined;
  let n = 0;
  // Started by the first test that needs it, not in a `before` hook: Bun 1.4.5 gives node:test hooks a fixed 5 s
  // timeout (their options are ignored), and startup can take longer on a busy machine. Tests honour `timeout`.
  const base = async () => (await (dev ??= startWorker(dir))).url;
  const WORKERD = { timeout: 90_000 };
  after(async () => {
    await (await dev?.catch(() => undefined))?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A key no earlier take used. */
  const fresh = () => `k${++n}-${Date.now()}`;
  const take = async (key: string, capacity: number, perMs = SLOW, cost = 1, need = 1) => {
    const res = await fetch(`${await base()}/take?${new URLSearchParams({ key, capacity: String(capacity), perMs: String(perMs), cost: String(cost), need: String(need) })}`);
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text) as TakeResult & { error?: { code: string } }, text };
  };

  test("capacity 3 admits 3 takes and refuses the 4th with a wait; other keys are independent", WORKERD, async () => {
    const key = fresh();
    for (let i = 0; i < 3; i++) assert.deepEqual((await take(key, 3)).body, { ok: true, retryAfterMs: 0 });
    const refused = await take(key, 3);
    assert.equal(refused.status, 200, refused.text);
    assert.equal(refused.body.ok, false);
    assert.ok(refused.body.retryAfterMs > 0, refused.text);
    assert.deepEqual((await take(fresh(), 3)).body, { ok: true, retryAfterMs: 0 });
  });

  test("20 concurrent takes on capacity 10 admit exactly 10", WORKERD, async () => {
    const key = fresh();
    const results = await Promise.all(Array.from({ length: 20 }, () => take(key, 10)));
    assert.deepEqual(results.map((r) => r.status), Array(20).fill(200));
    assert.equal(results.filter((r) => r.body.ok).length, 10);
  });

  test("refills with workerd's clock; unconditional takes go into debt", WORKERD, async () => {
    const key = fresh();
    assert.equal((await take(key, 1, 0.01)).body.ok, true);
    const refused = (await take(key, 1, 0.01)).body;
    assert.ok(!refused.ok && refused.retryAfterMs > 0 && refused.retryAfterMs <= 100, JSON.stringify(refused));
    await sleep(150);
    assert.equal((await take(key, 1, 0.01)).body.ok, true);
    const debtor = fresh();
    assert.equal((await take(debtor, 3, 0.001, 5, -Infinity)).body.ok, true);
    const owing = (await take(debtor, 3, 0.001)).body;
    assert.ok(!owing.ok && owing.retryAfterMs > 2900 && owing.retryAfterMs <= 3000, JSON.stringify(owing));
  });

  test("bad input is a 400 from the object, and a 503 (fail closed) through the store", WORKERD, async () => {
    const raw = await fetch(`${await base()}/raw?key=${fresh()}`, { method: "POST", body: JSON.stringify({ capacity: -1, perMs: 1, cost: 1, need: 1 }) });
    const text = await raw.text();
    assert.equal(raw.status, 400, text);
    assert.match(text, /capacity/);
    const viaStore = await take(fresh(), 3, SLOW, NaN);
    assert.equal(viaStore.status, 503, viaStore.text);
    assert.equal(viaStore.body.error?.code, "rate_limit_store_unavailable");
  });
});
