/** Policy-facing types of the text gates: the rule schema (valibot) and what a stream reports back. */
import * as v from "valibot";
import { PII_DETECTORS, type PiiDetector } from "./pii/detectors.ts";

/** What happens to a match: redact (placeholder), mask (keep separators + last 4), block (stop stream), log (report only). */
export type GateAction = "redact" | "mask" | "block" | "log";

/** Longest match a regex rule may have when its pattern alone is unbounded (e.g. `a+`), unless `maxLength` says otherwise. */
export const DEFAULT_REGEX_MAX_LENGTH = 256;
/** Upper limit for `maxLength`: it is also the worst-case hold-back of a stream. */
export const MAX_REGEX_MAX_LENGTH = 8192;

const id = v.pipe(v.string(), v.minLength(1), v.description("Rule id, unique within the list; reported in findings and audit."));
const action = v.pipe(
  v.picklist(["redact", "mask", "block", "log"]),
  v.description("redact: replace with a placeholder; mask: keep separators and the last 4 letters/digits; block: stop the stream; log: release unchanged, report only."),
);
const replacement = v.optional(v.pipe(v.string(), v.description("Text that replaces a redacted match (default: the detector's placeholder, or [REDACTED]).")));

const PiiOptionsSchema = v.strictObject({
  regions: v.optional(v.pipe(
    v.array(v.pipe(v.string(), v.regex(/^[A-Z]{2}$/, "a region is an ISO 3166-1 alpha-2 code in capitals, such as \"GB\""))),
    v.minLength(1), v.maxLength(300),
    v.description("phone only: regions whose national numbers are accepted (default: every region libphonenumber-js knows); international numbers are always checked against their calling code."),
  )),
  context: v.optional(v.pipe(
    v.picklist(["required", "optional"]),
    v.description("Detectors with context words only: \"required\" drops every candidate without a context word before it; \"optional\" accepts weak shapes (e.g. short national phone numbers) without one. Default: the detector's own rule."),
  )),
  allow: v.optional(v.pipe(
    v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(100))), v.maxLength(10_000),
    v.description("person_name only: names never redacted, compared whole and case-insensitively with what the detector found (public figures, products such as \"Jordan Air\")."),
  )),
  deny: v.optional(v.pipe(
    v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(100))), v.maxLength(10_000),
    v.description("person_name only: words always read as a name, even alone or in lower case (your staff's or customers' names)."),
  )),
});

const PiiRuleSchema = v.strictObject({
  id, type: v.literal("pii"), action, replacement,
  detector: v.pipe(v.picklist(PII_DETECTORS), v.description("Built-in detector (checksums such as Luhn and IBAN mod-97 are applied).")),
  options: v.optional(v.pipe(PiiOptionsSchema, v.description("Per-detector options."))),
});

const PhrasesRuleSchema = v.strictObject({
  id, type: v.literal("phrases"), action, replacement,
  phrases: v.pipe(
    v.array(v.pipe(v.string(), v.minLength(1))), v.minLength(1),
    v.description("Phrases matched with one Aho-Corasick automaton (leftmost-longest)."),
  ),
  caseSensitive: v.optional(v.pipe(v.boolean(), v.description("Match case exactly (default false)."))),
  wholeWord: v.optional(v.pipe(v.boolean(), v.description("Only match at word boundaries (default true)."))),
});

const RegexRuleSchema = v.strictObject({
  id, type: v.literal("regex"), action, replacement,
  pattern: v.pipe(v.string(), v.minLength(1), v.description("JavaScript regex syntax without backreferences, lookaround or lazy quantifiers; matched leftmost-longest in linear time.")),
  flags: v.optional(v.pipe(v.picklist(["i", ""]), v.description("\"i\" for case-insensitive matching."))),
  maxLength: v.optional(v.pipe(
    v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_REGEX_MAX_LENGTH),
    v.description(`Longest match in characters; bounds stream hold-back (default: the pattern's own bound, or ${DEFAULT_REGEX_MAX_LENGTH} if unbounded).`),
  )),
});

const KernelRuleSchema = v.strictObject({
  id, type: v.literal("kernel"), action, replacement,
  pack: v.pipe(v.string(), v.minLength(1), v.description("Id of a loaded, signed kernel pack (RSK_PACKS).")),
  kernel: v.pipe(v.string(), v.minLength(1), v.description("Name of a gate kernel (WASM text detector) in that pack.")),
  maxLength: v.optional(v.pipe(
    v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_REGEX_MAX_LENGTH),
    v.description("Longest match in characters; bounds stream hold-back (default: the kernel's declared maxLength); a longer match fails closed."),
  )),
});

/** One gate rule as written in a policy file. */
export const GateRuleSchema = v.pipe(
  v.variant("type", [PiiRuleSchema, PhrasesRuleSchema, RegexRuleSchema, KernelRuleSchema]),
  v.description("A text gate rule: a built-in PII detector, a phrase list, a linear-time regex or a pack's gate kernel."),
);

/** One gate rule after validation. */
export type GateRule = v.InferOutput<typeof GateRuleSchema>;

/** One match a gate resolved. */
export interface Finding {
  /** Id of the rule that matched. */
  rule: string;
  /** Rule kind, so audit can group findings without the policy at hand. */
  type: GateRule["type"];
  /** Which detector matched (pii rules only). */
  detector?: PiiDetector;
  /** What was done with it. */
  action: GateAction;
  /** Offset of the match in the original stream (UTF-16 code units). */
  start: number;
  /** End offset (exclusive) in the original stream. */
  end: number;
  /** The matched text as it arrived (kept out of the audit log unless the policy opts in: `audit.matches`). */
  match: string;
}

/** What one push/end released. */
export interface GateStep {
  /** Text safe to send now, with redact/mask applied; on block, only what preceded the blocked match. */
  text: string;
  /** Every match resolved in this step, in stream order. */
  findings: Finding[];
  /** The block-action match that stopped the stream; repeated on every later step. */
  blocked?: Finding;
}

/** One response stream through the gates. */
export interface TextStream {
  /** Feed one chunk; returns what is safe to release now. */
  push(chunk: string): GateStep;
  /** The stream is over: resolve and release everything held. */
  end(): GateStep;
  /** Back to a fresh, empty stream over the same rules, keeping its allocations (for gating many short texts in turn). */
  restart(): void;
  /** Raw UTF-16 units currently withheld (at most the set's maxHoldBack). */
  readonly held: number;
}

/** Rules compiled once per policy load. */
export interface GateSet {
  /** Start gating one response stream. */
  open(): TextStream;
  /** Gate a whole text at once (same result as open(), push(text), end()). */
  scan(text: string): GateStep;
  /** Upper bound on `held` for any stream of this set: 33 × (longest match in normalised units + 1) + 1. */
  readonly maxHoldBack: number;
  /** The rules that can match within a JSON number's text: the same findings there, fewer scanners (absent: this set). */
  readonly numbers?: GateSet;
  /**
   * Hands back a stream of this set its caller will never use again: it is restarted and a later open() may return it
   * (a tool call opens streams per call; opening one costs tens of µs). Optional: without it streams are dropped.
   */
  recycle?(stream: TextStream): void;
}
