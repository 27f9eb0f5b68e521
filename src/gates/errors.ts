/** Compile-time failures of a gate rule list, reported all at once with paths into the list. */

/** One problem in a rule list. */
export interface GateIssue {
  /** Path relative to the rules array, e.g. `[3, "pattern"]`. */
  path: (string | number)[];
  /** What is wrong, naming the construct. */
  message: string;
}

/** Thrown by compileGates with every problem found, so a policy author fixes them in one pass. */
export class GateCompileError extends Error {
  /** Every problem, in rule order. */
  readonly issues: GateIssue[];
  constructor(issues: GateIssue[]) {
    super(`invalid gate rules:\n${issues.map((i) => `  [${i.path.join(".")}] ${i.message}`).join("\n")}`);
    this.name = "GateCompileError";
    this.issues = issues;
  }
}
