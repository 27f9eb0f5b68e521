/** The example pack's C gate kernel (ACME employee ids) through the real gateway: ids split over 1–3 character chunks never leak. */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { PackRegistry } from "../../src/packs/registry.ts";
import { type Harness, startHarness } from "../server/harness.ts";
import { packFiles, testKey } from "./fixture.ts";

const TEXT = "Your badge is EMP-4020178. The old one, EMP-1234566, expired; EMP-4020179 fails its check digit.";
const REDACTED = "Your badge is [REDACTED]. The old one, [REDACTED], expired; EMP-4020179 fails its check digit.";

describe("example gate kernel through the gateway", () => {
  let h: Harness | undefined;
  after(() => h?.close());

  /** The gateway, started on first use: the pack (signed with a key made now) installs first, then the policy naming it. */
  async function gateway(): Promise<Harness> {
    if (h) return h;
    const key = await testKey();
    await new PackRegistry([key.trusted]).install(await packFiles({ key, manifest: (m) => void (m.id = "acme-gateway") }));
    const dir = mkdtempSync(join(tmpdir(), "rsk-pack-policy-"));
    writeFileSync(join(dir, "acme.json"), JSON.stringify({
      name: "default",
      onError: "block",
      output: [
        { id: "employee-id", type: "kernel", pack: "acme-gateway", kernel: "employee_id", action: "redact", maxLength: 32 },
        { id: "email", type: "pii", detector: "email", action: "redact" },
      ],
    }));
    return (h = startHarness({ policy: join(dir, "acme.json") }));
  }

  for (const chunking of [1, 2, 3, undefined]) {
    test(`streamed in ${chunking ?? "one"}-character chunks: every valid id is redacted, nothing of it reaches the client`, { timeout: 30_000 }, async () => {
      const g = await gateway();
      const model = `acme-${chunking}`;
      g.upstream.scripts.set(model, { text: TEXT, chunking });
      const stream = await g.client.chat.completions.create({ model, stream: true, messages: [{ role: "user", content: "who am I?" }] });
      const pieces: string[] = [];
      for await (const chunk of stream) pieces.push(chunk.choices[0]?.delta.content ?? "");
      const out = pieces.join("");
      assert.equal(out, REDACTED);
      for (const id of ["EMP-4020178", "EMP-1234566"]) assert.ok(!out.includes(id), `${id} leaked`);
      assert.ok(pieces.length > 1 || chunking === undefined, "the response streamed");
    });
  }

  test("/metrics counts the pack kernel's calls under impl=\"pack\", op=\"gate_scan\", each with its latency", { timeout: 30_000 }, async () => {
    const g = await gateway();
    const count = async () => {
      const text = await (await fetch(g.url.replace(/\/v1$/, "/metrics"))).text();
      const value = (name: string) => Number(new RegExp(`^${name}\\{[^}]*impl="pack"[^}]*op="gate_scan"[^}]*\\} (\\d+)$`, "m").exec(text)?.[1] ?? 0);
      return { calls: value("rsk_kernel_calls_total"), observed: value("rsk_kernel_call_seconds_count") };
    };
    const before = await count();
    g.upstream.scripts.set("acme-metrics", { text: TEXT, chunking: 1 });
    await g.client.chat.completions.create({ model: "acme-metrics", messages: [{ role: "user", content: "who am I?" }] });
    const after = await count();
    assert.ok(after.calls - before.calls >= TEXT.length / 2, `one call per chunk or so: ${JSON.stringify({ before, after })}`);
    assert.equal(after.observed, after.calls, "every call has a latency observation");
  });

  test("non-streaming: the same redaction, and the policy's other rules still apply", { timeout: 30_000 }, async () => {
    const g = await gateway();
    g.upstream.scripts.set("acme-whole", { text: `${TEXT} Mail me at jo@example.com.`, chunking: 2 });
    const r = await g.client.chat.completions.create({ model: "acme-whole", messages: [{ role: "user", content: "who am I?" }] });
    assert.equal(r.choices[0]?.message.content, `${REDACTED} Mail me at [EMAIL].`);
  });
});
