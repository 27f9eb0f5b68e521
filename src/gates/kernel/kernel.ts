/** A pack's gate kernel as the gates run it: one WASM module, its bounds, a per-call time budget and quarantine. */
import type { ScanResult, WasmGateModule } from "./abi.ts";

/** A gate kernel call that failed: the kernel erred, overran its budget, is quarantined or is not loaded. */
export class KernelGateError extends Error {
  constructor(kernel: string, reason: string) {
    super(`gate kernel ${kernel}: ${reason}`);
    this.name = "KernelGateError";
  }
}

/** What observers see of a pack kernel (gate or sampler). */
export interface PackKernelInfo {
  /** `pack/name@version`. */
  readonly label: string;
  /** `gate` or `sampler`. */
  readonly kind: "gate" | "sampler";
}

/** Who hears about pack kernel calls and quarantines (logs, metrics). */
export interface GateKernelObserver {
  /** One call completed in `seconds` (`rows`: a sampler kernel's batch call, and how many rows it sampled). */
  called?(kernel: PackKernelInfo, seconds: number, rows?: number): void;
  /** The kernel was taken out of service for `reason`; every later call fails. */
  quarantined?(kernel: PackKernelInfo, reason: string): void;
}

/** Where a kernel comes from and how it may behave, as its signed manifest declares. */
export interface GateKernelSpec {
  /** Pack id. */
  readonly pack: string;
  /** Pack version. */
  readonly version: string;
  /** Kernel name within the pack. */
  readonly name: string;
  /** Longest match the kernel reports, in units: its share of the stream's hold-back. */
  readonly maxLength: number;
  /** Longest one scan call may take, in ms. */
  readonly budgetMs: number;
}

/**
 * One loaded gate kernel, shared by every stream (calls are synchronous and the ABI is stateless between calls).
 *
 * The budget is measured per call, after it returns, and the first overrun quarantines the kernel: a WASM call
 * cannot be pre-empted from the JS thread running it (a Worker + Atomics.wait could cut a call off, but costs a thread
 * hop per chunk and is missing on edge hosts). What bounds a call for real is the loop meter rsk adds at load
 * (src/packs/fuel.ts): every loop head and function entry spends one unit of fuel and traps at zero, so a kernel that would never return
 * traps after fuelFor(budgetMs) iterations (several times its budget) and is quarantined like any failed call. Each
 * call's input is bounded too (≤ `capacity` units), so an honest linear kernel's work is; a slow kernel (a
 * pathological input, a bug) is caught on its first slow call (confirmed by one rerun, so a host stall does not
 * quarantine a good kernel), that request fails closed, and no later request reaches it.
 */
export class GateKernel implements PackKernelInfo {
  /** Discriminant for observers. */
  readonly kind = "gate";
  #quarantined: string | undefined;
  /** Duration of the last timed call, in ms. */
  #ms = 0;

  constructor(
    /** What the manifest declares. */
    readonly spec: GateKernelSpec,
    private readonly module: WasmGateModule,
    private readonly observer: GateKernelObserver = {},
  ) {}

  /** `pack/name@version`, as errors and logs name it. */
  get label(): string {
    return `${this.spec.pack}/${this.spec.name}@${this.spec.version}`;
  }

  /** Units one call may scan. */
  get capacity(): number {
    return this.module.capacity;
  }

  /** Why the kernel was taken out of service (undefined: in service). */
  get quarantined(): string | undefined {
    return this.#quarantined;
  }

  /** Takes the kernel out of service; later calls throw. */
  quarantine(reason: string): void {
    if (this.#quarantined !== undefined) return;
    this.#quarantined = reason;
    this.observer.quarantined?.(this, reason);
  }

  /** Loads the window and times the scan call alone (into `#ms`; a field, not a returned pair, to allocate nothing per call). */
  #timed(units: Uint16Array, prev: number, atEnd: boolean): number {
    this.module.load(units);
    const t0 = performance.now();
    const status = this.module.run(units.length, prev, atEnd);
    this.#ms = performance.now() - t0;
    return status;
  }

  /** One timed scan call; throws KernelGateError (quarantining the kernel) on an error or an overrun. */
  scan(units: Uint16Array, prev: number, atEnd: boolean): ScanResult {
    if (this.#quarantined !== undefined) throw new KernelGateError(this.label, `quarantined: ${this.#quarantined}`);
    let result: ScanResult;
    try {
      let status = this.#timed(units, prev, atEnd);
      // Over budget once: the same call again (the ABI is stateless, so the answer is the same). A stall of the host
      // thread (pre-emption on a busy machine, a collector pause) lands in one call, not two in a row; a slow kernel
      // is slow both times.
      if (this.#ms > this.spec.budgetMs) status = this.#timed(units, prev, atEnd);
      result = this.module.result(status, units.length);
    } catch (err) {
      const reason = `failed: ${err instanceof Error ? err.message : String(err)}`;
      this.quarantine(reason);
      throw new KernelGateError(this.label, reason);
    }
    const ms = this.#ms;
    this.observer.called?.(this, ms / 1000);
    if (ms > this.spec.budgetMs) {
      const reason = `a call on ${units.length} units took ${ms.toFixed(2)} ms, over its ${this.spec.budgetMs} ms budget`;
      this.quarantine(reason);
      throw new KernelGateError(this.label, reason);
    }
    return result;
  }
}
