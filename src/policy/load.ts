/** Loads policy files (one file or a folder) on a server, validating and compiling every one; any problem fails the whole load. */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { MAX_POLICY_BYTES, PolicyLoadError, type PolicySet, policySet } from "./compile.ts";

export { jsonPath, MAX_POLICY_BYTES, PolicyLoadError, type Policy, type PolicySet } from "./compile.ts";

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
  let files: string[] = [];
  try {
    files = policyFiles(path);
  } catch (err) {
    throw new PolicyLoadError([`${path}: cannot read: ${(err as Error).message}`]);
  }
  if (files.length === 0) throw new PolicyLoadError([`${path}: no policy files (*.json) found`]);
  const problems: string[] = [];
  const texts = [];
  for (const file of files) {
    try {
      // Refused before reading so a runaway file cannot stall a reload.
      if (statSync(file).size > MAX_POLICY_BYTES) problems.push(`${file}: larger than ${MAX_POLICY_BYTES} bytes`);
      else {
        const text = readFileSync(file, "utf8");
        texts.push({ origin: file, text, version: createHash("sha256").update(text).digest("hex").slice(0, 12) });
      }
    } catch (err) {
      problems.push(`${file}: cannot read: ${(err as Error).message}`);
    }
  }
  if (problems.length === 0) return policySet(texts);
  // Every problem in one report: the unreadable files and what the readable ones have wrong.
  try {
    if (texts.length > 0) policySet(texts);
  } catch (err) {
    if (err instanceof PolicyLoadError) problems.push(...err.problems);
  }
  throw new PolicyLoadError(problems);
}
