/**
 * A pack's sampler kernel as the kernels a sampler chain draws with: its draws while it is in service, the built-in
 * kernels' once it is quarantined (an overrun, a trap, running out of fuel, an answer outside its buffers), for
 * the very call that failed and every later one. A sampler choice is not a safety decision (every token still
 * passes the chain's checks and the output gates), so falling back keeps the request alive rather than failing it.
 */
import type { KernelError, Kernels, SampleBatch, SampleDraw, SamplingKernels } from "../../ffi/kernels.ts";
import { type SamplerKernel, SamplerKernelError } from "./sampler.ts";

/** Runs `pack`, or `builtIn` when it throws SamplerKernelError (the kernel is then quarantined). */
function orBuiltIn<T>(kernel: SamplerKernel, pack: () => T, builtIn: () => T): T {
  if (kernel.quarantined !== undefined) return builtIn();
  try {
    return pack();
  } catch (err) {
    if (!(err instanceof SamplerKernelError)) throw err;
    return builtIn();
  }
}

/**
 * A batch in the pack kernel's memory whose `run` falls back to a built-in batch of the same shape: the staged
 * rows are copied over, run there, and their io slots copied back, so callers read rows where they staged them.
 */
function fallbackBatch(kernel: SamplerKernel, pack: SampleBatch, builtIn: Kernels["batch"]): SampleBatch {
  let spare: SampleBatch | undefined;
  const runBuiltIn = (n: number, from?: Float32Array): number => {
    spare ??= builtIn(pack.vocab, pack.rows, pack.tokensPerRow);
    spare.io().set(pack.io());
    spare.masks().set(pack.masks());
    spare.tokens().set(pack.tokens());
    spare.bias().set(pack.bias());
    const failed = spare.run(n, from ?? pack.logits());
    pack.io().set(spare.io());
    return failed;
  };
  return {
    vocab: pack.vocab, rows: pack.rows, tokensPerRow: pack.tokensPerRow,
    logits: () => pack.logits(), io: () => pack.io(), masks: () => pack.masks(), tokens: () => pack.tokens(), bias: () => pack.bias(),
    run: (n, from) => orBuiltIn(kernel, () => pack.run(n, from), () => runBuiltIn(n, from)),
  };
}

/** `kernel` with `builtIn` behind it; it can batch exactly when the kernel's module exports rsk_sample_batch. */
export function packSampling(kernel: SamplerKernel, builtIn: Pick<Kernels, "sample" | "batch">): SamplingKernels {
  const sample: Kernels["sample"] = (logits, request, out): SampleDraw | KernelError =>
    orBuiltIn(kernel, () => kernel.sample(logits, request, out), () => builtIn.sample(logits, request, out));
  if (!kernel.batches) return { sample };
  const batch: Kernels["batch"] = (vocab, rows, tokensPerRow) =>
    orBuiltIn(kernel, () => fallbackBatch(kernel, kernel.batch(vocab, rows, tokensPerRow), builtIn.batch), () => builtIn.batch(vocab, rows, tokensPerRow));
  return { sample, batch };
}
