/** Loads policy files (one file or a folder), validating and compiling every one; any problem fails the whole load. */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import * as v from "valibot";
import { compileGates, GateCompileError, type GateSet } from "../gates/mod.ts";
import { type PolicyFile, PolicySchema, type TokenRules } from "./schema.ts";

/** A policy ready to serve: immutable, so a request holding it sees one version from start to end. */
export interface Policy {
  /** Name clients select with `x-rsk-policy`. */
  readonly name: string;
  /** Short content hash of the file, recorded in audit and metrics so decisions trace to a file version. */
  readonly version: string;
  /** File the policy came from. */
  readonly file: string;
  /** Whether a failing gate blocks (fail closed) or passes. */
  readonly onError: "block" | "pass";
  /** Gates over the prompt. */
  readonly input: GateSet;
  /** Gates over generated text. */
  readonly output: GateSet;
  /** Gates over the model's reasoning (the output gates unless the policy has `reasoning` rules). */
  readonly reasoning: GateSet;
  /** Tools a model may call: `allow` (undefined = any declared) and `deny`. */
  readonly tools: { readonly allow?: ReadonlySet<string>; readonly deny: ReadonlySet<string> };
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

/** Policy files at `path`: the file itself, or every `*.json` in the folder except the generated schema. */
export function policyFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((f) => f.endsWith(".json") && f !== "policy.schema.json")
    .sort()
    .map((f) => join(path, f));
}

/** Loads every policy at `path`; the default is the one named "default", else the first file in name order. */
export function loadPolicies(path: string): PolicySet {
  const problems: string[] = [];
  let files: string[] = [];
  try {
    files = policyFiles(path);
  } catch (err) {
    throw new PolicyLoadError([`${path}: cannot read: ${(err as Error).message}`]);
  }
  if (files.length === 0) throw new PolicyLoadError([`${path}: no policy files (*.json) found`]);
  const byName = new Map<string, Policy>();
  for (const file of files) {
    const policy = loadFile(file, problems);
    if (!policy) continue;
    const clash = byName.get(policy.name);
    if (clash) problems.push(`${file}: $.name: policy name "${policy.name}" is already used by ${clash.file}`);
    else byName.set(policy.name, policy);
  }
  if (problems.length > 0) throw new PolicyLoadError(problems);
  const defaultPolicy = byName.get("default") ?? [...byName.values()][0]!;
  return { byName, defaultPolicy };
}

function loadFile(file: string, problems: string[]): Policy | undefined {
  let raw: string;
  try {
    if (statSync(file).size > MAX_POLICY_BYTES) {
      problems.push(`${file}: larger than ${MAX_POLICY_BYTES} bytes`);
      return;
    }
    raw = readFileSync(file, "utf8");
  } catch (err) {
    problems.push(`${file}: cannot read: ${(err as Error).message}`);
    return;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
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
  if (!input || !output || !reasoning) return;
  const version = createHash("sha256").update(raw).digest("hex").slice(0, 12);
  const { name, onError, tokens, audit } = parsed.output;
  const { allow, deny } = parsed.output.tools;
  const tools = { allow: allow && new Set(allow), deny: new Set(deny) };
  return { name, version, file: basename(file), onError, input, output, reasoning, tools, tokens, audit };
}

function compile(policy: PolicyFile, scope: "input" | "output" | "reasoning", file: string, problems: string[]): GateSet | undefined {
  try {
    return compileGates(policy[scope] ?? []);
  } catch (err) {
    if (!(err instanceof GateCompileError)) throw err;
    for (const issue of err.issues) problems.push(`${file}: ${jsonPath([scope, ...issue.path])}: ${issue.message}`);
  }
}

/** `$.output[3].pattern` from `["output", 3, "pattern"]`. */
export function jsonPath(keys: readonly unknown[]): string {
  return keys.reduce<string>((acc, k) => (typeof k === "number" ? `${acc}[${k}]` : `${acc}.${String(k)}`), "$");
}
