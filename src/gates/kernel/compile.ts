/** A policy's `kernel` rule compiled against the loaded packs' gate kernels. */
import type { GateIssue } from "../errors.ts";
import type { GateRule } from "../rule.ts";
import type { CompiledRule } from "../stream.ts";
import { KernelScanner } from "./scanner.ts";
import { gateKernels } from "./table.ts";

/** A `{"type": "kernel"}` rule. */
export type KernelRule = Extract<GateRule, { type: "kernel" }>;

/**
 * Compiles one kernel rule; the kernel must be loaded now (its maxLength sets the hold-back bound). Each stream takes
 * the pack's kernel current when it opens, so a hot swap never changes a kernel under a running stream.
 */
export function compileKernelRule(rule: KernelRule, index: number, issues: GateIssue[]): CompiledRule | undefined {
  const kernel = gateKernels.get(rule.pack, rule.kernel);
  if (!kernel) {
    const why = gateKernels.has(rule.pack) ? `pack "${rule.pack}" has no gate kernel "${rule.kernel}"` : `kernel pack "${rule.pack}" is not loaded (RSK_PACKS)`;
    issues.push({ path: [index, gateKernels.has(rule.pack) ? "kernel" : "pack"], message: why });
    return undefined;
  }
  if (rule.maxLength !== undefined && rule.maxLength < kernel.spec.maxLength) {
    issues.push({ path: [index, "maxLength"], message: `${rule.maxLength} is shorter than the longest match gate kernel ${kernel.label} declares (${kernel.spec.maxLength})` });
    return undefined;
  }
  const maxLength = rule.maxLength ?? kernel.spec.maxLength;
  const label = `${rule.pack}/${rule.kernel}`;
  return {
    rule, maxLength, placeholder: rule.replacement ?? "[REDACTED]", view: "folded", seesLineBreaks: false, startsWithSpace: false,
    createScanner: () => new KernelScanner(gateKernels.get(rule.pack, rule.kernel), label, maxLength),
  };
}
