/** Regex syntax tree produced by the parser and consumed by the NFA compiler and the length analysis. */

/** A set of UTF-16 code units as sorted inclusive [lo, hi] pairs; `negated` complements it after case folding. */
export interface ClassSet {
  /** Flat list lo0, hi0, lo1, hi1 … (sorted, may overlap; the compiler normalises). */
  readonly ranges: readonly number[];
  /** Complement taken after case folding, so `[^a]` with flag i also rejects `A`. */
  readonly negated: boolean;
}

/** Zero-width checks the engine can decide from the previous and next code unit alone (that is what keeps it linear). */
export type AssertKind = "lineStart" | "lineEnd" | "wordBoundary" | "notWordBoundary" | "notAfter" | "notBefore";

/** One regex syntax node. */
export type RegexNode =
  | { readonly kind: "set"; readonly set: ClassSet }
  | { readonly kind: "concat"; readonly items: readonly RegexNode[] }
  | { readonly kind: "alt"; readonly items: readonly RegexNode[] }
  | { readonly kind: "repeat"; readonly item: RegexNode; readonly min: number; readonly max: number }
  | { readonly kind: "assert"; readonly assert: AssertKind; readonly set?: ClassSet }
  | { readonly kind: "empty" };

/** Longest string the node can match (Infinity if unbounded): bounds how much text a stream may hold back. */
export function maxMatchLength(node: RegexNode): number {
  switch (node.kind) {
    case "set": return 1;
    case "assert": case "empty": return 0;
    case "concat": return node.items.reduce((sum, item) => sum + maxMatchLength(item), 0);
    case "alt": return Math.max(0, ...node.items.map(maxMatchLength));
    case "repeat": {
      if (node.max === 0) return 0;
      const inner = maxMatchLength(node.item);
      return inner === 0 ? 0 : node.max === Infinity ? Infinity : inner * node.max;
    }
  }
}

/** Shortest string the node can match: a pattern whose minimum is 0 could match nothing, which a gate rejects. */
export function minMatchLength(node: RegexNode): number {
  switch (node.kind) {
    case "set": return 1;
    case "assert": case "empty": return 0;
    case "concat": return node.items.reduce((sum, item) => sum + minMatchLength(item), 0);
    case "alt": return Math.min(...node.items.map(minMatchLength));
    case "repeat": return node.min * minMatchLength(node.item);
  }
}
