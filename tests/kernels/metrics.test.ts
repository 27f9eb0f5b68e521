/** Kernel dispatch metrics: every call counted under its implementation; totals, parts and histogram buckets agree. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { stageRow } from "../../ffi/batch.ts";
import { KernelMetrics, meteredKernels } from "../../src/metrics/kernels.ts";
import { missingTools } from "../system-tools.ts";
import { implementations, logitsFor, plain, prng, randomLogits } from "./impls.ts";

/** Sample lines of the exposition as (name, labels, value). */
function samples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  return text.split("\n").filter((l) => l && !l.startsWith("#")).map((line) => {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line)!;
    const labels = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]));
    return { name: m[1]!, labels, value: Number(m[3]) };
  });
}

test("calls by implementation and op add up to the calls made; each histogram's buckets to its observations", () => {
  const metrics = new KernelMetrics();
  assert.equal(metrics.expose(), "", "nothing to expose before the first call");
  const random = prng(3);
  const made = new Map<string, number>();
  let rows = 0;
  for (const raw of implementations) {
    const k = meteredKernels(raw, metrics);
    const V = 200, values = randomLogits(random, V);
    const calls = 3 + Math.floor(random() * 5);
    for (let i = 0; i < calls; i++) k.sample(logitsFor(k, values, V), { params: { ...plain, topK: 20, step: i } });
    const batch = k.batch(V, 4, 0);
    for (let r = 0; r < 4; r++) stageRow(batch, r, { params: { ...plain, seed: r } });
    batch.run(4);
    batch.run(2);
    made.set(`${raw.kind} sample`, calls);
    made.set(`${raw.kind} sample_batch`, 2);
    rows += calls + 6;
  }
  const lines = samples(metrics.expose());
  const calls = lines.filter((s) => s.name === "rsk_kernel_calls_total");
  for (const [key, count] of made) {
    const [impl, op] = key.split(" ");
    assert.equal(calls.find((s) => s.labels.impl === impl && s.labels.op === op)?.value, count, key);
  }
  const total = [...made.values()].reduce((a, b) => a + b, 0);
  assert.equal(calls.reduce((sum, s) => sum + s.value, 0), total, "total = sum of the parts");
  assert.equal(lines.filter((s) => s.name === "rsk_kernel_rows_total").reduce((sum, s) => sum + s.value, 0), rows);
  for (const [key, count] of made) {
    const [impl, op] = key.split(" ");
    const series = lines.filter((s) => s.labels.impl === impl && s.labels.op === op);
    const buckets = series.filter((s) => s.name === "rsk_kernel_call_seconds_bucket");
    assert.equal(buckets.find((s) => s.labels.le === "+Inf")?.value, count, `${key}: +Inf bucket = observations`);
    assert.equal(series.find((s) => s.name === "rsk_kernel_call_seconds_count")?.value, count, `${key}: _count`);
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, `${key}: cumulative buckets`);
  }
});

test("the exposition passes promtool check metrics", { skip: missingTools(["promtool", "--version"]) }, () => {
  const metrics = new KernelMetrics();
  const k = meteredKernels(implementations[0]!, metrics);
  k.sample(logitsFor(k, new Float32Array(8).fill(1), 8), { params: plain });
  const check = spawnSync("promtool", ["check", "metrics"], { input: `${metrics.expose()}\n`, encoding: "utf8" });
  assert.equal(`${check.stdout}${check.stderr}`.trim(), "");
  assert.equal(check.status, 0);
});
