/** Shared helpers for the local backend tests: the fixture engine, a greedy pick, and collecting a generation. */
import { LlamaEngine, type LlamaEngineOptions } from "../../src/backends/local/engine.ts";
import type { GenerationFinish, LocalGeneration } from "../../src/backends/local/sequence.ts";
import { ensureFixtureModel } from "../fixture/model.ts";

/** Opens the engine on the fixture model (built first if missing); one thread, so a busy shared CPU cannot stall llama.cpp's thread barrier. */
export async function fixtureEngine(options: Partial<LlamaEngineOptions> = {}): Promise<LlamaEngine> {
  return LlamaEngine.open({ modelPath: await ensureFixtureModel(), nSeqMax: 16, nCtxPerSequence: 256, nThreads: 1, ...options });
}

/** Greedy choice: the sampler kernels replace this in the server; tests only need determinism. */
export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

/** All text pieces of a generation and how it ended. */
export async function collect(generation: LocalGeneration): Promise<{ pieces: string[]; text: string; finish: GenerationFinish }> {
  const pieces: string[] = [];
  for await (const piece of generation) pieces.push(piece);
  return { pieces, text: pieces.join(""), finish: await generation.finish };
}

/** A pick that replays `tokens` in order (to drive detokenizing and stop conditions exactly). */
export function replay(tokens: readonly number[]): (logits: Float32Array, context: { index: number }) => number {
  return (_logits, { index }) => tokens[index]!;
}
