/**
 * Mask speed on schemas no grammar benchmark was tuned on (issue 17): 100 schemas of the real-world-shaped coverage
 * corpus (tests/grammar/realworld.ts; every strict-compiled schema, 100 picked at even strides, so every family is in)
 * plus the stress set below (long enums, wide `anyOf`, big alternation patterns, deep recursion), rsk and XGrammar
 * (@mlc-ai/web-xgrammar) side by side in one run over cl100k_base. Each schema's valid documents (ajv-valid instances,
 * compact JSON) are tokenized with gpt-tokenizer and replayed: before every token the next mask is computed and timed,
 * then the token is accepted. rsk runs as at model load (`prepareVocabulary` once, the native trie walk), after a JIT
 * warm-up on corpus schemas outside the measured set; every grammar is compiled fresh, so every step is a first visit
 * of its states unless an earlier document of the same schema met them. Reported per engine: time to first mask
 * (compile + first mask) p50/p99 and compile alone p50 (issue 17's "compile p50 <= 2 ms": for rsk the schema's grammar,
 * its parser and its mask engine, for XGrammar compileJSONSchema), mask per step p50/p99/mean/max, steps over 1 ms and
 * over 5 ms; for rsk also the trie
 * nodes walked per step (p99, steps over 20k), which a loaded box does not change.
 * Results: bench/results/latest/grammar-broad-<runtime>.json (`--save`: bench/results/grammar-broad.json).
 * Run: `bun bench/grammar-broad.bench.ts` (`npm run bench:grammar-broad`); `--check` fails against bench/budgets.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { encode } from "gpt-tokenizer/encoding/cl100k_base";
import type { Kernels } from "../ffi/kernels.ts";
import { loadKernelsOf } from "../ffi/mod.ts";
import { GrammarAutomaton, GrammarError, GrammarMatcher, schemaGrammar, TokenMasks, TokenTrie } from "../src/grammar/mod.ts";
import { prepareVocabulary } from "../src/grammar/vocabulary.ts";
import { ajvValid } from "../tests/grammar/ajv.ts";
import { REAL_WORLD } from "../tests/grammar/realworld.ts";
import { STRESS } from "../tests/grammar/stress.ts";
import { realVocab, type TestVocab } from "../tests/grammar/vocab.ts";

/** A schema with the token sequences of its valid documents. */
interface Case { readonly name: string; readonly schema: Record<string, unknown>; readonly docs: readonly number[][] }

interface Row { engine: string; set: string; schemas: number; steps: number; docs_cut_short: number; compile_p50_ms: number; first_mask_p50_ms: number; first_mask_p99_ms: number; p50_us: number; p99_us: number; mean_us: number; max_us: number; over_1ms: number; over_5ms: number; worst: string; p99_nodes?: number; over_20k_nodes?: number }

const q = (xs: readonly number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};
const r2 = (x: number) => Math.round(x * 100) / 100;

function compiles(schema: Record<string, unknown>): boolean {
  try {
    schemaGrammar(schema);
    return true;
  } catch (err) {
    if (err instanceof GrammarError) return false;
    throw err;
  }
}

function caseOf(name: string, schema: Record<string, unknown>, instances: readonly unknown[]): Case {
  return { name, schema, docs: instances.filter((v) => ajvValid(schema, v)).map((v) => encode(JSON.stringify(v))) };
}

const strictCompiled = REAL_WORLD.filter((e) => compiles(e.schema));
const picked = Array.from({ length: 100 }, (_, i) => strictCompiled[Math.floor((i * strictCompiled.length) / 100)]!);
const pickedNames = new Set(picked.map((e) => e.name));
const SETS: Record<string, Case[]> = {
  corpus: picked.map((e) => caseOf(e.name, e.schema, e.instances)),
  stress: STRESS.map((e) => caseOf(e.name, e.schema, e.instances)),
};
const warmUp = strictCompiled.filter((e) => !pickedNames.has(e.name)).slice(0, 30).map((e) => caseOf(e.name, e.schema, e.instances));

/** Per engine and set; `nodes`: trie nodes rsk walked per step (the same on a loaded box, unlike time). */
interface Timings { compile: number[]; first: number[]; steps: number[]; nodes: number[]; worst: { us: number; where: string }; refused: string[]; byCase: Map<string, { compile: number; first: number; steps: number[] }> }

function timings(): Timings {
  return { compile: [], first: [], steps: [], nodes: [], worst: { us: 0, where: "" }, refused: [], byCase: new Map() };
}

/** The timings of the cases `names` only. */
function subset(t: Timings, names: ReadonlySet<string>): Timings {
  const out = timings();
  for (const [name, c] of t.byCase) {
    if (!names.has(name)) continue;
    out.compile.push(c.compile);
    out.first.push(c.first);
    out.steps.push(...c.steps);
    const worst = Math.max(...c.steps);
    if (worst > out.worst.us) out.worst = { us: worst, where: name };
  }
  return out;
}

function runRsk(trie: TokenTrie, eos: number, cases: readonly Case[], kernels: Kernels): Timings {
  const t = timings();
  for (const c of cases) {
    const mine = { compile: 0, first: 0, steps: [] as number[] };
    t.byCase.set(c.name, mine);
    const t0 = performance.now();
    const masks = new TokenMasks(new GrammarAutomaton(schemaGrammar(c.schema).grammar), trie, [eos], kernels);
    t.compile.push((mine.compile = performance.now() - t0));
    c.docs.forEach((tokens, d) => {
      const m = new GrammarMatcher(masks);
      tokens.forEach((token, i) => {
        const n0 = masks.stats.nodes, s = performance.now();
        m.mask();
        const e = performance.now();
        t.nodes.push(masks.stats.nodes - n0);
        if (d === 0 && i === 0) t.first.push((mine.first = e - t0));
        const us = (e - s) * 1000;
        t.steps.push(us);
        mine.steps.push(us);
        if (us > t.worst.us) t.worst = { us, where: `${c.name} doc ${d} token ${i}` };
        if (!m.accept(token)) throw new Error(`rsk refused token ${i} of ${c.name} doc ${d}`);
      });
    });
  }
  return t;
}

/** web-xgrammar, or why it cannot load (its bundle calls `require`, which Deno 2.9 does not define in ES modules). */
const xgrammar = await import("@mlc-ai/web-xgrammar").catch((error: unknown) => `XGrammar rows skipped: ${error instanceof Error ? error.message : String(error)}`);

/** GPT-2 byte-to-unicode form of token bytes (XGrammar's "byte_level" vocabulary encoding). */
function byteLevel(vocab: TestVocab): string[] {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCodePoint(printable(b) ? b : 256 + extra++);
  const out: string[] = [];
  for (let t = 0; t + 1 < vocab.offsets.length; t++) {
    out.push(t === vocab.eos ? "<|endoftext|>" : Array.from(vocab.bytes.subarray(vocab.offsets[t]!, vocab.offsets[t + 1]!), (b) => table[b]!).join(""));
  }
  return out;
}

/**
 * Whether web-xgrammar 0.1.27 aborts its whole WASM module on `schema` (a fatal error, not an exception): an object
 * with more `minProperties` than listed properties and no other keys allowed, which its strict mode assumes when
 * `additionalProperties` is absent. Such schemas are left out of the XGrammar rows (and counted).
 */
function abortsXGrammar(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(abortsXGrammar);
  if (typeof node !== "object" || node === null) return false;
  const s = node as Record<string, unknown>;
  const listed = typeof s.properties === "object" && s.properties !== null ? Object.keys(s.properties).length : 0;
  const closed = s.additionalProperties === false || (s.additionalProperties === undefined && s.patternProperties === undefined);
  if (typeof s.minProperties === "number" && s.minProperties > listed && closed) return true;
  return Object.values(s).some(abortsXGrammar);
}

async function runXGrammar(vocab: TestVocab, sets: Record<string, Case[]>): Promise<Record<string, Timings> | string> {
  if (typeof xgrammar === "string") return xgrammar;
  const { GrammarCompiler, GrammarMatcher: XgMatcher, TokenizerInfo } = xgrammar;
  const info = await TokenizerInfo.createTokenizerInfo(byteLevel(vocab), "byte_level", false, undefined, [vocab.eos]);
  const compiler = await GrammarCompiler.createGrammarCompiler(info, false);
  const out: Record<string, Timings> = {};
  for (const [set, cases] of Object.entries(sets)) {
    const t = timings();
    for (const c of cases) {
      if (abortsXGrammar(c.schema)) {
        t.refused.push(`${c.name} (not compiled: would abort XGrammar)`);
        continue;
      }
      const mine = { compile: 0, first: 0, steps: [] as number[] };
      t.byCase.set(c.name, mine);
      const t0 = performance.now();
      const compiled = await compiler.compileJSONSchema(JSON.stringify(c.schema), true, undefined, undefined, true, 8);
      t.compile.push((mine.compile = performance.now() - t0));
      if (process.argv.includes("--progress")) console.error(`XGrammar ${c.name}: compiled in ${(performance.now() - t0).toFixed(0)} ms`);
      for (const [d, tokens] of c.docs.entries()) {
        const m = await XgMatcher.createGrammarMatcher(compiled);
        for (const [i, token] of tokens.entries()) {
          const s = performance.now();
          await m.getNextTokenBitmask();
          const e = performance.now();
          if (d === 0 && i === 0) t.first.push(e - t0);
          const us = (e - s) * 1000;
          t.steps.push(us);
          if (us > t.worst.us) t.worst = { us, where: `${c.name} doc ${d} token ${i}` };
          // XGrammar reads some keywords differently (formats): the rest of that document is not replayed.
          if (!m.acceptToken(token)) {
            t.refused.push(`${c.name} doc ${d} token ${i}`);
            break;
          }
        }
        m.dispose();
      }
      compiled.dispose();
    }
    out[set] = t;
  }
  compiler.dispose();
  info.dispose();
  return out;
}

function row(engine: string, set: string, schemas: number, t: Timings): Row {
  const mean = t.steps.reduce((a, b) => a + b, 0) / t.steps.length;
  return {
    engine, set, schemas, steps: t.steps.length, docs_cut_short: t.refused.length, compile_p50_ms: r2(q(t.compile, 0.5)), first_mask_p50_ms: r2(q(t.first, 0.5)), first_mask_p99_ms: r2(q(t.first, 0.99)), p50_us: r2(q(t.steps, 0.5)), p99_us: r2(q(t.steps, 0.99)),
    mean_us: r2(mean), max_us: r2(Math.max(...t.steps)), over_1ms: t.steps.filter((x) => x > 1000).length, over_5ms: t.steps.filter((x) => x > 5000).length, worst: t.worst.where,
    ...(t.nodes.length > 0 ? { p99_nodes: q(t.nodes, 0.99), over_20k_nodes: t.nodes.filter((x) => x > 20_000).length } : {}),
  };
}

function collectGarbage(): void {
  const g = globalThis as { Bun?: { gc(force: boolean): void }; gc?: () => void };
  if (g.Bun) g.Bun.gc(true);
  else g.gc?.();
}

const vocab = realVocab("cl100k_base");
const kernelKind = (process.argv.find((a) => a.startsWith("--kernels="))?.slice(10) ?? "native") as "native" | "wasm" | "ts";
const kernels = await loadKernelsOf(kernelKind);
const rows: Row[] = [];
const rsk: Record<string, Timings> = {};
{
  // JIT warm-up on a throwaway copy of the vocabulary (its own trie and frame caches), then the measured copy.
  const throwaway = { bytes: vocab.bytes.slice(), offsets: vocab.offsets.slice(), eos: vocab.eos };
  prepareVocabulary(throwaway, [throwaway.eos], kernels);
  for (let pass = 0; pass < 3; pass++) runRsk(TokenTrie.of(throwaway), throwaway.eos, warmUp, kernels);
  const prepareMs = prepareVocabulary(vocab, [vocab.eos], kernels);
  console.log(`prepareVocabulary: ${prepareMs.toFixed(0)} ms`);
  const trie = TokenTrie.of(vocab);
  for (const [set, cases] of Object.entries(SETS)) {
    collectGarbage();
    rsk[set] = runRsk(trie, vocab.eos, cases, kernels);
    rows.push(row(`rsk (${kernels.kind} walk)`, set, cases.length, rsk[set]!));
  }
}
console.table(rows);
collectGarbage();
const xg = process.argv.includes("--no-xgrammar") ? "XGrammar rows skipped (--no-xgrammar)" : await runXGrammar(vocab, SETS);
if (typeof xg === "string") console.warn(xg);
else {
  for (const [set, t] of Object.entries(xg)) {
    rows.push(row("XGrammar (web-xgrammar WASM)", set, t.byCase.size, t));
    // The same comparison on the schemas XGrammar compiled.
    if (t.byCase.size < SETS[set]!.length) rows.push(row(`rsk (${kernels.kind} walk), XGrammar's schemas`, set, t.byCase.size, subset(rsk[set]!, new Set(t.byCase.keys()))));
    if (t.refused.length > 0) console.log(`XGrammar refused valid documents (${set}): ${t.refused.join(", ")}`);
  }
}
console.table(rows);

const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "bun" : "deno";
const result = { suite: "grammar-broad", runtime, date: new Date().toISOString(), vocab: "cl100k_base", schemas: Object.fromEntries(Object.entries(SETS).map(([k, v]) => [k, v.map((c) => c.name)])), rows };
mkdirSync(new URL("./results/latest/", import.meta.url), { recursive: true });
writeFileSync(new URL(`./results/latest/grammar-broad-${runtime}.json`, import.meta.url), JSON.stringify(result, null, 2));
if (process.argv.includes("--save")) writeFileSync(new URL(`./results/grammar-broad${runtime === "bun" ? "" : "-deno"}.json`, import.meta.url), JSON.stringify(result, null, 2));
if (process.argv.includes("--check")) {
  type Budget = { p50_us_max: number; p99_us_max: number; over_5ms_max: number; p99_nodes_max: number; over_20k_nodes_max: number };
  const budget = (JSON.parse(readFileSync(new URL("./budgets.json", import.meta.url), "utf8")) as { grammar_broad?: Budget }).grammar_broad;
  const over = budget ? rows.filter((r) => r.engine.startsWith("rsk") && r.set === "corpus" && (r.p50_us > budget.p50_us_max * 1.1 || r.p99_us > budget.p99_us_max * 1.1 || r.over_5ms > budget.over_5ms_max || (r.p99_nodes ?? 0) > budget.p99_nodes_max || (r.over_20k_nodes ?? 0) > budget.over_20k_nodes_max)) : [];
  if (over.length > 0) {
    console.error(`grammar-broad over budget: ${JSON.stringify(over)}`);
    process.exit(1);
  }
}
