/** The gate kernels policies can name: `{"type": "kernel", "pack": …, "kernel": …}` resolves here. */
import type { GateKernel } from "./kernel.ts";

/** Gate kernels by pack id and name; a pack's kernels are swapped all at once. */
export class GateKernelTable {
  #packs = new Map<string, ReadonlyMap<string, GateKernel>>();

  /** The kernel `name` of pack `pack` now (undefined: not loaded). */
  get(pack: string, name: string): GateKernel | undefined {
    return this.#packs.get(pack)?.get(name);
  }

  /** Whether pack `pack` is loaded. */
  has(pack: string): boolean {
    return this.#packs.has(pack);
  }

  /** Replaces pack `pack`'s kernels in one step: streams opened after it see only the new ones. */
  swap(pack: string, kernels: ReadonlyMap<string, GateKernel>): void {
    this.#packs.set(pack, kernels);
  }

  /** Forgets pack `pack`; policies naming it then fail closed. */
  remove(pack: string): void {
    this.#packs.delete(pack);
  }
}

/**
 * The process's gate kernels. A process-wide table because policies are compiled by code that knows nothing of packs
 * (the policy store, tool-argument gates); the pack registry is its only writer.
 */
export const gateKernels = new GateKernelTable();
