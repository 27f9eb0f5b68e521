/** llama.cpp's own sampler chains over a caller's logits: the peer rsk's sampler kernels are benchmarked against. */
import type { NativePointer } from "../native.ts";
import { openLlama, type LlamaLibrary } from "./library.ts";

/** The chains the benchmark compares, with llama.cpp's usual defaults. */
export type LlamaSamplerConfig =
  | { readonly kind: "greedy" }
  | { readonly kind: "top-k-top-p"; readonly topK: number; readonly topP: number; readonly temperature: number }
  | { readonly kind: "min-p"; readonly minP: number; readonly temperature: number }
  | { readonly kind: "mirostat-v2"; readonly tau: number; readonly eta: number; readonly temperature: number };

function encode(config: LlamaSamplerConfig): { kind: number; params: Float32Array } {
  switch (config.kind) {
    case "greedy":
      return { kind: 0, params: new Float32Array(0) };
    case "top-k-top-p":
      return { kind: 1, params: Float32Array.of(config.topK, config.topP, config.temperature) };
    case "min-p":
      return { kind: 2, params: Float32Array.of(config.minP, config.temperature) };
    case "mirostat-v2":
      return { kind: 3, params: Float32Array.of(config.temperature, config.tau, config.eta) };
  }
}

/** One llama.cpp sampler chain, reused across calls (its RNG and mirostat state carry over); `close()` frees it. */
export class LlamaSamplerChain {
  private pointer: NativePointer | null;
  private constructor(
    private readonly library: LlamaLibrary,
    pointer: NativePointer,
    /** Largest logits row accepted. */
    readonly nVocab: number,
  ) {
    this.pointer = pointer;
  }

  /** Builds a chain for rows of `nVocab` logits, seeded with `seed` (u32). */
  static async create(config: LlamaSamplerConfig, nVocab: number, seed: number): Promise<LlamaSamplerChain> {
    const library = await openLlama();
    const { kind, params } = encode(config);
    const handle = library.native.rsk_llama_sampler_new(kind, params, params.length, seed >>> 0, nVocab);
    if (handle === null) throw new Error(`cannot create llama.cpp sampler ${config.kind}: ${library.lastError()}`);
    return new LlamaSamplerChain(library, handle, nVocab);
  }

  /** Samples a token from `logits` (not modified; a view of native memory works too). */
  sample(logits: Float32Array): number {
    if (this.pointer === null) throw new Error("the llama.cpp sampler chain is closed");
    const token = this.library.native.rsk_llama_sampler_sample(this.pointer, logits, logits.length);
    if (token < 0) throw new Error(`llama.cpp sampler rejected a row of ${logits.length} logits (max ${this.nVocab})`);
    return token;
  }

  /** Frees the chain. */
  close(): void {
    if (this.pointer === null) return;
    this.library.native.rsk_llama_sampler_free(this.pointer);
    this.pointer = null;
  }
}
