/** Installed kernel packs (gate and sampler kernels): each new version is self-tested before an atomic swap, else rolled back. */
import { WasmGateModule } from "../gates/kernel/abi.ts";
import { GateKernel, type GateKernelObserver } from "../gates/kernel/kernel.ts";
import { gateKernels, type GateKernelTable } from "../gates/kernel/table.ts";
import { kernelMetrics, type KernelMetrics } from "../metrics/kernels.ts";
import { fuelFor } from "./fuel.ts";
import { type PackFiles, PackError, openPack, type VerifiedPack } from "./open.ts";
import { SamplerKernel } from "./sampler.ts";
import { samplerKernels, type SamplerKernelTable } from "./sampler-table.ts";
import { samplerSelfTest, selfTest } from "./self-test.ts";
import type { TrustedKey } from "./signature.ts";

/** What is installed for one pack id. */
export interface InstalledPack {
  /** Pack id. */
  readonly id: string;
  /** Pack version. */
  readonly version: string;
  /** Where it came from. */
  readonly origin: string;
  /** kid of the key that signed it. */
  readonly signer: string;
  /** Its gate kernels by name. */
  readonly gates: ReadonlyMap<string, GateKernel>;
  /** Its sampler kernels by name. */
  readonly samplers: ReadonlyMap<string, SamplerKernel>;
}

/** The packs a process serves; writes the gate kernel table policies compile against. */
export class PackRegistry {
  #installed = new Map<string, InstalledPack>();
  #queue: Promise<unknown> = Promise.resolve();
  /** The caller's observer, plus every call recorded in the kernel dispatch metrics under `impl="pack"`. */
  private readonly observer: GateKernelObserver;

  constructor(
    /** Keys a pack's signature must verify against. */
    private readonly trusted: readonly TrustedKey[],
    /** Hears every pack kernel call and quarantine. */
    observer: GateKernelObserver = {},
    /** Where gate kernels are published (the process table unless a test isolates one). */
    private readonly table: GateKernelTable = gateKernels,
    /** Where calls are counted (`/metrics`: rsk_kernel_calls_total{impl="pack"}). */
    metrics: KernelMetrics = kernelMetrics,
    /** Where sampler kernels are published for requests to name (the process table unless a test isolates one). */
    private readonly samplerTable: SamplerKernelTable = samplerKernels,
  ) {
    this.observer = {
      ...observer,
      called: (kernel, seconds, rows) => {
        const op = kernel.kind === "gate" ? "gate_scan" : rows === undefined ? "sample" : "sample_batch";
        metrics.record("pack", op, seconds, kernel.kind === "gate" ? 0 : rows ?? 1);
        observer.called?.(kernel, seconds, rows);
      },
    };
  }

  /** The installed version of pack `id`. */
  get(id: string): InstalledPack | undefined {
    return this.#installed.get(id);
  }

  /** The sampler kernel `name` of pack `pack` now: a caller falls back to the built-in kernels when it is absent or quarantined. */
  sampler(pack: string, name: string): SamplerKernel | undefined {
    const kernel = this.#installed.get(pack)?.samplers.get(name);
    return kernel?.quarantined === undefined ? kernel : undefined;
  }

  /** Every installed pack. */
  list(): InstalledPack[] {
    return [...this.#installed.values()];
  }

  /**
   * Verifies, instantiates and self-tests a pack, then swaps it in atomically (streams already open keep the kernels
   * they started with). On any failure nothing changes: the previous version, or the built-in gates alone, stay, and
   * the PackError says which version is kept.
   */
  install(files: PackFiles): Promise<InstalledPack> {
    // One install at a time, in call order: a later change to a folder never loses to an earlier, slower install.
    const next = this.#queue.then(() => this.#install(files));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #install(files: PackFiles): Promise<InstalledPack> {
    let pack: VerifiedPack;
    try {
      pack = await openPack(files, this.trusted);
    } catch (err) {
      throw this.#kept(err as Error);
    }
    const { id, version } = pack.manifest;
    const gates = new Map<string, GateKernel>(), samplers = new Map<string, SamplerKernel>();
    // Quarantines during the self-test refuse the pack; they are reported as such, not as a kernel leaving service.
    let serving = false;
    const observer: GateKernelObserver = { called: this.observer.called, quarantined: (k, reason) => serving && this.observer.quarantined?.(k, reason) };
    for (const entry of pack.manifest.kernels) {
      const module = pack.modules.get(entry.name)!;
      const label = `${id}/${entry.name}@${version}`;
      let failed: string | undefined;
      try {
        if (entry.kind === "gate") {
          const gate = await WasmGateModule.instantiate(module, fuelFor(entry.budgetMs));
          if (gate.capacity < 2 * entry.maxLength + 2) throw new Error(`its input buffer holds ${gate.capacity} units, under 2 × maxLength + 2 = ${2 * entry.maxLength + 2}`);
          const kernel = new GateKernel({ pack: id, version, name: entry.name, maxLength: entry.maxLength, budgetMs: entry.budgetMs }, gate, observer);
          failed = selfTest(kernel, entry.selfTest);
          gates.set(entry.name, kernel);
        } else {
          const kernel = await SamplerKernel.instantiate(module, label, entry.budgetMs, observer);
          failed = samplerSelfTest(kernel, entry.selfTest);
          samplers.set(entry.name, kernel);
        }
      } catch (err) {
        throw this.#kept(new PackError(id, `kernel ${entry.name}: ${(err as Error).message}`));
      }
      if (failed !== undefined) throw this.#kept(new PackError(id, `version ${version}: kernel ${entry.name} failed its self-test: ${failed}`));
    }
    const installed: InstalledPack = { id, version, origin: pack.origin, signer: pack.signer, gates, samplers };
    this.table.swap(id, gates);
    this.samplerTable.swap(id, samplers);
    this.#installed.set(id, installed);
    serving = true;
    return installed;
  }

  /** The error, saying what keeps serving in the refused pack's place. */
  #kept(err: Error): Error {
    if (!(err instanceof PackError)) return err;
    const previous = this.#installed.get(err.pack) ?? [...this.#installed.values()].find((p) => p.origin === err.pack);
    const kept = previous ? `rolled back: version ${previous.version} stays in service` : "not loaded: the built-in gates and kernels stay";
    return new PackError(err.pack, `${err.reason} (${kept})`);
  }
}
