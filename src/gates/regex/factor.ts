/**
 * Prefix factoring of alternations (`Street|St|Strasse` → `St(?:reet||rasse)`): under leftmost-longest matching the
 * order of alternatives means nothing, so this keeps the language and shrinks the NFA. Long word lists (street
 * types, month names) otherwise compile to one state per letter of every word, which dominated building the
 * default policy and makes every lazy DFA state longer.
 */
import type { ClassSet, RegexNode } from "./ast.ts";

const EMPTY: RegexNode = { kind: "empty" };

/** Content key of a set: alternatives starting with equal sets share their first state. */
const keyOf = (set: ClassSet): string => `${set.negated ? "^" : ""}${set.ranges.join(",")}`;

/** The node as a sequence of items (a concatenation's items, anything else alone). */
const sequence = (node: RegexNode): readonly RegexNode[] =>
  node.kind === "concat" ? node.items : node.kind === "empty" ? [] : [node];

const fromSequence = (items: readonly RegexNode[]): RegexNode =>
  items.length === 0 ? EMPTY : items.length === 1 ? items[0]! : { kind: "concat", items };

/** The same language with alternatives that begin with the same set merged into one branch, recursively. */
export function factorAlternatives(node: RegexNode): RegexNode {
  switch (node.kind) {
    case "concat": return { kind: "concat", items: node.items.map(factorAlternatives) };
    case "repeat": return { ...node, item: factorAlternatives(node.item) };
    case "alt": return factorSequences(flatten(node.items).map((item) => sequence(factorAlternatives(item))));
    default: return node;
  }
}

/** Nested alternations are one alternation. */
function flatten(items: readonly RegexNode[]): RegexNode[] {
  const out: RegexNode[] = [];
  for (const item of items) {
    if (item.kind === "alt") out.push(...flatten(item.items));
    else out.push(item);
  }
  return out;
}

/** An alternation of sequences, those with an equal first set sharing it. */
function factorSequences(sequences: readonly (readonly RegexNode[])[]): RegexNode {
  const groups = new Map<string, (readonly RegexNode[])[]>();
  const order: (string | readonly RegexNode[])[] = [];
  for (const seq of sequences) {
    const head = seq[0];
    if (head?.kind !== "set") {
      order.push(seq);
      continue;
    }
    const key = keyOf(head.set);
    let group = groups.get(key);
    if (!group) {
      groups.set(key, (group = []));
      order.push(key);
    }
    group.push(seq);
  }
  const items = order.map((entry) => {
    if (typeof entry !== "string") return fromSequence(entry);
    const group = groups.get(entry)!;
    if (group.length === 1) return fromSequence(group[0]!);
    const rest = factorSequences(group.map((seq) => seq.slice(1)));
    return fromSequence([group[0]![0]!, ...sequence(rest)]);
  });
  return items.length === 1 ? items[0]! : { kind: "alt", items };
}
