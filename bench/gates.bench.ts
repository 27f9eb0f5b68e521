/**
 * Per-token cost of the text gates on streamed text (~4-char tokens): the default policy's output rules over
 * prose mixed with PII, clean prose, and a ReDoS-shaped input; per-push latency p50/p99 checked against the
 * "gates" budget. Peers in the same run: a no-op stream, and the runtime's own (backtracking) RegExp.
 *   bun bench/gates.bench.ts        (also: deno run -A bench/gates.bench.ts)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { compileGates, PII_DETECTORS, type GateRule, type GateSet } from "../src/gates/mod.ts";
import { DETECTORS } from "../src/gates/pii/detectors.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const policyPath = `${root}policies/default.json`;
const outputRules: GateRule[] = existsSync(policyPath)
  ? (JSON.parse(readFileSync(policyPath, "utf8")) as { output: GateRule[] }).output
  : [
    ...PII_DETECTORS.map((detector): GateRule => ({ id: detector, type: "pii", detector, action: "redact" })),
    { id: "danger", type: "phrases", phrases: ["how to build a bomb", "synthesize sarin"], action: "block" },
  ];
const rulesSource = existsSync(policyPath) ? "policies/default.json#output" : "inline equivalent";

const sentences = [
  "Sure, here is a summary of the account changes you asked about. ",
  "The customer, Jane Roe, can be reached at jane.roe@example.com or on +1 (555) 123-4567 during office hours. ",
  "Her card ending in 1111 (4111 1111 1111 1111) was charged twice, so we issued a refund to DE89 3704 0044 0532 0130 00. ",
  "The server at 192.168.10.24 and its IPv6 peer 2001:db8::8a2e:370:7334 logged the request at 10:32. ",
  "Please rotate the leaked key AKIAIOSFODNN7EXAMPLE and the token ghp_A1b2C3d4E5A1b2C3d4E5A1b2C3d4E5abcdef today. ",
  "In general, streaming responses should be checked token by token, because a model can produce anything. ",
  "Version 1.2.3 of the library fixed the issue; see section 4.2 and page 17 for the details of the migration. ",
  "Meanwhile, the quarterly numbers improved by 12% compared to last year, mostly thanks to lower support costs. ",
];
const clean = [sentences[0], sentences[5], sentences[6], sentences[7]].join("");

function proseOf(parts: readonly string[], bytes: number): string {
  let text = "";
  for (let i = 0; text.length < bytes; i++) text += parts[(i * 5) % parts.length];
  return text;
}

/** Deterministic 1–7 char tokens averaging ~4, like a BPE tokenizer's output on English. */
function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let seed = 42;
  for (let i = 0; i < text.length;) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const len = 1 + (seed % 7);
    tokens.push(text.slice(i, i + len));
    i += len;
  }
  return tokens;
}

const mixedTokens = tokenize(proseOf(sentences, 4096));
const cleanTokens = tokenize(proseOf([clean], 4096));
const redosTokens = tokenize("a".repeat(100_000));
const gates = compileGates(outputRules);
const redosGates = compileGates([
  ...outputRules,
  { id: "redos-1", type: "regex", pattern: "(a+)+$", action: "redact" },
  { id: "redos-2", type: "regex", pattern: "(a|aa)*b", action: "redact" },
]);

function streamAll(set: GateSet, tokens: readonly string[]): number {
  const stream = set.open();
  let released = 0;
  for (const token of tokens) released += stream.push(token).text.length;
  return released + stream.end().text.length;
}

/** The runtime's RegExp over the whole text at once, same shapes, no validators, no streaming: a speed reference. */
const nativePatterns = PII_DETECTORS.map((d) => new RegExp(DETECTORS[d].pattern, "g"));
function nativeWhole(tokens: readonly string[]): number {
  let text = tokens.join("");
  for (const pattern of nativePatterns) text = text.replace(pattern, "[X]");
  return text.length;
}

summary(() => {
  group("stream of ~4-char tokens, default output rules", () => {
    bench(`noop stream (${mixedTokens.length} tokens)`, () => {
      let n = 0;
      for (const token of mixedTokens) n += token.length;
      return do_not_optimize(n);
    });
    bench(`gates: prose + PII (${mixedTokens.length} tokens)`, () => do_not_optimize(streamAll(gates, mixedTokens)));
    bench(`gates: clean prose (${cleanTokens.length} tokens)`, () => do_not_optimize(streamAll(gates, cleanTokens)));
    bench(`native RegExp, whole text once (${mixedTokens.length} tokens)`, () => do_not_optimize(nativeWhole(mixedTokens)));
  });
});
group("ReDoS-shaped input", () => {
  bench(`gates + (a+)+$ + (a|aa)*b on 100 KB (${redosTokens.length} tokens)`, () => do_not_optimize(streamAll(redosGates, redosTokens)));
  bench("native RegExp (a|aa)*b on 24 chars", () => do_not_optimize(/(a|aa)*b/.test("a".repeat(24))));
});

const result = await run();

/** Per-push latency over repeated streams: the distribution the budget is about (timer overhead included). */
function perPush(set: GateSet, tokens: readonly string[], rounds: number): { p50: number; p99: number; avg: number } {
  const samples = new Float64Array(tokens.length * rounds);
  let k = 0;
  for (let r = 0; r < rounds; r++) {
    const stream = set.open();
    for (const token of tokens) {
      const t0 = performance.now();
      stream.push(token);
      samples[k++] = (performance.now() - t0) * 1e6;
    }
    stream.end();
  }
  samples.sort();
  const sum = samples.reduce((a, b) => a + b, 0);
  return { p50: samples[Math.floor(samples.length * 0.5)]!, p99: samples[Math.floor(samples.length * 0.99)]!, avg: sum / samples.length };
}

const budgets = JSON.parse(readFileSync(`${root}bench/budgets.json`, "utf8")) as Record<string, Record<string, number>>;
const budget = budgets.gates ?? { p50_ns_per_token: 2000, p99_ns_per_token: 10000 };
const statsOf = (prefix: string) => result.benchmarks.find((b) => b.alias.startsWith(prefix))?.runs[0]?.stats;
const caseOf = (prefix: string, tokens: number, push?: { p50: number; p99: number }) => {
  const stats = statsOf(prefix);
  if (!stats) return undefined;
  return {
    tokens, ns_per_token_avg: stats.avg / tokens, tokens_per_s: Math.round(tokens / (stats.avg / 1e9)),
    ...(push ? { push_p50_ns: Math.round(push.p50), push_p99_ns: Math.round(push.p99) } : {}),
  };
};
const mixedPush = perPush(gates, mixedTokens, 20);
const cleanPush = perPush(gates, cleanTokens, 20);
const redosPush = perPush(redosGates, redosTokens, 1);
const cases = {
  noop: caseOf("noop", mixedTokens.length),
  prose_pii: caseOf("gates: prose", mixedTokens.length, mixedPush),
  clean_prose: caseOf("gates: clean", cleanTokens.length, cleanPush),
  redos_100kb: caseOf("gates + (a+)", redosTokens.length, redosPush),
  native_regexp_whole_text: caseOf("native RegExp, whole", mixedTokens.length),
};
const pass = mixedPush.p50 <= budget.p50_ns_per_token! && mixedPush.p99 <= budget.p99_ns_per_token!;
const report = {
  runtime: result.context.runtime, cpu: result.context.cpu.name, date: new Date().toISOString(),
  rules: `${rulesSource} (${outputRules.length} rules)`, budget, pass, cases,
  ratio_prose_pii_vs_native_whole_text: cases.prose_pii && cases.native_regexp_whole_text
    ? cases.prose_pii.ns_per_token_avg / cases.native_regexp_whole_text.ns_per_token_avg : undefined,
};
mkdirSync(`${root}bench/results`, { recursive: true });
writeFileSync(`${root}bench/results/gates.json`, JSON.stringify(report, null, 2) + "\n");
console.log(`\nper-push latency (prose + PII): p50 ${mixedPush.p50.toFixed(0)} ns, p99 ${mixedPush.p99.toFixed(0)} ns ` +
  `(budget ${budget.p50_ns_per_token} / ${budget.p99_ns_per_token}) → ${pass ? "PASS" : "FAIL"}; clean p50 ${cleanPush.p50.toFixed(0)} ns, ` +
  `ReDoS p50 ${redosPush.p50.toFixed(0)} ns, p99 ${redosPush.p99.toFixed(0)} ns`);
console.log("wrote bench/results/gates.json");
