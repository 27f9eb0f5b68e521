/**
 * The bad-input battery against any running gateway:
 *   bun bench/battery.ts http://127.0.0.1:8787 [--key sk-...] [--json]
 * Runs every class from tests/hardening/battery-cases.ts in turn while a second client keeps asking for completions,
 * prints a table (class, status, expected, ms, server alive) and exits 1 if any class failed or the bystander did.
 * The bystander uses model "battery"; against an upstream that does not know it, its requests may fail upstream.
 */
import { parseArgs } from "node:util";
import { BATTERY, formatTable, runBattery } from "../tests/hardening/battery-cases.ts";

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  options: { key: { type: "string" }, json: { type: "boolean" } },
  allowPositionals: true,
});
const base = positionals[0]?.replace(/\/+$/, "").replace(/\/v1$/, "");
if (!base) {
  console.error("usage: bun bench/battery.ts <gateway-url> [--key <api key>] [--json]");
  process.exit(2);
}
const headers: Record<string, string> = values.key ? { authorization: `Bearer ${values.key}` } : {};

let running = true;
const bystander = { ok: 0, failed: 0, maxMs: 0 };
const background = (async () => {
  while (running) {
    const t0 = performance.now();
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ model: "battery", max_tokens: 8, messages: [{ role: "user", content: "hello" }] }),
    }).then(async (r) => (await r.arrayBuffer(), r.status), () => 0);
    bystander.maxMs = Math.max(bystander.maxMs, Math.round(performance.now() - t0));
    if (res === 200) bystander.ok++;
    else bystander.failed++;
    await new Promise((r) => setTimeout(r, 50));
  }
})();

const rows = await runBattery(base, headers);
running = false;
await background;

const failed = rows.filter((r) => !r.pass);
if (values.json) console.log(JSON.stringify({ base, classes: BATTERY.length, rows, bystander }, null, 2));
else {
  console.log(formatTable(rows));
  console.log(`\n${rows.length - failed.length}/${rows.length} classes ok; bystander: ${bystander.ok} ok, ${bystander.failed} failed, slowest ${bystander.maxMs} ms`);
}
process.exit(failed.length > 0 || bystander.failed > 0 ? 1 : 0);
