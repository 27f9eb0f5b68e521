/**
 * A policy's argument rules for one tool: which gate set reads a value at a given place in the call's arguments.
 * A value no rule's path selects is read by the output gates alone; one that some rules select, by those rules and
 * the output rules in one stream (the rules first, so on an exact tie the path rule wins). The set for each
 * combination of rules is compiled on first use and kept with the policy.
 */
import { compileGates, type GateRule, type GateSet } from "../gates/mod.ts";
import { type JsonLocation, type JsonPathSegment, selects } from "./json-path.ts";

/** One argument rule: a path and the gate rule applied to what it selects. */
export interface ArgumentRule {
  /** The parsed path. */
  readonly path: readonly JsonPathSegment[];
  /** The gate rule. */
  readonly rule: GateRule;
}

/** The gate sets one tool's arguments are read with. */
export class ToolArgumentGates {
  readonly #sets = new Map<string, GateSet>();

  constructor(
    /** The policy's output gates. */
    readonly output: GateSet,
    /** The policy's output rules (compiled again with the argument rules that select a value). */
    private readonly outputRules: readonly GateRule[],
    /** This tool's argument rules, in policy order. */
    readonly rules: readonly ArgumentRule[],
  ) {}

  /** The gate set for the value at `at`. */
  at(at: JsonLocation): GateSet {
    let key = "";
    for (let i = 0; i < this.rules.length; i++) if (selects(this.rules[i]!.path, at)) key += `${i},`;
    if (key === "") return this.output;
    let set = this.#sets.get(key);
    if (!set) {
      const chosen = this.rules.filter((_, i) => key.split(",").includes(String(i))).map((r) => r.rule);
      this.#sets.set(key, (set = compileGates([...chosen, ...this.outputRules])));
    }
    return set;
  }
}
