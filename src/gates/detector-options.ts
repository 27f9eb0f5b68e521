/** What a pii rule's `options` select: its validator and context words, checked against what the detector supports. */
import { compileContextWords, type ContextWords } from "./context.ts";
import type { GateIssue } from "./errors.ts";
import { DETECTORS, type PiiDetector } from "./pii/detectors.ts";
import { isPhoneRegion, phoneValidator } from "./pii/phone.ts";
import type { GateRule } from "./rule.ts";
import type { MatchValidator } from "./scanner.ts";

/** The per-rule checks of one detector. */
export interface DetectorChecks {
  readonly validate: MatchValidator | undefined;
  /** Context words to track (undefined: the detector has none). */
  readonly context: ContextWords | undefined;
  /** Candidates without a context word are dropped. */
  readonly required: boolean;
}

/** Compiled context words per detector (built-in lists, so once per process). */
const contextWords = new Map<PiiDetector, ContextWords>();

function wordsOf(detector: PiiDetector): ContextWords | undefined {
  const spec = DETECTORS[detector].context;
  if (!spec) return undefined;
  let words = contextWords.get(detector);
  if (!words) {
    words = compileContextWords(spec.words, spec.not ?? [], spec.window);
    contextWords.set(detector, words);
  }
  return words;
}

/** The rule's checks, or undefined after pushing issues (paths name the option) when its options do not fit. */
export function detectorChecks(
  rule: Extract<GateRule, { type: "pii" }>, index: number, issues: GateIssue[],
): DetectorChecks | undefined {
  const spec = DETECTORS[rule.detector], options = rule.options ?? {};
  const before = issues.length;
  if (options.regions) {
    if (rule.detector !== "phone") {
      issues.push({ path: [index, "options", "regions"], message: `only the phone detector takes regions, not ${rule.detector}` });
    } else {
      options.regions.forEach((region, k) => {
        if (!isPhoneRegion(region)) issues.push({ path: [index, "options", "regions", k], message: `unknown phone region "${region}"` });
      });
    }
  }
  for (const list of ["allow", "deny"] as const) {
    if (options[list] && rule.detector !== "person_name") {
      issues.push({ path: [index, "options", list], message: `only the person_name detector takes ${list} lists, not ${rule.detector}` });
    }
  }
  if (options.context && !spec.context) {
    issues.push({ path: [index, "options", "context"], message: `the ${rule.detector} detector has no context words` });
  }
  if (issues.length > before) return undefined;
  const validate = rule.detector === "phone" && (options.regions || options.context)
    ? phoneValidator({ regions: options.regions, context: options.context })
    : spec.validate;
  const required = options.context ? options.context === "required" : spec.context?.required ?? false;
  return { validate, context: wordsOf(rule.detector), required };
}
