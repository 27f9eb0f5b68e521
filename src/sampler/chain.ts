/**
 * `SamplerChain`: one sequence's sampler — config turned into kernel parameters once, the state that
 * carries across steps (RNG step, Mirostat mu, penalty window), and the checks on every draw.
 */
import { rowResult, stageRow } from "../../ffi/batch.ts";
import type { Distribution, KernelError, Logits, SampleBatch, SampleParams, SamplingKernels, TokenMask } from "../../ffi/kernels.ts";
import type { SamplingConfig } from "./config.ts";

/** llama.cpp treats a bias of -100 or less as a ban; we pass -inf so the token can never be drawn. */
const BAN = -100;

/** A drawn token that passed the checks. */
export interface SampledToken {
  /** Discriminant. */
  readonly ok: true;
  /** The token. */
  readonly token: number;
  /** Its probability under the final distribution. */
  readonly prob: number;
  /** Support size of the final distribution. */
  readonly size: number;
}

/** A draw the checks rejected (a kernel bug or corrupted memory): the caller must fail closed. */
export interface SamplerCheckFailure {
  /** Discriminant. */
  readonly ok: false;
  /** Always "check" (kernel refusals carry a numeric status instead). */
  readonly status: "check";
  /** Which invariant broke. */
  readonly message: string;
}

/** A configuration that cannot run on this vocabulary. */
export interface SamplerConfigError {
  /** Discriminant. */
  readonly ok: false;
  /** What is wrong. */
  readonly message: string;
}

/** Simplex tolerance of the check (the kernels guarantee 1e-12). */
const SIMPLEX_TOLERANCE = 1e-9;

/** The sampler for one sequence over a vocabulary of `V` tokens. */
export class SamplerChain<V extends number> {
  private readonly params: { -readonly [K in keyof SampleParams]: SampleParams[K] };
  private readonly window: Int32Array;
  private filled = 0;
  private next = 0;
  private readonly out: Distribution;

  private constructor(
    private readonly kernels: SamplingKernels,
    /** Vocabulary size the logits and masks must have. */
    readonly vocab: V,
    config: SamplingConfig,
    private readonly bias: { readonly ids: Int32Array; readonly values: Float32Array },
  ) {
    this.params = {
      temperature: config.temperature, topK: config.top_k, topP: config.top_p, minP: config.min_p,
      typicalP: config.typical_p, minKeep: config.min_keep, mirostat: config.mirostat, tau: config.mirostat_tau,
      eta: config.mirostat_eta, mu: 2 * config.mirostat_tau, repeatPenalty: config.repeat_penalty,
      frequencyPenalty: config.frequency_penalty, presencePenalty: config.presence_penalty,
      seed: config.seed ?? randomSeed(), step: 0,
    };
    this.window = new Int32Array(config.repeat_last_n);
    this.out = { ids: new Int32Array(vocab), probs: new Float64Array(vocab) };
  }

  /** Builds a chain, or explains why the config does not fit this vocabulary. */
  static create<V extends number>(kernels: SamplingKernels, vocab: V, config: SamplingConfig): SamplerChain<V> | SamplerConfigError {
    if (config.top_k > vocab) return { ok: false, message: `top_k ${config.top_k} exceeds the vocabulary size ${vocab}` };
    const entries = Object.entries(config.logit_bias).map(([id, bias]) => [Number(id), bias] as const);
    const outside = entries.find(([id]) => id >= vocab);
    if (outside) return { ok: false, message: `logit_bias token ${outside[0]} is outside the vocabulary (size ${vocab})` };
    const bias = {
      ids: Int32Array.from(entries, ([id]) => id),
      values: Float32Array.from(entries, ([, b]) => (b <= BAN ? -Infinity : b)),
    };
    return new SamplerChain(kernels, vocab, config, bias);
  }

  /** The RNG counter of the next draw (the same seed and step give the same token on every backend). */
  get step(): number {
    return this.params.step;
  }

  /** Mirostat's current mu. */
  get mu(): number {
    return this.params.mu;
  }

  /** The kernels this chain samples with (a batch must come from the same ones; without `batch`, it samples alone). */
  get implementation(): SamplingKernels {
    return this.kernels;
  }

  /** Room this chain needs in a batch row: its penalty window plus its logit-bias ids. */
  get batchTokens(): number {
    return this.window.length + this.bias.ids.length;
  }

  /** Writes this step's request into row `row` of `batch` (run it, then call `finish`): several chains, one kernel call. */
  stage(batch: SampleBatch, row: number, mask?: TokenMask<V>): void {
    stageRow(batch, row, { params: this.params, mask, recent: this.window.subarray(0, this.filled), bias: this.bias });
  }

  /** Reads row `row` of a batch that ran after `stage`: checks the draw like `sample` and advances the state. */
  finish(batch: SampleBatch, row: number, mask?: TokenMask<V>): SampledToken | KernelError | SamplerCheckFailure {
    const r = rowResult(batch, row);
    if (!r.ok) return r;
    const problem = this.checkDraw(r.token, r.prob, r.muNext, mask) ??
      (Math.abs(r.mass - 1) > SIMPLEX_TOLERANCE ? `final distribution sums to ${r.mass}` : undefined);
    if (problem) return { ok: false, status: "check", message: problem };
    return this.advance(r.token, r.prob, r.size, r.muNext);
  }

  /** Draws the next token under `mask`, checks it, and advances the state (step, mu, penalty window). */
  sample(logits: Logits<V>, mask?: TokenMask<V>): SampledToken | KernelError | SamplerCheckFailure {
    const recent = this.window.subarray(0, this.filled);
    const r = this.kernels.sample(logits, { params: this.params, mask, recent, bias: this.bias }, this.out);
    if (!r.ok) return r;
    const problem = this.check(r.token, r.prob, r.size, r.muNext, mask);
    if (problem) return { ok: false, status: "check", message: problem };
    return this.advance(r.token, r.prob, r.size, r.muNext);
  }

  private advance(token: number, prob: number, size: number, muNext: number): SampledToken {
    this.params.step++;
    this.params.mu = muNext;
    this.remember(token);
    return { ok: true, token, prob, size };
  }

  /** Records a token produced outside `sample` (e.g. the prompt) in the penalty window. */
  remember(token: number): void {
    if (this.window.length === 0) return;
    this.window[this.next] = token;
    this.next = (this.next + 1) % this.window.length;
    this.filled = Math.min(this.filled + 1, this.window.length);
  }

  /** Checks that need no distribution: a token of the vocabulary, allowed, drawn with a probability, a finite mu. */
  private checkDraw(token: number, prob: number, muNext: number, mask?: TokenMask<V>): string | undefined {
    if (!Number.isInteger(token) || token < 0 || token >= this.vocab) return `token ${token} is outside the vocabulary`;
    if (mask && !((mask[token >>> 5]! >>> (token & 31)) & 1)) return `token ${token} is masked out`;
    if (!(prob > 0 && prob <= 1)) return `token ${token} was drawn with probability ${prob}`;
    if (!Number.isFinite(muNext)) return `mirostat mu became ${muNext}`;
    return undefined;
  }

  /** Independent checks of the kernel's answer: allowed token, in the support, a valid simplex. */
  private check(token: number, prob: number, size: number, muNext: number, mask?: TokenMask<V>): string | undefined {
    const problem = this.checkDraw(token, prob, muNext, mask);
    if (problem) return problem;
    let sum = 0, found = false;
    for (let i = 0; i < size; i++) {
      const p = this.out.probs[i]!;
      if (!(p >= 0 && p <= 1)) return `probability ${p} outside [0, 1]`;
      sum += p;
      found ||= this.out.ids[i] === token;
    }
    if (!found) return `token ${token} is not in the final distribution`;
    if (Math.abs(sum - 1) > SIMPLEX_TOLERANCE) return `final distribution sums to ${sum}`;
    return undefined;
  }
}

function randomSeed(): number {
  const words = crypto.getRandomValues(new Uint32Array(2));
  return (words[0]! & 0x1fffff) * 4294967296 + words[1]!;
}
