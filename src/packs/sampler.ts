/**
 * Pack sampler kernels: a WASM module with rsk.wasm's sampling export (`rsk_sample`, `rsk_work_len` and
 * `rsk_abi_version` of kernels/include/rsk.h, `memory`, `__heap_base`), called with the same buffers as ffi/wasm-module.ts, timed against
 * its budget and quarantined on the first overrun (see GateKernel for why a budget is measured, not enforced).
 */
import { type KernelError, type SampleDraw, type SampleParams, type SampleRequest, checkShapes, decodeDraw, encodeParams, io, kernelError } from "../../ffi/kernels.ts";
import { RSK_ABI_VERSION } from "../../ffi/symbols.ts";
import type { GateKernelObserver, PackKernelInfo } from "../gates/kernel/kernel.ts";

/** The sampling exports a sampler kernel must have. */
interface SamplerExports {
  readonly memory: WebAssembly.Memory;
  readonly __heap_base: WebAssembly.Global;
  rsk_abi_version(): number;
  rsk_work_len(vocab: number, tokens: number): number;
  rsk_sample(...args: number[]): number;
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
    private readonly observer: GateKernelObserver,
  ) {}

  /** Instantiates `module` (no imports allowed), refusing one that lacks a sampling export. */
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
    return new SamplerKernel(label, x, budgetMs, observer);
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

  /**
   * One sampling step, with rsk_sample's semantics (bad inputs are a KernelError, as with the built-in kernels).
   * Throws SamplerKernelError when the kernel is quarantined, traps or overruns its budget; callers fall back to
   * the built-in kernels.
   */
  sample(logits: Float32Array, request: Omit<SampleRequest<number>, "isa">): SampleDraw | KernelError {
    if (this.#quarantined !== undefined) throw new SamplerKernelError(this.label, `quarantined: ${this.#quarantined}`);
    checkShapes(logits, request);
    const x = this.x, V = logits.length;
    const recent = request.recent, bias = request.bias, mask = request.mask;
    const nRecent = recent?.length ?? 0, nBias = bias?.ids.length ?? 0, total = nRecent + nBias;
    const workLength = x.rsk_work_len(V, total);
    if (workLength === 0) return kernelError(V > 2 ** 24 ? -1 : -5);
    // One bump layout per call from __heap_base: io, work, logits, tokens, bias, mask (8-byte aligned).
    let top = ((x.__heap_base.value as number) + 63) & ~63;
    const take = (bytes: number): number => {
      const offset = top;
      top = (top + bytes + 7) & ~7;
      return offset;
    };
    const at = { io: take(io.length * 8), work: take(workLength * 8), logits: take(V * 4), tokens: take(total * 4 + 4), bias: take(nBias * 4 + 4), mask: take((mask?.length ?? 0) * 4 + 4) };
    const missing = top - x.memory.buffer.byteLength;
    if (missing > 0) x.memory.grow(Math.ceil(missing / 65536));
    const mem = x.memory.buffer;
    new Float32Array(mem, at.logits, V).set(logits);
    const tokens = new Int32Array(mem, at.tokens, total);
    if (recent) tokens.set(recent);
    if (bias) {
      tokens.set(bias.ids, nRecent);
      new Float32Array(mem, at.bias, nBias).set(bias.values);
    }
    if (mask) new Uint32Array(mem, at.mask, mask.length).set(mask);
    const call = (): [number, number] => {
      encodeParams(new Float64Array(x.memory.buffer, at.io, io.length), request.params, nRecent, 0);
      const t0 = performance.now();
      const status = x.rsk_sample(at.logits, V, mask ? at.mask : 0, mask?.length ?? 0, at.tokens, total, bias ? at.bias : 0, nBias, at.io, io.length, at.work, workLength);
      return [status, performance.now() - t0];
    };
    let code: number, ms: number;
    try {
      [code, ms] = call();
      // Confirmed by one rerun before quarantine, as for gate kernels: a host stall lands in one call, not two.
      if (ms > this.budgetMs) [code, ms] = call();
    } catch (err) {
      return this.#quarantine(`failed: ${(err as Error).message}`);
    }
    this.observer.called?.(this, ms / 1000);
    if (ms > this.budgetMs) this.#quarantine(`a call on ${V} logits took ${ms.toFixed(2)} ms, over its ${this.budgetMs} ms budget`);
    return code < 0 ? kernelError(code) : decodeDraw(new Float64Array(x.memory.buffer, at.io, io.length));
  }
}
