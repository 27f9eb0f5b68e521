/** Golden vectors at load: a gate kernel's through the real hold-back stream, a sampler kernel's seeded draws. */
import type { GateKernel } from "../gates/kernel/kernel.ts";
import { KernelScanner } from "../gates/kernel/scanner.ts";
import { HoldBackBuffer } from "../gates/stream.ts";
import type { GateStep } from "../gates/rule.ts";
import type { GateVectorSpec, SamplerVectorSpec } from "./manifest.ts";
import { NEUTRAL_PARAMS, type SamplerKernel } from "./sampler.ts";

/** Spans a stream reported for `chunks`, as `[start, end]` pairs. */
function spans(stream: HoldBackBuffer, chunks: readonly string[]): [number, number][] {
  const steps: GateStep[] = chunks.map((c) => stream.push(c));
  steps.push(stream.end());
  return steps.flatMap((s) => s.findings.map((f): [number, number] => [f.start, f.end]));
}

/**
 * Runs every vector; returns undefined when all pass, else why the first failed. Chunked feeding checks the
 * kernel keeps the streaming contract (a match split across chunks is still found, and found once).
 */
export function selfTest(kernel: GateKernel, vectors: readonly GateVectorSpec[]): string | undefined {
  const { pack, name, maxLength } = kernel.spec;
  const compiled = {
    rule: { id: name, type: "kernel" as const, action: "log" as const, pack, kernel: name },
    maxLength, placeholder: "", view: "folded" as const, seesLineBreaks: false, startsWithSpace: false,
    createScanner: () => new KernelScanner(kernel, kernel.label, maxLength),
  };
  for (const [i, vector] of vectors.entries()) {
    const expected = JSON.stringify(vector.matches);
    try {
      const whole = JSON.stringify(spans(new HoldBackBuffer([compiled]), [vector.text]));
      const units = JSON.stringify(spans(new HoldBackBuffer([compiled]), [...vector.text.split("")]));
      if (whole !== expected) return `golden vector ${i} (${JSON.stringify(vector.text.slice(0, 40))}): expected ${expected}, got ${whole}`;
      if (units !== expected) return `golden vector ${i} fed one unit at a time: expected ${expected}, got ${units}`;
    } catch (err) {
      return `golden vector ${i}: ${(err as Error).message}`;
    }
  }
  return undefined;
}

/** Runs a sampler kernel's vectors (each a seeded draw); returns undefined when all pass, else why the first failed. */
export function samplerSelfTest(kernel: SamplerKernel, vectors: readonly SamplerVectorSpec[]): string | undefined {
  for (const [i, vector] of vectors.entries()) {
    try {
      const draw = kernel.sample(Float32Array.from(vector.logits), { params: { ...NEUTRAL_PARAMS, ...vector.params } });
      if (!draw.ok) return `golden vector ${i}: the kernel refused it: ${draw.message}`;
      if (draw.token !== vector.token) return `golden vector ${i}: expected token ${vector.token}, drew ${draw.token}`;
    } catch (err) {
      return `golden vector ${i}: ${(err as Error).message}`;
    }
  }
  return undefined;
}
