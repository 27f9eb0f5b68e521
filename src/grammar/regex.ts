/**
 * Regular expressions (JavaScript syntax, as JSON Schema's `pattern` and the `regex` request field use) to grammar
 * expressions. Parsing reuses the gates' linear-time regex parser (same dialect, same refusals: no backreferences,
 * no lookaround); this module only maps its syntax tree to code point sets and repetitions.
 */
import type { ClassSet, RegexNode } from "../gates/regex/ast.ts";
import { parseRegex, RegexSyntaxError } from "../gates/regex/parse.ts";
import { GrammarError, type GrammarLimits } from "./errors.ts";
import { alt, complementCodepoints, cps, EMPTY, type Expr, intersectCodepoints, MAX_CODEPOINT, normalizeRanges, rep, seq } from "./expr.ts";
import { type Grammar, GrammarBuilder } from "./grammar.ts";

/** How a pattern constrains a string. */
export interface RegexOptions {
  /** `full`: the whole text must match; `search`: JSON Schema semantics, a match anywhere (unless anchored by ^ / $). */
  readonly mode: "full" | "search";
  /** Code points a matched character may be (e.g. unescaped JSON string characters); default: all. */
  readonly within?: readonly number[];
  /** What an unanchored side may be filled with in `search` mode (default: any code point of `within`). */
  readonly filler?: Expr;
  /** Where the pattern sits, for error messages. */
  readonly path: string;
}

/** A pattern as a grammar expression; refuses unsupported syntax with a GrammarError naming the offset. */
export function regexExpr(pattern: string, options: RegexOptions): Expr {
  let tree: RegexNode;
  try {
    tree = parseRegex(pattern);
  } catch (err) {
    if (err instanceof RegexSyntaxError) throw new GrammarError(`invalid pattern ${JSON.stringify(pattern)}: ${err.message}`, options.path, "pattern");
    throw err;
  }
  const within = options.within ?? [0, MAX_CODEPOINT];
  const filler = rep(options.filler ?? cps(...within), 0, Infinity);
  const fail = (what: string): never => {
    throw new GrammarError(`pattern ${JSON.stringify(pattern)}: ${what} is not supported inside a pattern (only ^ at the start and $ at the end)`, options.path, "pattern");
  };
  const convert = (node: RegexNode): Expr => {
    switch (node.kind) {
      case "set": return cps(...intersectCodepoints(codepoints(node.set), within));
      case "empty": return EMPTY;
      case "concat": return seq(...joinSurrogates(node.items).map(convert));
      case "alt": return alt(...node.items.map(convert));
      case "repeat": return rep(convert(node.item), node.min, node.max);
      case "assert": return fail(node.assert === "wordBoundary" || node.assert === "notWordBoundary" ? "\\b / \\B" : node.assert === "lineStart" ? "^" : node.assert === "lineEnd" ? "$" : "lookaround");
    }
  };
  const branches = tree.kind === "alt" ? tree.items : [tree];
  return alt(...branches.map((branch) => {
    const items = [...(branch.kind === "concat" ? branch.items : [branch])];
    const start = items[0]?.kind === "assert" && items[0].assert === "lineStart";
    if (start) items.shift();
    const end = items.at(-1)?.kind === "assert" && items.at(-1)!.kind === "assert" && (items.at(-1) as { assert: string }).assert === "lineEnd";
    if (end) items.pop();
    const body = convert({ kind: "concat", items });
    if (options.mode === "full") return body;
    return seq(start ? EMPTY : filler, body, end ? EMPTY : filler);
  }));
}

/** A `regex` request constraint: the whole completion must match `pattern`. */
export function regexGrammar(pattern: string, limits?: GrammarLimits): Grammar {
  const builder = new GrammarBuilder(limits);
  const root = builder.rule("root");
  builder.define(root, regexExpr(pattern, { mode: "full", path: "regex" }));
  return builder.build(root);
}

/** Code points of a UTF-16 class: surrogate halves dropped; a set spanning all surrogates also spans the astral planes. */
function codepoints(set: ClassSet): number[] {
  const ranges = normalizeRanges([...set.ranges]);
  const raw = [...set.ranges];
  let spansSurrogates = false;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]! <= 0xd800 && raw[i + 1]! >= 0xdfff) spansSurrogates = true;
  const base = spansSurrogates ? normalizeRanges([...ranges, 0x10000, MAX_CODEPOINT]) : ranges;
  return set.negated ? complementCodepoints(normalizeRanges([...set.ranges])) : base;
}

/** A literal astral character parses as two one-unit sets (high, low surrogate): join them into one code point. */
function joinSurrogates(items: readonly RegexNode[]): RegexNode[] {
  const out: RegexNode[] = [];
  for (let i = 0; i < items.length; i++) {
    const a = items[i]!, b = items[i + 1];
    const hi = single(a), lo = b && single(b);
    if (hi !== undefined && lo !== undefined && hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) {
      const cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
      out.push({ kind: "set", set: { ranges: [cp, cp], negated: false } });
      i++;
    } else out.push(a);
  }
  return out;
}

function single(node: RegexNode): number | undefined {
  if (node.kind !== "set" || node.set.negated || node.set.ranges.length !== 2) return undefined;
  return node.set.ranges[0] === node.set.ranges[1] ? node.set.ranges[0] : undefined;
}
