/** compileGates: validate a rule list, compile every rule once, and hand out streams over the result. */
import * as v from "valibot";
import { buildAutomaton } from "./content/automaton.ts";
import { normalisePhrases } from "./content/phrases.ts";
import { PhraseScanner } from "./content/scanner.ts";
import { GateCompileError, type GateIssue } from "./errors.ts";
import { DETECTORS, type PiiDetector } from "./pii/detectors.ts";
import { maxMatchLength, minMatchLength } from "./regex/ast.ts";
import { factorAlternatives } from "./regex/factor.ts";
import { parseRegex, RegexSyntaxError } from "./regex/parse.ts";
import { PikeScanner } from "./regex/pike.ts";
import { compileKernelRule } from "./kernel/compile.ts";
import { compileProgram, shortestMatch, tellsLineBreaks, type Program } from "./regex/program.ts";
import { DEFAULT_REGEX_MAX_LENGTH, GateRuleSchema, MAX_REGEX_MAX_LENGTH, type GateRule, type GateSet, type GateStep, type TextStream } from "./rule.ts";
import { RAW_UNITS_PER_UNIT } from "./normalize.ts";
import { HoldBackBuffer, type CompiledRule } from "./stream.ts";
import { detectorChecks } from "./detector-options.ts";
import { ContextTracker } from "./context.ts";
import { canMatchNumber } from "./alphabet.ts";

const RulesSchema = v.array(GateRuleSchema);

/** Built-in detector programs are compiled once per process, not per policy load. */
const detectorPrograms = new Map<PiiDetector, Program>();
/** Shortest match of each built-in detector's pattern, found when its program is compiled. */
const detectorMinLengths = new Map<PiiDetector, number>();

/**
 * A built-in detector's program, compiled on first use: a policy load (a cold start) then costs only what its streams
 * need, and a rule no stream ever opens costs nothing.
 */
function detectorProgram(detector: PiiDetector): Program {
  let program = detectorPrograms.get(detector);
  if (!program) {
    const spec = DETECTORS[detector];
    const tree = parseRegex(spec.pattern, { neighbourAssertions: true });
    detectorMinLengths.set(detector, minMatchLength(tree));
    // Without a validator or context words every candidate stands, so merging threads loses nothing (see
    // PikeScanner's rewind) and alternatives may share their prefixes.
    program = compileProgram(spec.validate || spec.context ? tree : factorAlternatives(tree), false);
    detectorPrograms.set(detector, program);
  }
  return program;
}

/** Shortest match of a detector with a hand-written scanner: its program's when it runs one, else 1. */
function scannerMinLength(detector: PiiDetector): number {
  let length = detectorMinLengths.get(detector);
  if (length === undefined) {
    const program = DETECTORS[detector].program?.();
    length = program ? Math.max(1, shortestMatch(program)) : 1;
    detectorMinLengths.set(detector, length);
  }
  return length;
}

function compileRule(rule: GateRule, index: number, issues: GateIssue[]): CompiledRule | undefined {
  switch (rule.type) {
    case "pii": {
      const spec = DETECTORS[rule.detector];
      if (spec.scanner) {
        if (!detectorChecks(rule, index, issues)) return undefined;
        const detector = rule.detector;
        return {
          rule, maxLength: spec.maxLength, placeholder: rule.replacement ?? spec.placeholder, view: "folded", seesLineBreaks: false, startsWithSpace: false,
          createScanner: spec.scanner(rule.options),
          // A hand-written search over a precompiled program (street addresses) has that program's shortest match.
          get minLength() {
            return scannerMinLength(detector);
          },
          get program() {
            return spec.program?.();
          },
        };
      }
      const detector = rule.detector;
      const checks = detectorChecks(rule, index, issues);
      if (!checks) return undefined;
      const { validate, context, required } = checks;
      return {
        rule, maxLength: spec.maxLength, placeholder: rule.replacement ?? spec.placeholder, view: "folded", seesLineBreaks: false, startsWithSpace: false,
        createScanner: (shared) =>
          new PikeScanner(detectorProgram(detector), spec.maxLength, validate, context && new ContextTracker(context, required, shared.words)),
        // Read by streams after createScanner, which compiled the program (a policy load parses no pattern).
        get minLength() {
          detectorProgram(detector);
          return Math.max(detectorMinLengths.get(detector)!, spec.minLength ?? 1);
        },
        get program() {
          return detectorProgram(detector);
        },
      };
    }
    case "phrases": {
      const phrases = normalisePhrases(rule.phrases);
      phrases.forEach((p, k) => {
        if (p.length === 0) issues.push({ path: [index, "phrases", k], message: "phrase is empty once invisible characters and whitespace are removed" });
      });
      if (phrases.some((p) => p.length === 0)) return undefined;
      const automaton = buildAutomaton(phrases, !(rule.caseSensitive ?? false));
      const wholeWord = rule.wholeWord ?? true;
      return {
        rule, maxLength: Math.max(...phrases.map((p) => p.length)), placeholder: rule.replacement ?? "[REDACTED]",
        view: "folded", seesLineBreaks: false, startsWithSpace: false,
        createScanner: () => new PhraseScanner(automaton, wholeWord),
      };
    }
    case "regex": {
      try {
        const tree = parseRegex(rule.pattern);
        if (minMatchLength(tree) === 0) {
          issues.push({ path: [index, "pattern"], message: "pattern can match the empty string; a gate needs at least one character" });
          return undefined;
        }
        const bound = maxMatchLength(tree);
        const fallback = bound === Infinity ? DEFAULT_REGEX_MAX_LENGTH : bound;
        const maxLength = Math.min(bound, rule.maxLength ?? fallback, MAX_REGEX_MAX_LENGTH);
        const program = compileProgram(factorAlternatives(tree), rule.flags === "i");
        return {
          rule, maxLength, minLength: minMatchLength(tree), program, placeholder: rule.replacement ?? "[REDACTED]",
          view: "nfkc", seesLineBreaks: tellsLineBreaks(program), startsWithSpace: program.firstAscii[32] === 1 || program.firstAscii[10] === 1,
          createScanner: () => new PikeScanner(program, maxLength),
        };
      } catch (error) {
        if (!(error instanceof RegexSyntaxError) && !(error instanceof RangeError)) throw error;
        issues.push({ path: [index, "pattern"], message: error.message });
        return undefined;
      }
    }
    case "kernel":
      return compileKernelRule(rule, index, issues);
  }
}

/** Streams a set keeps for later open() calls (see GateSet.recycle). */
const POOLED_STREAMS = 8;
/** Largest buffer (normalised units) scan() keeps for the next call. */
const REUSED_UNITS = 1 << 16;

/** Validate and compile a rule list (what compileGates' streams run); throws GateCompileError listing every problem. */
export function compileRules(rules: readonly GateRule[]): CompiledRule[] {
  const parsed = v.safeParse(RulesSchema, rules);
  if (!parsed.success) {
    throw new GateCompileError(parsed.issues.map((issue) => ({
      path: (issue.path ?? []).map((item) => item.key as string | number),
      message: issue.message,
    })));
  }
  const issues: GateIssue[] = [];
  const seen = new Set<string>();
  const compiled: CompiledRule[] = [];
  parsed.output.forEach((rule, index) => {
    if (seen.has(rule.id)) issues.push({ path: [index, "id"], message: `duplicate rule id "${rule.id}"` });
    seen.add(rule.id);
    const result = compileRule(rule, index, issues);
    if (result) compiled.push(result);
  });
  if (issues.length > 0) throw new GateCompileError(issues);
  return compiled;
}

/** Compile rules once per policy load; throws GateCompileError listing every problem. */
export function compileGates(rules: readonly GateRule[]): GateSet {
  const compiled = compileRules(rules);
  let numbers: GateSet | undefined;
  return {
    ...gateSet(compiled),
    // Built on a first number: finding the rules that cannot match one creates a scanner per rule.
    get numbers() {
      return (numbers ??= gateSet(compiled.filter(canMatchNumber)));
    },
  };
}

/** Streams and scan() over compiled rules. */
function gateSet(compiled: readonly CompiledRule[]): GateSet {
  // Normalised hold-back ≤ longest match + 1; each normalised unit stands for ≤ RAW_UNITS_PER_UNIT raw units, and a
  // high surrogate waiting for its pair adds one.
  const maxHoldBack = RAW_UNITS_PER_UNIT * compiled.reduce((max, r) => Math.max(max, r.maxLength + 1), 0) + 1;
  // scan() is synchronous, so one buffer serves every call (restarted, not reallocated: a stream's scanners and
  // arrays cost more to allocate than a short text costs to scan); one that grew past REUSED_UNITS is let go.
  let reused: HoldBackBuffer | undefined;
  // Streams handed back (recycle), restarted; the set's own streams only, each pooled once.
  const pool: HoldBackBuffer[] = [], own = new WeakSet<TextStream>();
  return {
    maxHoldBack,
    open: () => {
      const stream = pool.pop() ?? new HoldBackBuffer(compiled);
      own.add(stream);
      return stream;
    },
    recycle(stream: TextStream): void {
      if (!(stream instanceof HoldBackBuffer) || !own.has(stream) || pool.length >= POOLED_STREAMS || stream.capacity > REUSED_UNITS) return;
      own.delete(stream);
      stream.restart();
      pool.push(stream);
    },
    scan(text: string): GateStep {
      const stream = reused ?? new HoldBackBuffer(compiled, text.length + 2);
      reused = undefined;
      stream.restart();
      let first: GateStep, last: GateStep;
      try {
        first = stream.push(text);
        last = stream.end();
      } finally {
        if (stream.capacity <= REUSED_UNITS) reused = stream;
      }
      const step: GateStep = { text: first.text + last.text, findings: [...first.findings, ...last.findings] };
      const blocked = first.blocked ?? last.blocked;
      if (blocked) step.blocked = blocked;
      return step;
    },
  };
}
