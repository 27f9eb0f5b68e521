/** The sampler kernels requests can name (`"sampler_kernel": "pack/kernel"`): the pack registry publishes them here. */
import type { SamplerKernel } from "./sampler.ts";

/** Sampler kernels by pack id and name; a pack's kernels are swapped all at once. */
export class SamplerKernelTable {
  #packs = new Map<string, ReadonlyMap<string, SamplerKernel>>();

  /** The kernel `name` of pack `pack` now (undefined: not loaded). */
  get(pack: string, name: string): SamplerKernel | undefined {
    return this.#packs.get(pack)?.get(name);
  }

  /** Replaces pack `pack`'s sampler kernels in one step: requests starting after it get the new ones. */
  swap(pack: string, kernels: ReadonlyMap<string, SamplerKernel>): void {
    this.#packs.set(pack, kernels);
  }

  /** Every loaded `pack/kernel` name, for error messages. */
  names(): string[] {
    return [...this.#packs].flatMap(([pack, kernels]) => [...kernels.keys()].map((name) => `${pack}/${name}`));
  }
}

/**
 * The process's sampler kernels. Process-wide for the reason gateKernels is (src/gates/kernel/table.ts): the local
 * backend is built by code that knows nothing of packs; the pack registry is its only writer.
 */
export const samplerKernels = new SamplerKernelTable();
