/**
 * One entry point for every constraint kind, with the compile cache: a constraint is compiled once per distinct
 * (kind, source, options) and its automaton (and so every parser state and transition it learns) is shared by all
 * requests (token masks, shared per automaton and vocabulary: `vocabulary.ts`).
 */
import { GrammarAutomaton } from "./automaton.ts";
import { GrammarLimitError, type GrammarLimits } from "./errors.ts";
import { parseGbnf } from "./gbnf.ts";
import { regexGrammar } from "./regex.ts";
import { jsonObjectGrammar, schemaGrammar } from "./schema.ts";

/** What a request asks its output to match. */
export type ConstraintSpec =
  | { readonly kind: "json_schema"; readonly schema: unknown }
  | { readonly kind: "json_object" }
  | { readonly kind: "grammar"; readonly text: string }
  | { readonly kind: "regex"; readonly pattern: string };

/** Options shared by the compilers. */
export interface ConstraintOptions {
  /** Drop unenforceable schema keywords with a warning instead of refusing. */
  readonly lenient?: boolean;
  /** Most whitespace characters between JSON tokens. */
  readonly maxWhitespace?: number;
  /** Error path prefix of the source (e.g. `response_format.json_schema.schema`). */
  readonly path?: string;
  /** Compile and runtime bounds. */
  readonly limits?: GrammarLimits;
  /** List the schema keywords ignored as annotations or unknown among the warnings. */
  readonly reportIgnored?: boolean;
  /** Accept objects' listed properties in any order (JSON Schema only). */
  readonly anyOrder?: boolean;
}

/** A compiled constraint, ready to match text or produce masks. */
export interface Constraint {
  /** The lazily determinized parser, shared by every request with the same constraint. */
  readonly automaton: GrammarAutomaton;
  /** Keywords lenient mode dropped (and, with `reportIgnored`, keywords ignored). */
  readonly warnings: readonly string[];
  /** Milliseconds the (uncached) compile took. */
  readonly compileMs: number;
}

/** Distinct constraints kept compiled. */
const CACHE_SIZE = 256;
const compiled = new Map<string, Constraint>();

/** Compiles `spec` (or returns the cached compile); throws GrammarError for an invalid or oversized source. */
export function compileConstraint(spec: ConstraintSpec, options: ConstraintOptions = {}): Constraint {
  try {
    return compileCached(spec, options);
  } catch (err) {
    // A source nested deep enough to exhaust the call stack (in JSON.stringify or a front end) is refused, never a crash.
    if (err instanceof RangeError) throw new GrammarLimitError(`constraint too deeply nested to compile (${err.message})`, options.path ?? "");
    throw err;
  }
}

function compileCached(spec: ConstraintSpec, options: ConstraintOptions): Constraint {
  const key = JSON.stringify([spec, options.lenient === true, options.maxWhitespace ?? null, options.path ?? null, options.limits ?? null, options.reportIgnored === true, options.anyOrder === true]);
  const known = compiled.get(key);
  // A long-lived automaton that has grown to half its state bound starts over (requests holding it keep it).
  if (known && known.automaton.states < known.automaton.grammar.limits.maxStates / 2) {
    compiled.delete(key);
    compiled.set(key, known);
    return known;
  }
  const t0 = performance.now();
  let warnings: readonly string[] = [];
  let grammar;
  switch (spec.kind) {
    case "json_schema": {
      const out = schemaGrammar(spec.schema, options);
      grammar = out.grammar;
      warnings = out.warnings;
      break;
    }
    case "json_object":
      grammar = jsonObjectGrammar(options);
      break;
    case "grammar":
      grammar = parseGbnf(spec.text, options.limits);
      break;
    case "regex":
      grammar = regexGrammar(spec.pattern, options.limits);
      break;
  }
  const constraint: Constraint = { automaton: new GrammarAutomaton(grammar), warnings, compileMs: performance.now() - t0 };
  if (compiled.size >= CACHE_SIZE) compiled.delete(compiled.keys().next().value!);
  compiled.set(key, constraint);
  return constraint;
}
