/** Shared by the kernel tests: every implementation, random inputs, and parameter presets. */
import { loadKernelsOf } from "../../ffi/mod.ts";
import type { Kernels, Logits, SampleParams } from "../../ffi/kernels.ts";

/** native, wasm and ts, loaded once (native must load here: `npm install` builds it). */
export const implementations: readonly Kernels[] = await Promise.all(
  (["native", "wasm", "ts"] as const).map((kind) => loadKernelsOf(kind)),
);

/** Neutral parameters: plain temperature-1 sampling with every other stage off. */
export const plain: SampleParams = {
  temperature: 1, topK: 0, topP: 1, minP: 0, typicalP: 1, minKeep: 0, mirostat: 0, tau: 5, eta: 0.1, mu: 10,
  repeatPenalty: 1, frequencyPenalty: 0, presencePenalty: 0, seed: 0, step: 0,
};

/** The benchmark chains plus the other stages, as parameter overrides. */
export const chains: Readonly<Record<string, Partial<SampleParams>>> = {
  greedy: { temperature: 0 },
  topKTopPTemp: { topK: 40, topP: 0.95, temperature: 0.8 },
  minP: { minP: 0.05 },
  mirostat: { mirostat: 2, tau: 5, eta: 0.1, mu: 10 },
  typical: { typicalP: 0.9, minKeep: 2 },
  everything: { topK: 50, typicalP: 0.95, topP: 0.9, minP: 0.02, temperature: 0.7, minKeep: 3 },
  penalties: { repeatPenalty: 1.3, frequencyPenalty: 0.2, presencePenalty: 0.4, topP: 0.9 },
  plain: {},
};

/** Deterministic PRNG for test data (mulberry32), so failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Logits copied into each implementation's own buffer (WASM reads its memory in place). */
export function logitsFor<V extends number>(k: Kernels, values: Float32Array, vocab: V): Logits<V> {
  const logits = k.logits(vocab);
  logits.set(values);
  return logits;
}

/** Random logits with an LLM-like spread: normal-ish body, a few strong tokens, occasional ties and -inf. */
export function randomLogits(random: () => number, vocab: number): Float32Array {
  const out = new Float32Array(vocab);
  for (let i = 0; i < vocab; i++) out[i] = (random() + random() + random() - 1.5) * 4;
  for (let j = 0; j < 3; j++) out[Math.floor(random() * vocab)] = 8 + random() * 4;
  if (random() < 0.3) out[Math.floor(random() * vocab)] = out[Math.floor(random() * vocab)]!;
  if (random() < 0.3) out[Math.floor(random() * vocab)] = -Infinity;
  return out;
}
