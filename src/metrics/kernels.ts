/**
 * Kernel dispatch metrics: calls by implementation (native, WASM, TS) and operation, with their latency, for
 * `/metrics`. `meteredKernels` wraps a `Kernels` so every sampling call (one step, or one batch of rows) is counted.
 */
import type { Kernels, SampleBatch } from "../../ffi/kernels.ts";
import { Counter, Histogram, type Exposable } from "./registry.ts";

/** Kernel call latency buckets, in seconds: 1 µs (a small-vocabulary step) to 10 ms (a large batch, or TS). */
const KERNEL_S = [1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 1e-2];

/** Operations that are counted (`gate_scan`: one call of a kernel pack's WASM gate kernel). */
export type KernelOp = "sample" | "sample_batch" | "gate_scan";

/** Counters and a histogram per (implementation, operation); one instance per process is the usual choice. */
export class KernelMetrics implements Exposable {
  /** Kernel calls. */
  readonly calls = new Counter("rsk_kernel_calls_total", "Kernel calls by implementation (native, wasm, ts, pack) and operation.", ["impl", "op"]);
  /** Rows sampled (a batch call samples several). */
  readonly rows = new Counter("rsk_kernel_rows_total", "Rows (sampling steps) the sampler kernels ran, by implementation.", ["impl"]);
  /** Time per call. */
  readonly latency = new Histogram("rsk_kernel_call_seconds", "Sampler kernel call latency, in seconds.", KERNEL_S, ["impl", "op"]);

  /** Series per implementation and operation, resolved on first use: a call then costs no label lookup. */
  readonly #series = new Map<string, { calls: { inc(): void }; rows: { inc(by: number): void }; latency: { observe(s: number): void } }>();

  /** Records one call of `op` on `impl` that sampled `rows` rows in `seconds`. */
  record(impl: Kernels["kind"] | "pack", op: KernelOp, seconds: number, rows: number): void {
    const key = `${impl} ${op}`;
    let s = this.#series.get(key);
    if (!s) {
      s = { calls: this.calls.series({ impl, op }), rows: this.rows.series({ impl }), latency: this.latency.series({ impl, op }) };
      this.#series.set(key, s);
    }
    s.calls.inc();
    s.rows.inc(rows);
    s.latency.observe(seconds);
  }

  /** Exposition lines; nothing until the first call (an upstream-only gateway runs no kernel). */
  expose(): string {
    const families = [this.calls.expose(), this.rows.expose(), this.latency.expose()];
    return families.every((f) => f.split("\n").length <= 2) ? "" : families.join("\n");
  }
}

/** The process's kernel metrics (the kernels are chosen once per process too). */
export const kernelMetrics = new KernelMetrics();

/** `kernels` with every `sample` call and every batch `run` recorded into `metrics`. */
export function meteredKernels(kernels: Kernels, metrics: KernelMetrics = kernelMetrics): Kernels {
  const impl = kernels.kind;
  const meterBatch = (batch: SampleBatch): SampleBatch => ({
    vocab: batch.vocab,
    rows: batch.rows,
    tokensPerRow: batch.tokensPerRow,
    logits: () => batch.logits(),
    io: () => batch.io(),
    masks: () => batch.masks(),
    tokens: () => batch.tokens(),
    bias: () => batch.bias(),
    run(n, from) {
      const started = performance.now();
      const failed = batch.run(n, from);
      metrics.record(impl, "sample_batch", (performance.now() - started) / 1000, n);
      return failed;
    },
  });
  return {
    kind: impl,
    isa: kernels.isa,
    logits: (vocab) => kernels.logits(vocab),
    sample(logits, request, out) {
      const started = performance.now();
      const result = kernels.sample(logits, request, out);
      metrics.record(impl, "sample", (performance.now() - started) / 1000, 1);
      return result;
    },
    maskApply: (logits, mask) => kernels.maskApply(logits, mask),
    maskAnd: (dst, a, b) => kernels.maskAnd(dst, a, b),
    maskOr: (dst, a, b) => kernels.maskOr(dst, a, b),
    maskCount: (mask, vocab) => kernels.maskCount(mask, vocab),
    uniform: (seed, step) => kernels.uniform(seed, step),
    noop: (x) => kernels.noop(x),
    trieWalker: (trie, capacity) => kernels.trieWalker(trie, capacity),
    batch: (vocab, rows, tokensPerRow) => meterBatch(kernels.batch(vocab, rows, tokensPerRow)),
  };
}
