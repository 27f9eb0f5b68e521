/**
 * Per-token cost of the text gates on streamed text (~4-char tokens): the default policy's output rules over
 * prose mixed with PII, clean prose, prose full of look-alike characters, and a ReDoS-shaped input; per-push
 * latency p50/p99 at steady state checked against the "gates" budget (the first streams after start reported beside
 * it); whole-text scan() by finding density (ms per MiB, against
 * `dense_ms_per_mib_max`) and the worst single push over a long stream. Peers in the same run: a no-op stream, the runtime's own
 * (backtracking) RegExp, and the gates as they were before matching moved to the normalised view (raw baseline:
 * that commit's src/gates, extracted with `git archive` into .tmp/, same rules, same tokens).
 *   bun bench/gates.bench.ts [--baseline=<git rev>|--baseline=none]      → bench/results/gates.json
 *   deno run -A bench/gates.bench.ts                                    → bench/results/gates-deno.json
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { compileGates, PII_DETECTORS, type GateRule, type GateSet } from "../src/gates/mod.ts";
import { DETECTORS } from "../src/gates/pii/detectors.ts";
import { tokenize } from "./tokens.ts";

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
/** The same kinds of values, disguised: fullwidth, NBSP, zero-width, Cyrillic look-alikes, Arabic-Indic digits. */
const disguised = [
  "The customer, Jane Roe, can be reached at jаne.rое\u200b@example.com or on +1 (５５５) １２３-４５６７ during office hours. ",
  "Her card ending in 1111 (4111\u00a01111\u200b1111 ١١١١) was charged twice, so we issued a refund to DE89 3704 0044 0532 0130 00. ",
  "In general, streaming responses should be checked token by token, because a model can produce anything. ",
  "Please rotate the leaked key ＡＫＩＡIOSFODNN7EXAMPLE today; cafe\u0301 menus and naïve résumés are fine. ",
];

function proseOf(parts: readonly string[], bytes: number): string {
  let text = "";
  for (let i = 0; text.length < bytes; i++) text += parts[(i * 5) % parts.length];
  return text;
}


const mixedTokens = tokenize(proseOf(sentences, 4096));
const cleanTokens = tokenize(proseOf([clean], 4096));
const disguisedTokens = tokenize(proseOf(disguised, 4096));
const redosTokens = tokenize("a".repeat(100_000));
/**
 * Building the default output rules first thing in the process (nothing compiled, caches and JIT cold: a cold start
 * after module load): compileGates, the first open() (detector programs are compiled on first use), a first scan().
 */
const buildStart = performance.now();
const gates = compileGates(outputRules);
const built = performance.now();
gates.open();
const opened = performance.now();
gates.scan("Ada Lovelace wrote from ada@example.com, +1 (555) 123-4567, card 4111 1111 1111 1111, Via Roma 10.");
const build = {
  compile_ms: +(built - buildStart).toFixed(2), first_open_ms: +(opened - built).toFixed(2),
  first_scan_ms: +(performance.now() - opened).toFixed(2),
};
const redosRules: GateRule[] = [
  ...outputRules,
  { id: "redos-1", type: "regex", pattern: "(a+)+$", action: "redact" },
  { id: "redos-2", type: "regex", pattern: "(a|aa)*b", action: "redact" },
];
const redosGates = compileGates(redosRules);

/**
 * The raw baseline: src/gates at the commit before the normalised view (the parent of the commit that added
 * src/gates/normalize.ts), or `--baseline=<rev>`. Undefined (rows skipped) with `--baseline=none` or without git.
 */
async function loadBaseline(): Promise<{ rev: string; compile: (rules: GateRule[]) => GateSet } | undefined> {
  const flag = process.argv.find((a) => a.startsWith("--baseline="))?.slice("--baseline=".length);
  if (flag === "none") return undefined;
  const git = (...args: string[]): string => execFileSync("git", args, { cwd: root, encoding: "utf8" }).trim();
  try {
    const added = git("log", "--diff-filter=A", "--format=%H", "--", "src/gates/normalize.ts").split("\n").at(-1);
    const rev = git("rev-parse", "--short", flag ?? `${added}^`);
    const dir = `${root}.tmp/gates-baseline/${rev}`;
    if (!existsSync(`${dir}/src/gates/mod.ts`)) {
      mkdirSync(dir, { recursive: true });
      execFileSync("sh", ["-c", `git archive ${rev} src/gates | tar -x -C '${dir}'`], { cwd: root });
    }
    const mod = await import(`${dir}/src/gates/mod.ts`) as { compileGates: (rules: GateRule[]) => GateSet; PII_DETECTORS: readonly string[] };
    // The baseline predates the newer detectors: it runs the rules it knows (so it is a floor, not the same work).
    const known = (rules: GateRule[]) => rules.filter((r) => r.type !== "pii" || mod.PII_DETECTORS.includes(r.detector));
    return { rev, compile: (rules) => mod.compileGates(known(rules)) };
  } catch (error) {
    console.warn(`no raw baseline (${(error as Error).message.split("\n")[0]}); pass --baseline=<rev> or --baseline=none`);
    return undefined;
  }
}
const baseline = await loadBaseline();
const baselineGates = baseline?.compile(outputRules);
// Built-in detector programs (and their lazy DFA caches) are shared per process, so the ReDoS row also warms/fills
// the caches the prose rows use afterwards: the baseline runs it too, or the per-push numbers would favour it.
const baselineRedosGates = baseline?.compile(redosRules);

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

/**
 * Streams of each set run between the first measured rounds and the steady-state ones. Measured on Bun 1.4 in batches
 * of 20 streams from process start (prose + PII, p50/p99): 2.8/51 µs in the first batch, about 1.5/18 µs after 60
 * streams, and still drifting down slowly (1.2/14 µs after 300): JIT tiers keep compiling the hot paths, and a gateway
 * process runs at the far end of that curve nearly all of its life.
 */
const STEADY_ROUNDS = 200;
/** Per-push latency over repeated streams: the distribution the budget is about (timer overhead included). */
type PushStats = { p50: number; p99: number; avg: number };
/**
 * One stream per round for each set in turn, who goes first changing every round, then the same with the list
 * reversed: load from other processes on this shared box, GC and JIT state from earlier rows hit the gates and their
 * raw baseline alike.
 */
function perPush(sets: readonly GateSet[], tokens: readonly string[], rounds: number): PushStats[] {
  const samples = sets.map(() => new Float64Array(tokens.length * rounds));
  let k = 0;
  for (const order of [sets.map((_, i) => i), sets.map((_, i) => sets.length - 1 - i)]) {
    for (let r = 0; r < rounds / 2; r++, k += tokens.length) {
      for (let i = 0; i < order.length; i++) {
        const s = order[(i + r) % order.length]!;
        const stream = sets[s]!.open(), out = samples[s]!;
        for (let t = 0; t < tokens.length; t++) {
          const t0 = performance.now();
          stream.push(tokens[t]!);
          out[k + t] = (performance.now() - t0) * 1e6;
        }
        stream.end();
      }
    }
  }
  return samples.map((x) => {
    x.sort();
    const sum = x.reduce((a, b) => a + b, 0);
    return { p50: x[Math.floor(x.length * 0.5)]!, p99: x[Math.floor(x.length * 0.99)]!, avg: sum / x.length };
  });
}

/**
 * Whole-text scan() cost by finding density: 256 KiB of prose with one value per 1 KiB / per 100 B, and values back
 * to back (emails, phones, cards, a mix). Best of 3 per row, MB/s and the projected time for 1 MiB. scan() is what
 * prompts go through, so this is the denial-of-service row: cost must stay linear however dense the findings.
 */
const DENSITY_BYTES = 1 << 18;
const filler = "The quarterly report is attached; please review the numbers before the meeting on Thursday. ";
function withValues(value: (i: number) => string, every: number): string {
  const padding = filler.repeat(Math.ceil(every / filler.length));
  let text = "";
  for (let i = 0; text.length < DENSITY_BYTES; i++) {
    const v = `${value(i)} `;
    text += every > v.length ? v + padding.slice(0, every - v.length) : v;
  }
  return text;
}
const email = (i: number): string => `user${i}@example.com`;
const densityTexts: Record<string, string> = {
  prose_no_findings: filler.repeat(Math.ceil(DENSITY_BYTES / filler.length)),
  email_per_1kib: withValues(email, 1024),
  email_per_100b: withValues(email, 100),
  emails_back_to_back: withValues(email, 0),
  phones_back_to_back: withValues((i) => `+1 (555) 123-${1000 + (i % 9000)}`, 0),
  cards_back_to_back: withValues(() => "4111 1111 1111 1111", 0),
  mixed_back_to_back: withValues((i) => [email(i), "+44 20 7946 0958", "4111111111111111", `10.0.0.${i % 255}`][i % 4]!, 0),
};
function density(set: GateSet): Record<string, { findings: number; mb_per_s: number; ms_per_mib: number }> {
  const rows: Record<string, { findings: number; mb_per_s: number; ms_per_mib: number }> = {};
  for (const [name, text] of Object.entries(densityTexts)) {
    let best = Infinity, findings = 0;
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      findings = set.scan(text).findings.length;
      best = Math.min(best, performance.now() - t0);
    }
    const mib = text.length / (1 << 20);
    rows[name] = { findings, mb_per_s: +(mib / (best / 1000)).toFixed(2), ms_per_mib: +(best / mib).toFixed(1) };
  }
  return rows;
}
/** The slowest single push() over a long stream (1 MiB of prose + PII in ~4-char tokens), and its p99.9. */
function worstPush(set: GateSet): { pushes: number; worst_ns: number; p999_ns: number } {
  const tokens = tokenize(proseOf(sentences, 1 << 20));
  const times = new Float64Array(tokens.length);
  const stream = set.open();
  for (let t = 0; t < tokens.length; t++) {
    const t0 = performance.now();
    stream.push(tokens[t]!);
    times[t] = (performance.now() - t0) * 1e6;
  }
  stream.end();
  times.sort();
  return { pushes: tokens.length, worst_ns: Math.round(times[times.length - 1]!), p999_ns: Math.round(times[Math.floor(times.length * 0.999)]!) };
}

const both = baselineGates ? [gates, baselineGates] : [gates];
// Per-push rows first, after a warm-up: mitata's rows (the ReDoS one above all) leave JIT and GC state behind that
// shifts later per-push percentiles on Bun by 15–40 % whichever gates run, which would make the budget measure the
// bench's own history.
perPush(both, mixedTokens, 4);
// The first streams after start, the JIT still compiling the hot paths: reported beside the budget, not against it.
const [earlyMixed, baseEarlyMixed] = perPush(both, mixedTokens, 20);
// Steady state, where a gateway process spends nearly all of its time: the budget is checked once per-push times stop
// moving (see STEADY_ROUNDS).
perPush(both, mixedTokens, STEADY_ROUNDS);
const [mixed, baseMixed] = perPush(both, mixedTokens, 20);
const [cleanPush, baseCleanPush] = perPush(both, cleanTokens, 20);
const [disguisedPush, baseDisguisedPush] = perPush(both, disguisedTokens, 20);
const [redosPush, baseRedosPush] = perPush(baselineRedosGates ? [redosGates, baselineRedosGates] : [redosGates], redosTokens, 2);
const densityRows = density(gates);
// The same texts through the raw baseline (same run), so a change's effect on scan() cost reads as a ratio.
const baseDensityRows = baselineGates && density(baselineGates);
const worst = worstPush(gates);
summary(() => {
  group("stream of ~4-char tokens, default output rules", () => {
    bench(`noop stream (${mixedTokens.length} tokens)`, () => {
      let n = 0;
      for (const token of mixedTokens) n += token.length;
      return do_not_optimize(n);
    });
    bench(`gates: prose + PII (${mixedTokens.length} tokens)`, () => do_not_optimize(streamAll(gates, mixedTokens)));
    bench(`gates: clean prose (${cleanTokens.length} tokens)`, () => do_not_optimize(streamAll(gates, cleanTokens)));
    bench(`gates: look-alike prose (${disguisedTokens.length} tokens)`, () => do_not_optimize(streamAll(gates, disguisedTokens)));
    if (baseline && baselineGates) {
      bench(`raw baseline ${baseline.rev}: prose + PII (${mixedTokens.length} tokens)`, () => do_not_optimize(streamAll(baselineGates, mixedTokens)));
      bench(`raw baseline ${baseline.rev}: clean prose (${cleanTokens.length} tokens)`, () => do_not_optimize(streamAll(baselineGates, cleanTokens)));
      bench(`raw baseline ${baseline.rev}: look-alike prose (${disguisedTokens.length} tokens)`, () => do_not_optimize(streamAll(baselineGates, disguisedTokens)));
    }
    bench(`native RegExp, whole text once (${mixedTokens.length} tokens)`, () => do_not_optimize(nativeWhole(mixedTokens)));
  });
});
group("ReDoS-shaped input", () => {
  bench(`gates + (a+)+$ + (a|aa)*b on 100 KB (${redosTokens.length} tokens)`, () => do_not_optimize(streamAll(redosGates, redosTokens)));
  if (baseline && baselineRedosGates) {
    bench(`raw baseline ${baseline.rev}: (a+)+$ + (a|aa)*b on 100 KB (${redosTokens.length} tokens)`, () => do_not_optimize(streamAll(baselineRedosGates, redosTokens)));
  }
  bench("native RegExp (a|aa)*b on 24 chars", () => do_not_optimize(/(a|aa)*b/.test("a".repeat(24))));
});

const result = await run();

const budgets = JSON.parse(readFileSync(`${root}bench/budgets.json`, "utf8")) as Record<string, Record<string, number>>;
const budget = budgets.gates ?? { p50_ns_per_token: 2000, p99_ns_per_token: 10000 };
const statsOf = (prefix: string) => result.benchmarks.find((b) => b.alias.startsWith(prefix))?.runs[0]?.stats;
/** A mitata row, with the steady-state per-push percentiles (and those of the first streams after start). */
const caseOf = (prefix: string, tokens: number, push?: { p50: number; p99: number }, early?: { p50: number; p99: number }) => {
  const stats = statsOf(prefix);
  if (!stats) return undefined;
  return {
    tokens, ns_per_token_avg: stats.avg / tokens, tokens_per_s: Math.round(tokens / (stats.avg / 1e9)),
    ...(push ? { push_p50_ns: Math.round(push.p50), push_p99_ns: Math.round(push.p99) } : {}),
    ...(early ? { early_push_p50_ns: Math.round(early.p50), early_push_p99_ns: Math.round(early.p99) } : {}),
  };
};
const cases = {
  noop: caseOf("noop", mixedTokens.length),
  prose_pii: caseOf("gates: prose", mixedTokens.length, mixed, earlyMixed),
  clean_prose: caseOf("gates: clean", cleanTokens.length, cleanPush),
  lookalike_prose: caseOf("gates: look-alike", disguisedTokens.length, disguisedPush),
  redos_100kb: caseOf("gates + (a+)", redosTokens.length, redosPush),
  native_regexp_whole_text: caseOf("native RegExp, whole", mixedTokens.length),
  raw_baseline_prose_pii: caseOf(`raw baseline ${baseline?.rev}: prose`, mixedTokens.length, baseMixed, baseEarlyMixed),
  raw_baseline_clean_prose: caseOf(`raw baseline ${baseline?.rev}: clean`, cleanTokens.length, baseCleanPush),
  raw_baseline_lookalike_prose: caseOf(`raw baseline ${baseline?.rev}: look-alike`, disguisedTokens.length, baseDisguisedPush),
  raw_baseline_redos_100kb: caseOf(`raw baseline ${baseline?.rev}: (a+)`, redosTokens.length, baseRedosPush),
};
const pass = mixed!.p50 <= budget.p50_ns_per_token! && mixed!.p99 <= budget.p99_ns_per_token!;
const densest = Math.max(...Object.values(densityRows).map((r) => r.ms_per_mib));
const densityPass = budget.dense_ms_per_mib_max === undefined || densest <= budget.dense_ms_per_mib_max;
const ratio = (a?: { ns_per_token_avg: number }, b?: { ns_per_token_avg: number }) => a && b ? a.ns_per_token_avg / b.ns_per_token_avg : undefined;
const report = {
  runtime: result.context.runtime, cpu: result.context.cpu.name, date: new Date().toISOString(),
  rules: `${rulesSource} (${outputRules.length} rules)`, budget, pass, raw_baseline_rev: baseline?.rev, cases,
  whole_text_density: densityRows, raw_baseline_whole_text_density: baseDensityRows, density_pass: densityPass, worst_push: worst, build,
  ratio_prose_pii_vs_native_whole_text: ratio(cases.prose_pii, cases.native_regexp_whole_text),
  ratio_prose_pii_vs_raw_baseline: ratio(cases.prose_pii, cases.raw_baseline_prose_pii),
  ratio_clean_prose_vs_raw_baseline: ratio(cases.clean_prose, cases.raw_baseline_clean_prose),
  ratio_lookalike_prose_vs_raw_baseline: ratio(cases.lookalike_prose, cases.raw_baseline_lookalike_prose),
  ratio_redos_vs_raw_baseline: ratio(cases.redos_100kb, cases.raw_baseline_redos_100kb),
};
mkdirSync(`${root}bench/results`, { recursive: true });
const resultFile = `gates${result.context.runtime === "deno" ? "-deno" : ""}.json`;
writeFileSync(`${root}bench/results/${resultFile}`, JSON.stringify(report, null, 2) + "\n");
console.log(`\nper-push latency (prose + PII), steady state: p50 ${mixed!.p50.toFixed(0)} ns, p99 ${mixed!.p99.toFixed(0)} ns ` +
  `(budget ${budget.p50_ns_per_token} / ${budget.p99_ns_per_token}) → ${pass ? "PASS" : "FAIL"}; the first 20 streams after start: ` +
  `p50 ${earlyMixed!.p50.toFixed(0)} ns, p99 ${earlyMixed!.p99.toFixed(0)} ns; clean p50 ${cleanPush!.p50.toFixed(0)} ns, ` +
  `look-alike p50 ${disguisedPush!.p50.toFixed(0)} ns, ReDoS p50 ${redosPush!.p50.toFixed(0)} ns, p99 ${redosPush!.p99.toFixed(0)} ns`);
if (baseMixed) {
  console.log(`raw baseline ${baseline!.rev} (same run): prose + PII p50 ${baseMixed.p50.toFixed(0)} ns, p99 ${baseMixed.p99.toFixed(0)} ns ` +
    `(first 20 streams: ${baseEarlyMixed!.p50.toFixed(0)} / ${baseEarlyMixed!.p99.toFixed(0)} ns); ` +
    `clean p50 ${baseCleanPush!.p50.toFixed(0)} ns; look-alike p50 ${baseDisguisedPush!.p50.toFixed(0)} ns`);
}
console.log(`whole-text scan by density (ms per MiB): ${Object.entries(densityRows).map(([k, r]) => `${k} ${r.ms_per_mib}`).join(", ")}` +
  ` → ${densityPass ? "PASS" : "FAIL"} (budget ${budget.dense_ms_per_mib_max ?? "none"})`);
if (baseDensityRows) {
  console.log(`raw baseline ${baseline!.rev} (same run), ms per MiB: ${Object.entries(baseDensityRows).map(([k, r]) => `${k} ${r.ms_per_mib}`).join(", ")}`);
}
console.log(`worst single push over ${worst.pushes} pushes: ${worst.worst_ns} ns (p99.9 ${worst.p999_ns} ns)`);
console.log(`building the default output gates cold: compileGates ${build.compile_ms} ms, first open() ${build.first_open_ms} ms, ` +
  `first scan() ${build.first_scan_ms} ms`);
console.log(`wrote bench/results/${resultFile}`);
