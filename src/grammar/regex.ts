/**
 * Regular expressions (JavaScript syntax, as JSON Schema's `pattern` and the `regex` request field use) to grammar
 * expressions. Parsing reuses the gates' linear-time regex parser (same dialect, same refusals: no backreferences,
 * no lookaround), on the pattern's code points as the `u` flag reads them (`astral.ts`); this module maps its syntax tree
 * to code point sets and repetitions.
 */
import type { ClassSet, RegexNode } from "../gates/regex/ast.ts";
import { parseRegex, RegexSyntaxError } from "../gates/regex/parse.ts";
import { joinPairs, utf16Pattern } from "./astral.ts";
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
  const tree = parsePattern(pattern, options.path);
  const within = options.within ?? [0, MAX_CODEPOINT];
  const filler = rep(options.filler ?? cps(...within), 0, Infinity);
  const fail = (what: string): never => {
    throw new GrammarError(`pattern ${JSON.stringify(pattern)}: ${what} is not supported inside a pattern (only ^ and $ where a branch starts or ends)`, options.path, "pattern");
  };
  const convert = (node: RegexNode): Expr => {
    switch (node.kind) {
      case "set": return cps(...intersectCodepoints(patternCodepoints(node.set), within));
      case "empty": return EMPTY;
      case "concat": return seq(...node.items.map(convert));
      case "alt": return alt(...node.items.map(convert));
      case "repeat": return rep(convert(node.item), node.min, node.max);
      case "assert": return fail(node.assert === "wordBoundary" || node.assert === "notWordBoundary" ? "\\b / \\B" : node.assert === "lineStart" ? "^" : node.assert === "lineEnd" ? "$" : "lookaround");
    }
  };
  return alt(...anchoredBranches(tree, () => fail("^ / $ in too many alternatives")).map(({ start, end, items }) => {
    const body = convert({ kind: "concat", items });
    if (options.mode === "full") return body;
    return seq(start ? EMPTY : filler, body, end ? EMPTY : filler);
  }));
}

/**
 * Trees of patterns parsed before, oldest first (trees are never mutated): every compile of a format parses the same
 * pattern again (an IRI-reference's is 9 KB, 20 KB once its classes are rewritten into surrogate ranges); bounded by
 * their total length.
 */
const PARSED = new Map<string, RegexNode>();
const MAX_PARSED_CHARS = 1 << 20;
let parsedChars = 0;

/**
 * The syntax tree of `pattern` over code points (lazy quantifiers made greedy; astral characters, `\u{…}` and
 * surrogate-pair escapes read as one code point, as JSON Schema's `u`-mode patterns do); a GrammarError at `path` if it
 * does not parse.
 */
export function parsePattern(pattern: string, path: string): RegexNode {
  const known = PARSED.get(pattern);
  if (known) return known;
  try {
    const tree = joinPairs(parseRegex(greedy(utf16Pattern(pattern))));
    PARSED.set(pattern, tree);
    parsedChars += pattern.length;
    for (const [oldest] of PARSED) {
      if (parsedChars <= MAX_PARSED_CHARS) break;
      PARSED.delete(oldest);
      parsedChars -= oldest.length;
    }
    return tree;
  } catch (err) {
    if (err instanceof RegexSyntaxError) throw new GrammarError(`invalid pattern ${JSON.stringify(pattern)}: ${err.message}`, path, "pattern");
    throw err;
  }
}

/** Most branches anchors may be distributed into (`(^a|b)(c|d$)` → 4). */
const MAX_BRANCHES = 256;

/** One way a pattern can match: anchored at the string's start and/or end, and the items in between. */
export interface AnchoredBranch {
  readonly start: boolean;
  readonly end: boolean;
  readonly items: readonly RegexNode[];
}

/**
 * The pattern's branches with `^` / `$` taken out where they sit: at a branch's edge, also inside a group at the edge
 * (`(^a|b)c$` → `^ac$` and `bc$`), whose alternatives are distributed. JSON Schema patterns have no multiline flag, so
 * `^` and `$` only match at the ends of the string. Anchors left inside a branch are refused by the caller.
 */
export function anchoredBranches(tree: RegexNode, tooMany: () => never): AnchoredBranch[] {
  const flat = (node: RegexNode): RegexNode[] => (node.kind === "concat" ? node.items.flatMap(flat) : node.kind === "empty" ? [] : [node]);
  const anchor = (node: RegexNode | undefined, kind: string) => node?.kind === "assert" && node.assert === kind;
  const hasAnchor = (node: RegexNode): boolean => node.kind === "assert" ? node.assert === "lineStart" || node.assert === "lineEnd"
    : node.kind === "concat" || node.kind === "alt" ? node.items.some(hasAnchor) : node.kind === "repeat" ? hasAnchor(node.item) : false;
  const work: AnchoredBranch[] = (tree.kind === "alt" ? tree.items : [tree]).map((b) => ({ start: false, end: false, items: flat(b) }));
  const out: AnchoredBranch[] = [];
  while (work.length > 0) {
    if (work.length + out.length > MAX_BRANCHES) tooMany();
    const next = work.pop()!;
    let { start, end } = next;
    const items = [...next.items];
    for (;;) {
      if (anchor(items[0], "lineStart")) {
        items.shift();
        start = true;
      } else if (anchor(items.at(-1), "lineEnd")) {
        items.pop();
        end = true;
      } else break;
    }
    const first = items[0], last = items.at(-1);
    if (first?.kind === "alt" && hasAnchor(first)) {
      for (const b of first.items) work.push({ start, end, items: [...flat(b), ...items.slice(1)] });
    } else if (last?.kind === "alt" && hasAnchor(last)) {
      for (const b of last.items) work.push({ start, end, items: [...items.slice(0, -1), ...flat(b)] });
    } else out.push({ start, end, items });
  }
  return out;
}

/**
 * The pattern with lazy quantifiers made greedy (`*?` `+?` `??` `{n,m}?`): for whether a string matches, laziness
 * changes nothing, only which match a search reports.
 */
export function greedy(pattern: string): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\") {
      out += pattern.slice(i, i + 2);
      i++;
      continue;
    }
    out += c;
    if (inClass) {
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") {
      inClass = true;
      continue;
    }
    let quantifier = (c === "*" || c === "+" || c === "?") && pattern[i - 1] !== "(";
    if (c === "{") {
      const counted = /^\{\d+(,\d*)?\}/.exec(pattern.slice(i));
      if (counted) {
        out += counted[0].slice(1);
        i += counted[0].length - 1;
        quantifier = true;
      }
    }
    if (quantifier && pattern[i + 1] === "?") i++;
  }
  return out;
}

/** A `regex` request constraint: the whole completion must match `pattern`. */
export function regexGrammar(pattern: string, limits?: GrammarLimits): Grammar {
  const builder = new GrammarBuilder(limits);
  const root = builder.rule("root");
  builder.define(root, regexExpr(pattern, { mode: "full", path: "regex" }));
  return builder.build(root);
}

/**
 * Code points of a parsed set (BMP code units from the gates' parser, or joined astral code points): surrogate halves
 * dropped; a set spanning all surrogates (`\S`, `[\s\S]`) also spans the astral planes.
 */
export function patternCodepoints(set: ClassSet): number[] {
  const ranges = normalizeRanges([...set.ranges]);
  const raw = [...set.ranges];
  let spansSurrogates = false;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]! <= 0xd800 && raw[i + 1]! >= 0xdfff) spansSurrogates = true;
  const base = spansSurrogates ? normalizeRanges([...ranges, 0x10000, MAX_CODEPOINT]) : ranges;
  return set.negated ? complementCodepoints(normalizeRanges([...set.ranges])) : base;
}
