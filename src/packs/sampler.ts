/**
 * Pack sampler kernels: a WASM module with rsk.wasm's sampling export (`rsk_sample`, `rsk_work_len` and
 * `rsk_abi_version` of kernels/include/rsk.h, `memory`, `__heap_base`), called with the same buffers as ffi/wasm-module.ts, timed against
 * its budget and quarantined on the first overrun; every loop is metered (src/packs/fuel.ts), so a call that would
 * never return traps instead and the kernel is quarantined.
 */
import { batchSizes, batchStatus, checkBatchShape, checkRun, memoryBatchViews } from "../../ffi/batch.ts";
import { type Distribution, type KernelError, type SampleBatch, type SampleDraw, type SampleParams, type SampleRequest, checkShapes, decodeDraw, encodeParams, io, kernelError } from "../../ffi/kernels.ts";
import { RSK_ABI_VERSION } from "../../ffi/symbols.ts";
import type { GateKernelObserver, PackKernelInfo } from "../gates/kernel/kernel.ts";
import { FuelTank, fuelFor } from "./fuel.ts";

/** The sampling exports a sampler kernel must have. */
interface SamplerExports {
  readonly memory: WebAssembly.Memory;
  readonly __heap_base: WebAssembly.Global;
  rsk_abi_version(): number;
  rsk_work_len(vocab: number, tokens: number): number;
  rsk_sample(...args: number[]): number;
  /** Optional: the batch entry point (rsk.h's rsk_sample_batch). */
  rsk_sample_batch?(...args: number[]): number;
}

const REQUIRED = ["memory", "__heap_base", "rsk_abi_version", "rsk_work_len", "rsk_sample"] as const;

/** A sampler kernel call that failed: over budget, trapped, or quarantined. */
export class SamplerKernelError extends Error {
  constructor(kernel: string, reason: string) {
    super(`sampler kernel ${kernel}: ${reason}`);
    this.name = "SamplerKernelError";
  }
}

/** Parameters that turn every stage off (plain temperature 1); golden vectors and callers override what they use. */
export const NEUTRAL_PARAMS: SampleParams = {
  temperature: 1, topK: 0, topP: 1, minP: 0, typicalP: 1, minKeep: 1, mirostat: 0, tau: 5, eta: 0.1, mu: 10,
  repeatPenalty: 1, frequencyPenalty: 0, presencePenalty: 0, seed: 0, step: 0,
};

/** One loaded sampler kernel of a pack. */
export class SamplerKernel implements PackKernelInfo {
  /** Discriminant for observers. */
  readonly kind = "sampler";
  #quarantined: string | undefined;

  private constructor(
    /** `pack/name@version`. */
    readonly label: string,
    private readonly x: SamplerExports,
    private readonly budgetMs: number,
    private readonly tank: FuelTank,
    private readonly observer: GateKernelObserver,
  ) {}

  /** Instantiates a metered `module` (meterLoops; no imports allowed), refusing one that lacks a sampling export. */
  static async instantiate(module: WebAssembly.Module, label: string, budgetMs: number, observer: GateKernelObserver = {}): Promise<SamplerKernel> {
    const imports = WebAssembly.Module.imports(module);
    if (imports.length > 0) throw new Error(`it imports ${imports.map((i) => `${i.module}.${i.name}`).join(", ")} (sampler kernels get no imports)`);
    const names = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
    const missing = REQUIRED.filter((n) => !names.has(n));
    if (missing.length > 0) throw new Error(`it lacks the exports ${missing.join(", ")}`);
    const instance = await WebAssembly.instantiate(module, {});
    const x = instance.exports as unknown as SamplerExports;
    const abi = x.rsk_abi_version();
    if (abi !== RSK_ABI_VERSION) throw new Error(`rsk_abi_version() is ${abi}, this rsk's sampler ABI (rsk.h) is ${RSK_ABI_VERSION}`);
    return new SamplerKernel(label, x, budgetMs, FuelTank.of(instance.exports, fuelFor(budgetMs)), observer);
  }

  /** Why the kernel was taken out of service (undefined: in service). */
  get quarantined(): string | undefined {
    return this.#quarantined;
  }

  #quarantine(reason: string): never {
    this.#quarantined = reason;
    this.observer.quarantined?.(this, reason);
    throw new SamplerKernelError(this.label, reason);
  }

  /** Start of the memory per-call buffers are laid out from (batches reserve theirs below it, once). */
  #floor = -1;

  /** `bytes` (8-byte aligned) at the floor, raised past them for good: a batch's buffers, which live across calls. */
  #reserve(bytes: number): number {
    if (this.#floor < 0) this.#floor = ((this.x.__heap_base.value as number) + 63) & ~63;
    const offset = this.#floor;
    this.#floor = (offset + bytes + 7) & ~7;
    this.#room(this.#floor);
    return offset;
  }

  /** Grows the kernel's memory to at least `end` bytes. */
  #room(end: number): void {
    const missing = end - this.x.memory.buffer.byteLength;
    if (missing > 0) this.x.memory.grow(Math.ceil(missing / 65536));
  }

  /**
   * Runs `call` with fuel and a clock for `rows` batch rows (budget and fuel scale with them; undefined: one sample
   * call); an overrun is confirmed by one
   * rerun when `rerun` (a host stall lands in one call, not two, as for gate kernels). A trap (fuel included) or a
   * confirmed overrun quarantines the kernel and throws SamplerKernelError.
   */
  #guarded(what: string, rows: number | undefined, rerun: boolean, call: () => number): number {
    const budget = this.budgetMs * (rows ?? 1);
    const timed = (): [number, number] => {
      this.tank.fill(fuelFor(budget));
      const t0 = performance.now();
      try {
        const status = call();
        return [status, performance.now() - t0];
      } catch (err) {
        throw this.tank.explain(err);
      }
    };
    let code: number, ms: number;
    try {
      [code, ms] = timed();
      if (ms > budget && rerun) [code, ms] = timed();
    } catch (err) {
      return this.#quarantine(`failed: ${(err as Error).message}`);
    }
    this.observer.called?.(this, ms / 1000, rows);
    if (ms > budget) this.#quarantine(`a call on ${what} took ${ms.toFixed(2)} ms, over its ${budget} ms budget`);
    return code;
  }

  /** A bookkeeping call (rsk_work_len): fueled, not timed or counted; a trap quarantines the kernel. */
  #untimed(call: () => number): number {
    this.tank.fill();
    try {
      return call();
    } catch (err) {
      return this.#quarantine(`failed: ${(this.tank.explain(err) as Error).message}`);
    }
  }

  #inService(): void {
    if (this.#quarantined !== undefined) throw new SamplerKernelError(this.label, `quarantined: ${this.#quarantined}`);
  }

  /**
   * One sampling step, with rsk_sample's semantics (bad inputs are a KernelError, as with the built-in kernels);
   * `out` gets the final distribution, read from where the kernel says it is only if that lies in its work area.
   * Throws SamplerKernelError when the kernel is quarantined, traps, overruns its budget or answers outside its
   * buffers; callers fall back to the built-in kernels.
   */
  sample(logits: Float32Array, request: Omit<SampleRequest<number>, "isa">, out?: Distribution): SampleDraw | KernelError {
    this.#inService();
    checkShapes(logits, request);
    const x = this.x, V = logits.length;
    const recent = request.recent, bias = request.bias, mask = request.mask;
    const nRecent = recent?.length ?? 0, nBias = bias?.ids.length ?? 0, total = nRecent + nBias;
    const workLength = this.#untimed(() => x.rsk_work_len(V, total));
    if (workLength === 0) return kernelError(V > 2 ** 24 ? -1 : -5);
    // One bump layout per call from the floor: io, work, logits, tokens, bias, mask (8-byte aligned).
    let top = this.#reserve(0);
    const take = (bytes: number): number => {
      const offset = top;
      top = (top + bytes + 7) & ~7;
      return offset;
    };
    const at = { io: take(io.length * 8), work: take(workLength * 8), logits: take(V * 4), tokens: take(total * 4 + 4), bias: take(nBias * 4 + 4), mask: take((mask?.length ?? 0) * 4 + 4) };
    this.#room(top);
    const mem = x.memory.buffer;
    new Float32Array(mem, at.logits, V).set(logits);
    const tokens = new Int32Array(mem, at.tokens, total);
    if (recent) tokens.set(recent);
    if (bias) {
      tokens.set(bias.ids, nRecent);
      new Float32Array(mem, at.bias, nBias).set(bias.values);
    }
    if (mask) new Uint32Array(mem, at.mask, mask.length).set(mask);
    const code = this.#guarded(`${V} logits`, undefined, true, () => {
      encodeParams(new Float64Array(x.memory.buffer, at.io, io.length), request.params, nRecent, 0);
      return x.rsk_sample(at.logits, V, mask ? at.mask : 0, mask?.length ?? 0, at.tokens, total, bias ? at.bias : 0, nBias, at.io, io.length, at.work, workLength);
    });
    if (code < 0) return kernelError(code);
    const result = new Float64Array(x.memory.buffer, at.io, io.length);
    if (out) {
      const n = result[io.nFinal]!, ids = at.work + result[io.finalIds]! * 4, probs = at.work + result[io.finalProbs]! * 8;
      const inWork = (from: number, bytes: number) => Number.isInteger(from) && from >= at.work && from + bytes <= at.work + workLength * 8;
      if (!(Number.isInteger(n) && n >= 1 && n <= V && inWork(ids, n * 4) && inWork(probs, n * 8) && probs % 8 === 0 && ids % 4 === 0)) {
        this.#quarantine(`its final distribution (${n} entries at ids ${ids}, probs ${probs}) lies outside its work area`);
      }
      out.ids.set(new Int32Array(x.memory.buffer, ids, n));
      out.probs.set(new Float64Array(x.memory.buffer, probs, n));
    }
    return decodeDraw(result);
  }

  /** Whether the module exports rsk_sample_batch: then the decode loop samples a step's rows in one call (`batch`). */
  get batches(): boolean {
    return typeof this.x.rsk_sample_batch === "function";
  }

  /**
   * A batch laid out once in the kernel's memory (rsk_sample_batch's ABI, as the built-in kernels' batches). `run` is
   * fueled and timed for its rows (budget × rows) and throws SamplerKernelError like `sample`.
   */
  batch(vocab: number, rows: number, tokensPerRow: number): SampleBatch {
    const x = this.x, kernel = x.rsk_sample_batch;
    if (!kernel) throw new SamplerKernelError(this.label, "it has no rsk_sample_batch export");
    this.#inService();
    checkBatchShape(vocab, rows, tokensPerRow);
    const workLength = this.#untimed(() => x.rsk_work_len(vocab, tokensPerRow));
    if (workLength === 0) throw new RangeError(`batch of ${vocab} logits: rsk_work_len refused it`);
    const n = batchSizes(vocab, rows, tokensPerRow);
    const at = {
      logits: this.#reserve(n.logits * 4), io: this.#reserve(n.io * 8), masks: this.#reserve(n.masks * 4),
      tokens: this.#reserve(n.tokens * 4), bias: this.#reserve(n.tokens * 4), work: this.#reserve(workLength * 8),
    };
    const views = memoryBatchViews(() => x.memory.buffer, at, n);
    const self: SampleBatch = {
      vocab, rows, tokensPerRow,
      ...views,
      run: (count, from) => {
        this.#inService();
        const logits = from ?? views.logits();
        checkRun(self, count, logits);
        if (logits.buffer !== x.memory.buffer || logits.byteOffset !== at.logits) views.logits().set(logits.subarray(0, count * vocab));
        // A rerun is the same call only when no row advances its own state.
        let advancing = false;
        const rowIo = views.io();
        for (let r = 0; r < count; r++) advancing ||= rowIo[r * io.length + io.advance] === 1;
        return batchStatus(this.#guarded(`${count} rows of ${vocab} logits`, Math.max(1, count), !advancing, () =>
          kernel(at.logits, count, vocab, vocab, at.masks, n.masks, at.tokens, n.tokens, at.bias, n.tokens, at.io, count * io.length, at.work, workLength)));
      },
    };
    return self;
  }
}
