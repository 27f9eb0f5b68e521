/** Grammar problems as data: what is wrong, where (JSON path, GBNF line:column or regex offset), and which keyword. */

/** A schema, grammar or regex the compiler refuses; `path` lets a client find the offending part. */
export class GrammarError extends Error {
  /** Where in the source: a JSON path (`properties.x.pattern`), `line:col` for GBNF, `offset N` for a regex. */
  readonly path: string;
  /** The schema keyword at fault, when there is one (clients match on it). */
  readonly keyword?: string;
  constructor(message: string, path = "", keyword?: string) {
    super(path ? `${path}: ${message}` : message);
    this.name = "GrammarError";
    this.path = path;
    this.keyword = keyword;
  }
}

/** A grammar that grew past a compile or runtime bound (schema bombs): reported like any other invalid grammar. */
export class GrammarLimitError extends GrammarError {
  constructor(message: string, path = "") {
    super(message, path);
    this.name = "GrammarLimitError";
  }
}

/** Bounds that keep a hostile schema or grammar from exhausting memory or time. */
export interface GrammarLimits {
  /** Most rules after lowering (repetitions and character classes add rules). */
  readonly maxRules: number;
  /** Most grammar elements (terminals plus rule references) after lowering. */
  readonly maxElements: number;
  /** Most parser states a compiled grammar may create while matching (per grammar, shared by requests). */
  readonly maxStates: number;
  /** Most stack nodes live in one parser state (a highly ambiguous grammar would blow up here). */
  readonly maxStateWidth: number;
  /** Longest wall time a compile may take, in milliseconds. */
  readonly maxCompileMs: number;
}

/** Defaults: large enough for real-world schemas (thousands of properties), small enough to bound a request. */
export const DEFAULT_LIMITS: GrammarLimits = {
  maxRules: 20_000,
  maxElements: 200_000,
  maxStates: 50_000,
  maxStateWidth: 4096,
  maxCompileMs: 2000,
};
