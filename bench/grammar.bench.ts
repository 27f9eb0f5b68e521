/**
 * Grammar masks side by side: rsk (src/grammar; new masks walked by the native, WASM or TS trie-walk kernel) and XGrammar (@mlc-ai/web-xgrammar, WASM) on the same real
 * vocabularies (cl100k_base, o200k_base) and JSON Schemas. For each schema a valid document is tokenized with the
 * vocabulary's own tokenizer and replayed: before every token the next mask is computed and timed, then the token
 * is accepted. "cold" = freshly compiled grammar (no state seen before), "warm" = the same document again on the
 * same compiled grammar (rsk's per-state mask cache, XGrammar's own caches). Compile = schema to a matcher ready
 * for its first mask (rsk walks the start state's mask while building `TokenMasks`, so its first mask is a cache
 * hit); first mask = compile + the first mask. Each rsk row starts from a fresh copy of the vocabulary, prepared as at
 * model load (`prepareVocabulary`, timed apart; no frame analysis is inherited from another row), after a JIT warm-up
 * over 20 other corpus schemas on throwaway copies (the process-lifetime cost of a cold JIT is not a per-grammar
 * cost), and after a full garbage collection. Results: bench/results/grammar.json.
 * Run: `npm run bench:grammar`, or `deno run -A bench/grammar.bench.ts` (without the XGrammar
 * rows: web-xgrammar's bundle calls `require`, which Deno 2.9 does not define in ES modules).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { encode as encodeCl100k } from "gpt-tokenizer/encoding/cl100k_base";
import { encode as encodeO200k } from "gpt-tokenizer/encoding/o200k_base";
// node-llama-cpp's own JSON Schema → GBNF converter (what its users feed llama.cpp); not in its package exports map.
import { getGbnfGrammarForGbnfJsonSchema } from "../node_modules/node-llama-cpp/dist/utils/gbnfJson/getGbnfGrammarForGbnfJsonSchema.js";
import { LlamaGrammarSampler } from "../ffi/llama/grammar.ts";
import { LlamaModel } from "../ffi/llama/model.ts";
import type { Kernels } from "../ffi/kernels.ts";
import { loadKernelsOf } from "../ffi/mod.ts";
import { GrammarAutomaton, GrammarMatcher, schemaGrammar, TokenMasks, TokenTrie } from "../src/grammar/mod.ts";
import { prepareVocabulary } from "../src/grammar/vocabulary.ts";
import { CORPUS } from "../tests/grammar/corpus.ts";
import { realVocab, type TestVocab, type VocabName } from "../tests/grammar/vocab.ts";

const SCHEMAS = ["user-profile", "order", "github-issue", "calendar-event", "tool-call-args", "log-entry", "recipe", "json-patch", "ref-tree", "package-json"];
const VOCABS: VocabName[] = ["cl100k_base", "o200k_base"];

interface Row { note?: string; prepare_ms?: number; engine: string; vocab: string; schemas: number; steps: number; compile_p50_ms: number; first_mask_p50_ms: number; cold_p50_us: number; cold_p99_us: number; warm_p50_us: number; warm_p99_us: number; }

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};
const r2 = (x: number) => Math.round(x * 100) / 100;

/** GPT-2 byte-to-unicode form of token bytes (XGrammar's "byte_level" vocabulary encoding). */
function byteLevel(vocab: TestVocab): string[] {
  const printable = new Set<number>();
  for (let b = 0x21; b <= 0x7e; b++) printable.add(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.add(b);
  for (let b = 0xae; b <= 0xff; b++) printable.add(b);
  const table: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCodePoint(printable.has(b) ? b : 256 + extra++);
  const out: string[] = [];
  for (let t = 0; t + 1 < vocab.offsets.length; t++) {
    out.push(t === vocab.eos ? "<|endoftext|>" : Array.from(vocab.bytes.subarray(vocab.offsets[t]!, vocab.offsets[t + 1]!), (b) => table[b]!).join(""));
  }
  return out;
}

function documents(name: VocabName): { schema: Record<string, unknown>; tokens: number[] }[] {
  const encode = name === "cl100k_base" ? encodeCl100k : encodeO200k;
  return SCHEMAS.map((n) => {
    const entry = CORPUS.find((c) => c.name === n)!;
    return { schema: entry.schema, tokens: encode(JSON.stringify(entry.valid[0])) };
  });
}

/** A copy of `vocab` with its own trie (and so its own vocabulary-wide frame cache). */
function freshCopy(vocab: TestVocab): TestVocab {
  const copy = { bytes: vocab.bytes.slice(), offsets: vocab.offsets.slice(), eos: vocab.eos };
  TokenTrie.of(copy);
  return copy;
}

function runRsk(vocab: TestVocab, docs: ReturnType<typeof documents>, kernels: Kernels): Row {
  const trie = TokenTrie.of(vocab);
  const compile: number[] = [], first: number[] = [], cold: number[] = [], warm: number[] = [];
  for (const doc of docs) {
    const t0 = performance.now();
    const automaton = new GrammarAutomaton(schemaGrammar(doc.schema).grammar);
    const masks = new TokenMasks(automaton, trie, [vocab.eos], kernels);
    const t1 = performance.now();
    compile.push(t1 - t0);
    for (const [pass, out] of [[0, cold], [1, warm]] as const) {
      const m = new GrammarMatcher(masks);
      for (const token of doc.tokens) {
        const s = performance.now();
        m.mask();
        const e = performance.now();
        out.push((e - s) * 1000);
        if (pass === 0 && out.length === 1 + cold.length - 1 && m.tokens === 0) first.push(e - t0);
        if (!m.accept(token)) throw new Error(`rsk refused token ${token}`);
      }
    }
  }
  return { engine: `rsk (${kernels.kind} walk)`, vocab: "", schemas: docs.length, steps: cold.length, compile_p50_ms: r2(q(compile, 0.5)), first_mask_p50_ms: r2(q(first, 0.5)), cold_p50_us: r2(q(cold, 0.5)), cold_p99_us: r2(q(cold, 0.99)), warm_p50_us: r2(q(warm, 0.5)), warm_p99_us: r2(q(warm, 0.99)) };
}

/** web-xgrammar, or why it cannot load (its bundle calls `require`, which Deno 2.9 does not define in ES modules). */
const xgrammar = await import("@mlc-ai/web-xgrammar").catch((error: unknown) => `XGrammar rows skipped: ${error instanceof Error ? error.message : String(error)}`);

async function runXGrammar(vocab: TestVocab, docs: ReturnType<typeof documents>): Promise<Row | string> {
  if (typeof xgrammar === "string") return xgrammar;
  const { GrammarCompiler, GrammarMatcher: XgMatcher, TokenizerInfo } = xgrammar;
  const info = await TokenizerInfo.createTokenizerInfo(byteLevel(vocab), "byte_level", false, undefined, [vocab.eos]);
  const compiler = await GrammarCompiler.createGrammarCompiler(info, false);
  const compile: number[] = [], first: number[] = [], cold: number[] = [], warm: number[] = [];
  for (const doc of docs) {
    const t0 = performance.now();
    const compiled = await compiler.compileJSONSchema(JSON.stringify(doc.schema), true, undefined, undefined, true, 8);
    const t1 = performance.now();
    compile.push(t1 - t0);
    for (const pass of [0, 1]) {
      const out = pass === 0 ? cold : warm;
      const m = await XgMatcher.createGrammarMatcher(compiled);
      let firstDone = false;
      for (const token of doc.tokens) {
        const s = performance.now();
        await m.getNextTokenBitmask();
        const e = performance.now();
        out.push((e - s) * 1000);
        if (pass === 0 && !firstDone) {
          first.push(e - t0);
          firstDone = true;
        }
        if (!m.acceptToken(token)) throw new Error(`xgrammar refused token ${token}`);
      }
      m.dispose();
    }
    compiled.dispose();
  }
  compiler.dispose();
  info.dispose();
  return { engine: "XGrammar (web-xgrammar WASM)", vocab: "", schemas: docs.length, steps: cold.length, compile_p50_ms: r2(q(compile, 0.5)), first_mask_p50_ms: r2(q(first, 0.5)), cold_p50_us: r2(q(cold, 0.5)), cold_p99_us: r2(q(cold, 0.99)), warm_p50_us: r2(q(warm, 0.5)), warm_p99_us: r2(q(warm, 0.99)) };
}

/**
 * llama.cpp's grammar sampler (libllama through the shim) on the fixture model, whose vocabulary is cl100k_base
 * (same ids as gpt-tokenizer), with GBNF from node-llama-cpp's converter. Each step applies the grammar to all
 * candidates, as llama.cpp does; a document is replayed until the converter's grammar refuses a token (it ignores or
 * reads differently some keywords), so steps can be fewer than rsk's.
 */
async function runLlama(docs: ReturnType<typeof documents>): Promise<Row | string> {
  let model: LlamaModel;
  try {
    model = await LlamaModel.load(fileURLToPath(new URL("../tests/fixture/out/fixture.gguf", import.meta.url)));
  } catch (error) {
    return `llama.cpp row skipped: ${error instanceof Error ? error.message : String(error)}`;
  }
  const compile: number[] = [], first: number[] = [], cold: number[] = [], warm: number[] = [];
  let stopped = 0;
  for (const doc of docs) {
    const gbnf = getGbnfGrammarForGbnfJsonSchema(doc.schema as never, { allowNewLines: false });
    for (const pass of [0, 1]) {
      const t0 = performance.now();
      const sampler = LlamaGrammarSampler.create(model, gbnf);
      if (pass === 0) compile.push(performance.now() - t0);
      for (const [i, token] of doc.tokens.entries()) {
        const s = performance.now();
        sampler.apply();
        const e = performance.now();
        (pass === 0 ? cold : warm).push((e - s) * 1000);
        if (pass === 0 && i === 0) first.push(e - t0);
        if (!sampler.allows(token)) {
          if (pass === 0) stopped++;
          break;
        }
        sampler.accept(token);
      }
      sampler.close();
    }
  }
  model.close();
  return {
    engine: "llama.cpp grammar sampler", vocab: "cl100k_base", schemas: docs.length, steps: cold.length, compile_p50_ms: r2(q(compile, 0.5)),
    first_mask_p50_ms: r2(q(first, 0.5)), cold_p50_us: r2(q(cold, 0.5)), cold_p99_us: r2(q(cold, 0.99)), warm_p50_us: r2(q(warm, 0.5)),
    warm_p99_us: r2(q(warm, 0.99)), note: `fixture model (cl100k_base + specials), GBNF by node-llama-cpp; ${stopped} documents cut short where that GBNF differs`,
  };
}

/**
 * A full collection before each measured row, so that no row pays for the garbage of the rows before it (tries of
 * other vocabulary copies, XGrammar's compiled grammars): on two cores a concurrent collector's marking slows every
 * step of whichever row it lands in.
 */
function collectGarbage(): void {
  const g = globalThis as { Bun?: { gc(force: boolean): void }; gc?: () => void };
  if (g.Bun) g.Bun.gc(true);
  else g.gc?.();
}

const kernelSets: Kernels[] = await Promise.all((["native", "wasm", "ts"] as const).map((k) => loadKernelsOf(k)));
const warmUp = CORPUS.filter((c) => !SCHEMAS.includes(c.name)).slice(0, 20);
const rows: Row[] = [];
let warmedOnDocs = false;
for (const name of VOCABS) {
  const vocab = realVocab(name);
  const docs = documents(name);
  const trieStart = performance.now();
  TokenTrie.of(vocab);
  console.log(`${name}: V=${vocab.offsets.length - 1}, trie built in ${(performance.now() - trieStart).toFixed(0)} ms (once per vocabulary)`);
  const encode = name === "cl100k_base" ? encodeCl100k : encodeO200k;
  for (const kernels of kernelSets) {
    // JIT warm-up: the measured protocol (a prepared copy, then fresh grammars) on 20 other corpus schemas, three
    // times: V8 (Deno) optimizes the mask paths later than JavaScriptCore does.
    for (let pass = 0; pass < 3; pass++) {
      const throwaway = freshCopy(vocab);
      prepareVocabulary(throwaway, [throwaway.eos], kernels);
      runRsk(throwaway, warmUp.map((c) => ({ schema: c.schema, tokens: encode(JSON.stringify(c.valid[0])) })), kernels);
    }
    // Once per process, the measured documents too (on a throwaway copy: their grammars and states are built anew
    // below): V8 still compiles and deoptimizes paths they take first (formats, patterns) inside the first row.
    if (!warmedOnDocs) {
      warmedOnDocs = true;
      const throwaway = freshCopy(vocab);
      prepareVocabulary(throwaway, [throwaway.eos], kernels);
      runRsk(throwaway, docs, kernels);
    }
    const copy = freshCopy(vocab);
    const prepare = prepareVocabulary(copy, [copy.eos], kernels);
    collectGarbage();
    rows.push({ ...runRsk(copy, docs, kernels), vocab: name, prepare_ms: r2(prepare) });
  }
  collectGarbage();
  const xg = await runXGrammar(vocab, docs);
  if (typeof xg === "string") console.warn(xg);
  else rows.push({ ...xg, vocab: name });
  if (name === "cl100k_base") {
    const llama = await runLlama(docs);
    if (typeof llama === "string") console.warn(llama);
    else rows.push(llama);
  }
}
console.table(rows.map(({ note: _, ...row }) => row));
for (const row of rows) if (row.note) console.log(`${row.engine}: ${row.note}`);

const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "bun" : "deno";
const result = { suite: "grammar", runtime, date: new Date().toISOString(), schemas: SCHEMAS, rows };
mkdirSync(new URL("./results/latest/", import.meta.url), { recursive: true });
writeFileSync(new URL(`./results/latest/grammar-${runtime}.json`, import.meta.url), JSON.stringify(result, null, 2));
if (process.argv.includes("--save")) writeFileSync(new URL(`./results/grammar${runtime === "bun" ? "" : "-deno"}.json`, import.meta.url), JSON.stringify(result, null, 2));
if (process.argv.includes("--check")) {
  type Budget = { warm_p50_us_max: number; cold_p50_us_max: number; cold_p99_us_max: number };
  const budget = (JSON.parse(readFileSync(new URL("./budgets.json", import.meta.url), "utf8")) as { grammar?: Budget }).grammar;
  const ours = rows.filter((r) => r.engine.startsWith("rsk (native"));
  const over = budget
    ? ours.filter((r) => r.warm_p50_us > budget.warm_p50_us_max * 1.1 || r.cold_p50_us > budget.cold_p50_us_max * 1.1 || r.cold_p99_us > budget.cold_p99_us_max * 1.1)
    : [];
  if (over.length > 0) {
    console.error(`grammar over budget: ${JSON.stringify(over)}`);
    process.exit(1);
  }
}
