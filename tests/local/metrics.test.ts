/** `/metrics` of a local gateway counts its kernel calls: one batched call per decode step, one row per generated token. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { kernelMetrics } from "../../src/metrics/kernels.ts";
import { startLocalHarness } from "../server/local-harness.ts";
import { missingTools } from "../system-tools.ts";

/** Sum of a family's samples whose labels include `match`. */
function total(text: string, family: string, match = ""): number {
  return text.split("\n").filter((l) => l.startsWith(`${family}{`) && l.includes(match)).reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
}

test("rows = generated tokens, calls = batched decode steps, +Inf bucket = _count; promtool-clean", { timeout: 120_000 }, async () => {
  const h = await startLocalHarness();
  try {
    const metricsUrl = `${h.url.replace(/\/v1$/, "")}/metrics`;
    const before = await (await fetch(metricsUrl)).text();
    const rowsBefore = total(before, "rsk_kernel_rows_total"), stepsBefore = h.backend.engine.stats.batchedSteps;
    const countBefore = total(before, "rsk_kernel_call_seconds_count"), callsBefore = total(before, "rsk_kernel_calls_total");
    const answers = await Promise.all([1, 2].map((i) =>
      h.client.chat.completions.create({ model: "fixture", messages: [{ role: "user", content: `count ${i}` }], max_tokens: 8, n: 3, seed: i, temperature: 0.9 })));
    const generated = answers.reduce((sum, a) => sum + a.usage!.completion_tokens, 0);
    const text = await (await fetch(metricsUrl)).text();
    assert.equal(total(text, "rsk_kernel_rows_total") - rowsBefore, generated, "one kernel row per generated token");
    const calls = total(text, "rsk_kernel_calls_total") - callsBefore;
    assert.equal(calls, h.backend.engine.stats.batchedSteps - stepsBefore, "one batched kernel call per decode step");
    assert.equal(total(text, "rsk_kernel_calls_total", 'op="sample_batch"') - total(before, "rsk_kernel_calls_total", 'op="sample_batch"'), calls);
    assert.equal(total(text, "rsk_kernel_call_seconds_count") - countBefore, calls, "_count = calls");
    assert.equal(total(text, "rsk_kernel_call_seconds_bucket", 'le="+Inf"'), total(text, "rsk_kernel_call_seconds_count"), "+Inf bucket = observations");
    assert.equal(total(text, "rsk_kernel_calls_total"), ["native", "wasm", "ts", "pack"].reduce((sum, impl) => sum + total(text, "rsk_kernel_calls_total", `impl="${impl}"`), 0), "total = sum of the implementations");
    assert.ok(kernelMetrics.calls.get({ impl: h.backend.kernels.kind, op: "sample_batch" }) >= calls);
    if (!missingTools(["promtool", "--version"])) {
      const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
      assert.equal(`${check.stdout}${check.stderr}`.trim(), "");
    }
  } finally {
    await h.close();
  }
});
