/**
 * What the new detectors cost the default output policy per ~4-char token: process CPU time (robust to other load
 * on a shared machine), best of 12 interleaved streams over the gates bench's prose, for the old rule set, the whole
 * default, and the default without each group. Not a budget check: bench/gates.bench.ts is.
 *   bun tests/gates/detector-cost.ts
 */
import { readFileSync } from "node:fs";
import { compileGates, type GateRule } from "../../src/gates/mod.ts";
const out = (JSON.parse(readFileSync(new URL("../../policies/default.json", import.meta.url), "utf8")) as { output: GateRule[] }).output;
const OLD = ["email","phone","payment_card","iban","us_ssn","ipv4","ipv6","aws_access_key","github_token","slack_token","private_key","jwt","bearer_token"];
/** The gates bench's prose + PII sentences. */
const sentences = readFileSync(new URL("../../bench/gates.bench.ts", import.meta.url), "utf8").match(/^  ".*",$/gm)!
  .slice(0, 8).map((l) => JSON.parse(l.trim().slice(0, -1)) as string);
let text = ""; for (let i = 0; text.length < 4096; i++) text += sentences[(i * 5) % sentences.length];
const tokens: string[] = []; for (let i = 0; i < text.length; i += 4) tokens.push(text.slice(i, i + 4));
const without = (ds: string[]) => out.filter((r) => r.type !== "pii" || !ds.includes(r.detector));
const variants: Record<string, GateRule[]> = {
  old: out.filter((r) => r.type !== "pii" || OLD.includes(r.detector)),
  all: out,
  "-context5": without(["postal_code", "date_of_birth", "age", "passport_number", "drivers_license"]),
  "-name": without(["person_name"]), "-address": without(["street_address"]),
  "-secrets3": without(["url_credentials", "api_key", "generic_secret"]),
  "-ids,wallet,mac": without(["national_id", "crypto_wallet", "mac_address"]),
};
const sets = Object.fromEntries(Object.entries(variants).map(([k, r]) => [k, compileGates(r)]));
const best: Record<string, number> = {};
for (let round = 0; round < 15; round++) for (const [k, set] of Object.entries(sets)) {
  const s = set.open(); const a = process.cpuUsage(); for (const t of tokens) s.push(t); s.end(); const d = process.cpuUsage(a);
  const us = (d.user + d.system) / tokens.length; if (round > 2) best[k] = Math.min(best[k] ?? Infinity, us);
}
for (const [k, v] of Object.entries(best)) console.log(k.padEnd(16), v.toFixed(2), "µs/token CPU (best of 12)");
