/** llama.cpp's grammar sampler over a loaded model's vocabulary: the peer rsk's grammar masks are benchmarked against. */
import type { NativePointer } from "../native.ts";
import type { LlamaLibrary } from "./library.ts";
import type { LlamaModel } from "./model.ts";

const encoder = new TextEncoder();
const cString = (text: string) => encoder.encode(`${text}\0`);

/** One llama.cpp grammar sampler (`llama_sampler_init_grammar`); `close()` frees it. */
export class LlamaGrammarSampler {
  private pointer: NativePointer | null;
  /** Scratch the shim fills with 1 per allowed token. */
  private readonly allowed: Float32Array;
  /** Logits handed to the grammar (all zero: only the mask matters). */
  private readonly logits: Float32Array;

  private constructor(
    private readonly library: LlamaLibrary,
    pointer: NativePointer,
    /** Vocabulary size of the model. */
    readonly nVocab: number,
  ) {
    this.pointer = pointer;
    this.allowed = new Float32Array(nVocab);
    this.logits = new Float32Array(nVocab);
  }

  /** A sampler for GBNF `grammar` starting at rule `root`; throws with llama.cpp's message when it refuses it. */
  static create(model: LlamaModel, grammar: string, root = "root"): LlamaGrammarSampler {
    const library = model.library;
    const handle = library.native.rsk_llama_grammar_new(model.handle, cString(grammar), cString(root));
    if (handle === null) throw new Error(`llama.cpp refused the grammar: ${library.lastError()}`);
    return new LlamaGrammarSampler(library, handle, model.nVocab);
  }

  /** One mask computation over the whole vocabulary (what llama.cpp does per step); the allowed count. */
  apply(): number {
    const n = this.library.native.rsk_llama_grammar_apply(this.live, this.logits, this.nVocab, this.allowed);
    if (n < 0) throw new Error("llama.cpp grammar apply failed");
    return n;
  }

  /** Whether the last `apply()` allowed `token`. */
  allows(token: number): boolean {
    return this.allowed[token] === 1;
  }

  /** Advances the grammar by `token`, which must be allowed (llama.cpp aborts the process otherwise). */
  accept(token: number): void {
    if (!this.allows(token)) throw new Error(`token ${token} is not allowed by the llama.cpp grammar`);
    this.library.native.rsk_llama_sampler_accept(this.live, token);
  }

  /** Frees the sampler. */
  close(): void {
    if (this.pointer === null) return;
    this.library.native.rsk_llama_sampler_free(this.pointer);
    this.pointer = null;
  }

  private get live(): NativePointer {
    if (this.pointer === null) throw new Error("the llama.cpp grammar sampler is closed");
    return this.pointer;
  }
}
