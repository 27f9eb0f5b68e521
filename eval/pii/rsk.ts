/** rsk as the evaluation runs it: a shipped policy file, compiled as the gateway compiles it, one stage's gate set. */
import { readFileSync } from "node:fs";
import { compilePolicies } from "../../src/policy/compile.ts";
import type { GateSet } from "../../src/gates/mod.ts";
import { rskTool, type PiiTool } from "./tools.ts";

/** A policy stage's gates, the pii detectors its rules use, and the tool over them. */
export interface RskUnderTest {
  /** The stage's gate set (for streaming checks). */
  gates: GateSet;
  /** Detector names of its pii rules. */
  detectors: string[];
  /** The tool (findings of scan()). */
  tool: PiiTool;
}

/** Compile `file` (default: the shipped default policy) and take its `stage` gates. */
export async function loadRsk(file = new URL("../../policies/default.json", import.meta.url), stage: "input" | "output" = "input"): Promise<RskUnderTest> {
  const text = readFileSync(file, "utf8");
  const set = await compilePolicies([{ origin: String(file), text }]);
  const gates = set.defaultPolicy[stage];
  const rules = (JSON.parse(text) as Record<string, { type: string; detector?: string }[] | undefined>)[stage] ?? [];
  const detectors = rules.filter((r) => r.type === "pii" && r.detector).map((r) => r.detector!);
  return { gates, detectors, tool: rskTool(gates, detectors) };
}
