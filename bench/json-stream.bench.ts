/**
 * Per-fragment cost of JsonTextGate against plain text gating of the SAME fragments in the same run: tool-call
 * arguments (~4 KB of JSON: records with emails, cards, phones, prose, numbers, some `\u` escapes) cut into ~4-char
 * fragments, default policy output rules. Peers: a no-op loop and the text gates over the raw JSON text.
 *   bun bench/json-stream.bench.ts     → bench/results/json-stream.json
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { compileGates, type GateRule, type GateSet } from "../src/gates/mod.ts";
import { JsonTextGate } from "../src/guard/json-stream.ts";
import { tokenize } from "./tokens.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const gates = compileGates((JSON.parse(readFileSync(`${root}policies/default.json`, "utf8")) as { output: GateRule[] }).output);

const bodies = [
  "Hi Jane, the refund for your order went through; reach me at jane.roe@example.com or +1 (555) 123-4567.",
  "In general, streaming responses should be checked token by token, because a model can produce anything.",
  "Card 4111 1111 1111 1111 was charged twice; the server 192.168.10.24 logged it at 10:32.",
  "Meanwhile, the quarterly numbers improved by 12% compared to last year, mostly thanks to lower support costs.",
];
function records(bytes: number, clean: boolean): string {
  const list: unknown[] = [];
  for (let i = 0; JSON.stringify(list).length < bytes; i++) {
    list.push({
      to: clean ? `team-${i}` : `user${i}@example.com`, subject: `Re: ticket #${1000 + i}`,
      body: bodies[clean ? 1 + (i % 2) * 2 : i % bodies.length], amount: clean ? 12.5 * i : 4111111111111111,
      cc: ["ops", "billing"], urgent: i % 3 === 0, meta: { attempt: i, tags: ["a", "b"], note: null },
    });
  }
  const json = JSON.stringify({ messages: list });
  // Some escapes, as models write them: `\u0040` for @, `\/`.
  return clean ? json : json.replaceAll("@example", "\\u0040example").replaceAll("Re: ", "Re:\\/ ");
}


const piiFragments = tokenize(records(4096, false));
const cleanFragments = tokenize(records(4096, true));

function textGates(set: GateSet, frags: readonly string[]): number {
  const stream = set.open();
  let n = 0;
  for (const f of frags) n += stream.push(f).text.length;
  return n + stream.end().text.length;
}
function jsonGate(set: GateSet, frags: readonly string[]): number {
  const gate = new JsonTextGate(set);
  let n = 0;
  for (const f of frags) n += gate.push(f).text.length;
  const last = gate.end();
  if (last.error !== undefined) throw new Error(last.error);
  return n + last.text.length;
}

/** Per-push latency (ns) percentiles, both gates interleaved per round so load and JIT state hit them alike. */
function perPush(frags: readonly string[], rounds: number): { text: number[]; json: number[] } {
  const t = new Float64Array(frags.length * rounds), j = new Float64Array(frags.length * rounds);
  for (let r = 0; r < rounds; r++) {
    for (const which of r % 2 === 0 ? [0, 1] : [1, 0]) {
      const out = which === 0 ? t : j;
      const push = which === 0 ? gates.open() : new JsonTextGate(gates);
      for (let k = 0; k < frags.length; k++) {
        const t0 = performance.now();
        push.push(frags[k]!);
        out[r * frags.length + k] = (performance.now() - t0) * 1e6;
      }
      push.end();
    }
  }
  const pct = (x: Float64Array) => {
    x.sort();
    return [x[Math.floor(x.length * 0.5)]!, x[Math.floor(x.length * 0.99)]!].map(Math.round);
  };
  return { text: pct(t), json: pct(j) };
}

perPush(piiFragments, 4);
const pushPii = perPush(piiFragments, 20), pushClean = perPush(cleanFragments, 20);

summary(() => {
  group(`tool-call arguments, ~4-char fragments, default output rules`, () => {
    bench(`noop (${piiFragments.length} fragments)`, () => {
      let n = 0;
      for (const f of piiFragments) n += f.length;
      return do_not_optimize(n);
    });
    bench(`text gates: JSON with PII (${piiFragments.length} fragments)`, () => do_not_optimize(textGates(gates, piiFragments)));
    bench(`JsonTextGate: JSON with PII (${piiFragments.length} fragments)`, () => do_not_optimize(jsonGate(gates, piiFragments)));
    bench(`text gates: clean JSON (${cleanFragments.length} fragments)`, () => do_not_optimize(textGates(gates, cleanFragments)));
    bench(`JsonTextGate: clean JSON (${cleanFragments.length} fragments)`, () => do_not_optimize(jsonGate(gates, cleanFragments)));
  });
});

const result = await run();
const statsOf = (prefix: string) => result.benchmarks.find((b) => b.alias.startsWith(prefix))?.runs[0]?.stats;
const perFragment = (prefix: string, n: number) => {
  const stats = statsOf(prefix);
  return stats ? Math.round(stats.avg / n) : undefined;
};
const cases = {
  noop: { ns_per_fragment_avg: perFragment("noop", piiFragments.length) },
  text_gates_pii: { ns_per_fragment_avg: perFragment("text gates: JSON with PII", piiFragments.length), push_p50_ns: pushPii.text[0], push_p99_ns: pushPii.text[1] },
  json_gate_pii: { ns_per_fragment_avg: perFragment("JsonTextGate: JSON with PII", piiFragments.length), push_p50_ns: pushPii.json[0], push_p99_ns: pushPii.json[1] },
  text_gates_clean: { ns_per_fragment_avg: perFragment("text gates: clean JSON", cleanFragments.length), push_p50_ns: pushClean.text[0], push_p99_ns: pushClean.text[1] },
  json_gate_clean: { ns_per_fragment_avg: perFragment("JsonTextGate: clean JSON", cleanFragments.length), push_p50_ns: pushClean.json[0], push_p99_ns: pushClean.json[1] },
};
const ratio = (a?: number, b?: number) => a !== undefined && b ? Number((a / b).toFixed(2)) : undefined;
const report = {
  runtime: result.context.runtime, cpu: result.context.cpu.name, date: new Date().toISOString(),
  rules: "policies/default.json#output", fragments: { pii: piiFragments.length, clean: cleanFragments.length }, cases,
  ratio_json_vs_text_pii: ratio(cases.json_gate_pii.ns_per_fragment_avg, cases.text_gates_pii.ns_per_fragment_avg),
  ratio_json_vs_text_clean: ratio(cases.json_gate_clean.ns_per_fragment_avg, cases.text_gates_clean.ns_per_fragment_avg),
};
mkdirSync(`${root}bench/results`, { recursive: true });
writeFileSync(`${root}bench/results/json-stream.json`, JSON.stringify(report, null, 2) + "\n");
console.log(`\nper fragment (avg): JSON with PII ${cases.json_gate_pii.ns_per_fragment_avg} ns vs text ${cases.text_gates_pii.ns_per_fragment_avg} ns ` +
  `(×${report.ratio_json_vs_text_pii}); clean ${cases.json_gate_clean.ns_per_fragment_avg} vs ${cases.text_gates_clean.ns_per_fragment_avg} ns ` +
  `(×${report.ratio_json_vs_text_clean}); push p50/p99 JSON ${pushPii.json.join("/")} ns, text ${pushPii.text.join("/")} ns`);
console.log("wrote bench/results/json-stream.json");
