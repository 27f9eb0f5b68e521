/**
 * What `grammar_options.any_order` costs on real-world-shaped schemas (issue 17): the broad benchmark's 100 corpus
 * schemas (tests/grammar/realworld.ts, every strict-compiled one at even strides) compiled with and without the option,
 * their ajv-valid documents replayed token by token over cl100k_base (`prepareVocabulary` once, native trie walk, a
 * fresh grammar per schema and mode, the modes interleaved per schema). Rows: listed order without the option, listed
 * order with it, shuffled key order with it. Reported: schemas the option refuses (more than 12 listed properties in
 * one object), compile p50/p99, the upstream check per document byte on a fresh automaton p50/p99 (per schema), mask per
 * step p50/p99/mean, steps over 1 ms, trie nodes walked per step p99.
 * Run: `bun bench/grammar-any-order.bench.ts` (`--kernels=wasm|ts` for the other walks).
 */
import { encode } from "gpt-tokenizer/encoding/cl100k_base";
import { loadKernelsOf } from "../ffi/mod.ts";
import { GrammarAutomaton, GrammarError, GrammarMatcher, schemaGrammar, TokenMasks, TokenTrie } from "../src/grammar/mod.ts";
import { prepareVocabulary } from "../src/grammar/vocabulary.ts";
import { ajvValid } from "../tests/grammar/ajv.ts";
import { REAL_WORLD } from "../tests/grammar/realworld.ts";
import { realVocab } from "../tests/grammar/vocab.ts";

type Schema = Record<string, unknown>;
const q = (xs: readonly number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0;
const r2 = (x: number) => Math.round(x * 100) / 100;

function grammarOf(schema: Schema, anyOrder: boolean) {
  try {
    return schemaGrammar(schema, { anyOrder }).grammar;
  } catch (err) {
    if (err instanceof GrammarError) return undefined;
    throw err;
  }
}

/** `value` with the keys of every object reversed (a reorder every listed-order grammar refuses). */
function reversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversed);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversed(v)]));
}

const strictCompiled = REAL_WORLD.filter((e) => grammarOf(e.schema, false) !== undefined);
const picked = Array.from({ length: 100 }, (_, i) => strictCompiled[Math.floor((i * strictCompiled.length) / 100)]!);
const vocab = realVocab("cl100k_base");
const kernelKind = (process.argv.find((a) => a.startsWith("--kernels="))?.slice(10) ?? "native") as "native" | "wasm" | "ts";
const kernels = await loadKernelsOf(kernelKind);
prepareVocabulary(vocab, [vocab.eos], kernels);
const trie = TokenTrie.of(vocab);

interface Mode { name: string; anyOrder: boolean; shuffle: boolean; compile: number[]; check: number[]; steps: number[]; nodes: number[]; refused: number }
const modes: Mode[] = [
  { name: "listed order, option off", anyOrder: false, shuffle: false },
  { name: "listed order, any_order", anyOrder: true, shuffle: false },
  { name: "reversed order, any_order", anyOrder: true, shuffle: true },
].map((m) => ({ ...m, compile: [], check: [], steps: [], nodes: [], refused: 0 }));

for (const entry of picked) {
  const valid = entry.instances.filter((v) => ajvValid(entry.schema, v));
  for (const mode of modes) {
    const t0 = performance.now();
    const grammar = grammarOf(entry.schema, mode.anyOrder);
    if (!grammar) {
      mode.refused++;
      continue;
    }
    const masks = new TokenMasks(new GrammarAutomaton(grammar), trie, [vocab.eos], kernels);
    mode.compile.push(performance.now() - t0);
    // The upstream check: the documents' bytes through a fresh automaton of the same grammar (no masks).
    const bytes = valid.map((value) => new TextEncoder().encode(JSON.stringify(mode.shuffle ? reversed(value) : value)));
    const fresh = new GrammarAutomaton(grammar);
    const c0 = performance.now();
    for (const b of bytes) if (!fresh.accepting(fresh.walk(fresh.start, b))) throw new Error(`${mode.name}: ${entry.name} refused an ajv-valid document`);
    mode.check.push((performance.now() - c0) * 1000 / bytes.reduce((n, b) => n + b.length, 0));
    for (const value of valid) {
      const m = new GrammarMatcher(masks);
      for (const token of encode(JSON.stringify(mode.shuffle ? reversed(value) : value))) {
        const n0 = masks.stats.nodes, s = performance.now();
        m.mask();
        mode.steps.push((performance.now() - s) * 1000);
        mode.nodes.push(masks.stats.nodes - n0);
        if (!m.accept(token)) throw new Error(`${mode.name}: ${entry.name} refused a token of an ajv-valid document`);
      }
    }
  }
}

console.table(modes.map((m) => ({
  mode: m.name, refused: m.refused, steps: m.steps.length, compile_p50_ms: r2(q(m.compile, 0.5)), compile_p99_ms: r2(q(m.compile, 0.99)),
  check_ns_per_byte_p50: r2(q(m.check, 0.5) * 1000), check_ns_per_byte_p99: r2(q(m.check, 0.99) * 1000), p50_us: r2(q(m.steps, 0.5)), p99_us: r2(q(m.steps, 0.99)), mean_us: r2(m.steps.reduce((a, b) => a + b, 0) / m.steps.length),
  over_1ms: m.steps.filter((x) => x > 1000).length, p99_nodes: q(m.nodes, 0.99),
})));
