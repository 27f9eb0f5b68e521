/** Policies compiled from their text: validation, gate compilation and the set a gateway serves (no I/O here). */
import * as v from "valibot";
import { compileGates, GateCompileError, type GateSet } from "../gates/mod.ts";
import { type ArgumentRule, ToolArgumentGates } from "../guard/argument-rules.ts";
import { parseJsonPath } from "../guard/json-path.ts";
import { type PolicyFile, PolicySchema, type TokenRules } from "./schema.ts";

/** A policy ready to serve: immutable, so a request holding it sees one version from start to end. */
export interface Policy {
  /** Name clients select with `x-rsk-policy`. */
  readonly name: string;
  /** Short content hash of the file, recorded in audit and metrics so decisions trace to a file version. */
  readonly version: string;
  /** File (or bundled name, or URL) the policy came from. */
  readonly file: string;
  /** Whether a failing gate blocks (fail closed) or passes. */
  readonly onError: "block" | "pass";
  /** Gates over the prompt. */
  readonly input: GateSet;
  /** Gates over generated text. */
  readonly output: GateSet;
  /** Gates over the model's reasoning (the output gates unless the policy has `reasoning` rules). */
  readonly reasoning: GateSet;
  /** Tools a model may call: `allow` (undefined = any declared) and `deny`; argument rules by tool name. */
  readonly tools: { readonly allow?: ReadonlySet<string>; readonly deny: ReadonlySet<string>; readonly arguments?: ReadonlyMap<string, ToolArgumentGates> };
  /** Token bans and biases for backends that own the logits (local). */
  readonly tokens: TokenRules;
  /** What findings write to the audit log: `matches` adds the matched text. */
  readonly audit: { readonly matches: boolean };
}

/** Every loaded policy plus the one used when a request names none. */
export interface PolicySet {
  /** Policies by name. */
  readonly byName: ReadonlyMap<string, Policy>;
  /** The policy applied when `x-rsk-policy` is absent. */
  readonly defaultPolicy: Policy;
}

/** Largest policy file accepted; bigger files are refused before parsing so a runaway file cannot stall a reload. */
export const MAX_POLICY_BYTES = 4 * 1024 * 1024;

/** A policy load that failed; `problems` lists every issue as `file: $.path: message`. */
export class PolicyLoadError extends Error {
  /** One line per problem, each naming its file and JSON path. */
  readonly problems: readonly string[];
  constructor(problems: string[]) {
    super(`invalid policy:\n  ${problems.join("\n  ")}`);
    this.name = "PolicyLoadError";
    this.problems = problems;
  }
}

/** A policy's source: where it came from and its exact text. */
export interface PolicyText {
  /** File name, bundled name or URL, for messages and `Policy.file`. */
  readonly origin: string;
  /** The JSON text (its hash is the policy's version). */
  readonly text: string;
}

/** The version of a policy text: the first 12 hex digits of its sha256 (Web Crypto; same digits as `sha256sum`). */
export async function policyVersion(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...digest.subarray(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Compiles policy texts into a set; throws PolicyLoadError listing every problem of every text. */
export async function compilePolicies(texts: readonly PolicyText[]): Promise<PolicySet> {
  const versions = await Promise.all(texts.map((t) => policyVersion(t.text)));
  return policySet(texts.map((t, i) => ({ ...t, version: versions[i]! })));
}

/** The set of `texts` with their versions already computed (servers hash with node:crypto, synchronously). */
export function policySet(texts: readonly (PolicyText & { readonly version: string })[]): PolicySet {
  const problems: string[] = [];
  if (texts.length === 0) throw new PolicyLoadError(["no policies given"]);
  const byName = new Map<string, Policy>();
  for (const t of texts) {
    const policy = compilePolicy(t, problems);
    if (!policy) continue;
    const clash = byName.get(policy.name);
    if (clash) problems.push(`${t.origin}: $.name: policy name "${policy.name}" is already used by ${clash.file}`);
    else byName.set(policy.name, policy);
  }
  if (problems.length > 0) throw new PolicyLoadError(problems);
  const defaultPolicy = byName.get("default") ?? [...byName.values()][0]!;
  return { byName, defaultPolicy };
}

function compilePolicy({ origin, text, version }: PolicyText & { version: string }, problems: string[]): Policy | undefined {
  const file = origin;
  if (text.length > MAX_POLICY_BYTES) {
    problems.push(`${file}: larger than ${MAX_POLICY_BYTES} bytes`);
    return;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    problems.push(`${file}: not valid JSON: ${(err as Error).message}`);
    return;
  }
  const parsed = v.safeParse(PolicySchema, json);
  if (!parsed.success) {
    for (const issue of parsed.issues) problems.push(`${file}: ${jsonPath(issue.path?.map((p) => p.key) ?? [])}: ${issue.message}`);
    return;
  }
  const input = compile(parsed.output, "input", file, problems);
  const output = compile(parsed.output, "output", file, problems);
  const reasoning = parsed.output.reasoning ? compile(parsed.output, "reasoning", file, problems) : output;
  const argumentRules = toolArguments(parsed.output, output, file, problems);
  if (!input || !output || !reasoning || !argumentRules) return;
  const { name, onError, tokens, audit } = parsed.output;
  const { allow, deny } = parsed.output.tools;
  const tools = { allow: allow && new Set(allow), deny: new Set(deny), arguments: argumentRules };
  return { name, version, file: fileName(file), onError, input, output, reasoning, tools, tokens, audit };
}

function compile(policy: PolicyFile, scope: "input" | "output" | "reasoning", file: string, problems: string[]): GateSet | undefined {
  try {
    return compileGates(policy[scope] ?? []);
  } catch (err) {
    if (!(err instanceof GateCompileError)) throw err;
    for (const issue of err.issues) problems.push(`${file}: ${jsonPath([scope, ...issue.path])}: ${issue.message}`);
  }
}

/** `tools.arguments` grouped by tool, each rule compiled alone to report its problems (ids must differ from the output rules'). */
function toolArguments(policy: PolicyFile, output: GateSet | undefined, file: string, problems: string[]): Map<string, ToolArgumentGates> | undefined {
  const entries = policy.tools.arguments ?? [];
  const outputIds = new Set(policy.output.map((r) => r.id));
  const byTool = new Map<string, ArgumentRule[]>();
  let ok = true;
  entries.forEach((entry, i) => {
    const at = ["tools", "arguments", i, "rule"];
    if (outputIds.has(entry.rule.id)) {
      problems.push(`${file}: ${jsonPath([...at, "id"])}: rule id "${entry.rule.id}" is also an output rule's id`);
      ok = false;
    }
    try {
      compileGates([entry.rule]);
    } catch (err) {
      if (!(err instanceof GateCompileError)) throw err;
      for (const issue of err.issues) problems.push(`${file}: ${jsonPath([...at, ...issue.path.slice(1)])}: ${issue.message}`);
      ok = false;
    }
    const path = parseJsonPath(entry.path);
    if (typeof path === "string") return; // the schema has refused it already
    const rules = byTool.get(entry.tool) ?? [];
    rules.push({ path, rule: entry.rule });
    byTool.set(entry.tool, rules);
  });
  if (!ok || !output) return;
  return new Map([...byTool].map(([tool, rules]) => [tool, new ToolArgumentGates(output, policy.output, rules)]));
}

/** The last path segment of an origin (what `Policy.file` holds). */
export function fileName(origin: string): string {
  return origin.slice(origin.lastIndexOf("/") + 1);
}

/** `$.output[3].pattern` from `["output", 3, "pattern"]`. */
export function jsonPath(keys: readonly unknown[]): string {
  return keys.reduce<string>((acc, k) => (typeof k === "number" ? `${acc}[${k}]` : `${acc}.${String(k)}`), "$");
}
