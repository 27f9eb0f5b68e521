/** Thompson construction: syntax tree → flat NFA program in typed arrays (what the Pike VM walks). */
import type { AssertKind, ClassSet, RegexNode } from "./ast.ts";
import { foldUnit, upperUnit } from "../text.ts";

/** Consume one code unit in set `arg`, then go to `next`. */
export const OP_SET = 0;
/** Fork to `next` and `alt` (no priority: matching is leftmost-longest). */
export const OP_SPLIT = 1;
/** Unconditional jump to `next`. */
export const OP_JUMP = 2;
/** Zero-width check `arg` (see ASSERT_*), then `next`. */
export const OP_ASSERT = 3;
/** Accept. */
export const OP_MATCH = 4;

const ASSERT_CODES: Record<AssertKind, number> = {
  lineStart: 0, lineEnd: 1, wordBoundary: 2, notWordBoundary: 3, notAfter: 4, notBefore: 5,
};

/** Most instructions a single pattern may compile to; counted repetition expands, so cap it. */
export const MAX_PROGRAM_SIZE = 50_000;

/** A compiled pattern; arrays are indexed by instruction (pc). */
export interface Program {
  /** Opcode per instruction. */
  readonly op: Uint8Array;
  /** Set index (OP_SET), assertion code (OP_ASSERT; set index in `assertSet`). */
  readonly arg: Int32Array;
  /** Set index used by notAfter/notBefore assertions, -1 otherwise. */
  readonly assertSet: Int32Array;
  /** Successor instruction. */
  readonly next: Int32Array;
  /** Second successor of OP_SPLIT. */
  readonly alt: Int32Array;
  /** Entry instruction. */
  readonly start: number;
  /** Membership for code units < 128, 128 bytes per set: the hot path never leaves this table. */
  readonly asciiSets: Uint8Array;
  /** Normalised [lo, hi] ranges per set for code units ≥ 128. */
  readonly ranges: readonly Int32Array[];
  /** Complement flag per set. */
  readonly negated: readonly boolean[];
  /** Case-insensitive matching (flag i). */
  readonly caseless: boolean;
  /** ASCII code units a match can begin with: lets an idle scanner skip text in a tight loop. */
  readonly firstAscii: Uint8Array;
  /** True when a match can begin with a non-ASCII code unit. */
  readonly firstNonAscii: boolean;
}

/** Assertion codes as the VM sees them (exported for the VM's switch). */
export const ASSERT = ASSERT_CODES;

function normalise(ranges: readonly number[]): Int32Array {
  const pairs: [number, number][] = [];
  for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i]!, ranges[i + 1]!]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    const last = out.length - 1;
    if (last > 0 && lo <= out[last]! + 1) out[last] = Math.max(out[last]!, hi);
    else out.push(lo, hi);
  }
  return Int32Array.from(out);
}

function inRanges(ranges: Int32Array, code: number): boolean {
  let lo = 0, hi = (ranges.length >> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (code < ranges[mid * 2]!) hi = mid - 1;
    else if (code > ranges[mid * 2 + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Fewest code units any match of `program` reads: a search by levels (only OP_SET consumes a unit). */
export function shortestMatch(program: Program): number {
  const { op, next, alt } = program;
  const seen = new Uint8Array(op.length);
  let level = [program.start];
  for (let units = 0; level.length > 0; units++) {
    const consumed: number[] = [], stack = level;
    while (stack.length > 0) {
      const pc = stack.pop()!;
      if (seen[pc] === 1) continue;
      seen[pc] = 1;
      switch (op[pc]) {
        case OP_MATCH: return units;
        case OP_SET: consumed.push(next[pc]!); break;
        case OP_SPLIT: stack.push(next[pc]!, alt[pc]!); break;
        default: stack.push(next[pc]!);
      }
    }
    level = consumed;
  }
  return Infinity;
}

/** Set membership for any code unit (the slow path for non-ASCII input). */
export function setHas(program: Program, set: number, code: number): boolean {
  if (code < 128) return program.asciiSets[set * 128 + code] === 1;
  const ranges = program.ranges[set]!;
  let hit = inRanges(ranges, code);
  if (!hit && program.caseless) hit = inRanges(ranges, foldUnit(code)) || inRanges(ranges, upperUnit(code));
  return hit !== program.negated[set];
}

/** Compile a syntax tree; `caseless` applies flag i to every set. Throws RangeError if the program is too large. */
export function compileProgram(tree: RegexNode, caseless: boolean): Program {
  const op: number[] = [], arg: number[] = [], assertSet: number[] = [], next: number[] = [], alt: number[] = [];
  const sets: ClassSet[] = [];
  const emit = (o: number, a: number, n: number, b = -1, s = -1): number => {
    if (op.length >= MAX_PROGRAM_SIZE) throw new RangeError(`pattern compiles to more than ${MAX_PROGRAM_SIZE} NFA states`);
    op.push(o); arg.push(a); next.push(n); alt.push(b); assertSet.push(s);
    return op.length - 1;
  };
  // One entry (and one ASCII table) per distinct set: a bounded repeat copies its item's states, and a long literal
  // alternation (street names, month names) repeats the same letters thousands of times.
  const setIndex = new Map<ClassSet, number>(), byContent = new Map<string, number>();
  const addSet = (set: ClassSet): number => {
    let index = setIndex.get(set);
    if (index === undefined) {
      const key = `${set.negated ? "^" : ""}${set.ranges.join(",")}`;
      index = byContent.get(key);
      if (index === undefined) byContent.set(key, (index = sets.push(set) - 1));
      setIndex.set(set, index);
    }
    return index;
  };

  /** Continuation-passing construction: returns the entry of `node` followed by `cont`. */
  function build(node: RegexNode, cont: number): number {
    switch (node.kind) {
      case "set": return emit(OP_SET, addSet(node.set), cont);
      case "empty": return cont;
      case "assert": return emit(OP_ASSERT, ASSERT_CODES[node.assert], cont, -1, node.set ? addSet(node.set) : -1);
      case "concat": {
        let entry = cont;
        for (let i = node.items.length - 1; i >= 0; i--) entry = build(node.items[i]!, entry);
        return entry;
      }
      case "alt": {
        let entry = build(node.items[node.items.length - 1]!, cont);
        for (let i = node.items.length - 2; i >= 0; i--) entry = emit(OP_SPLIT, 0, build(node.items[i]!, cont), entry);
        return entry;
      }
      case "repeat": {
        let entry = cont;
        if (node.max === Infinity) {
          const loop = emit(OP_SPLIT, 0, -1, cont);
          next[loop] = build(node.item, loop);
          entry = loop;
        } else {
          for (let i = node.min; i < node.max; i++) entry = emit(OP_SPLIT, 0, build(node.item, entry), cont);
        }
        for (let i = 0; i < node.min; i++) entry = build(node.item, entry);
        return entry;
      }
    }
  }

  const matchPc = emit(OP_MATCH, 0, -1);
  const start = build(tree, matchPc);
  const asciiSets = new Uint8Array(sets.length * 128);
  const ranges = sets.map((s) => normalise(s.ranges));
  const negated = sets.map((s) => s.negated);
  for (let s = 0; s < sets.length; s++) {
    const table = asciiSets.subarray(s * 128, s * 128 + 128);
    const r = ranges[s]!;
    // Filled range by range (cheap at start-up, before the JIT has warmed up), then folded and negated.
    for (let i = 0; i < r.length && r[i]! < 128; i += 2) table.fill(1, r[i], Math.min(r[i + 1]!, 127) + 1);
    if (caseless) for (let c = 0; c < 128; c++) if (!table[c] && (inRanges(r, foldUnit(c)) || inRanges(r, upperUnit(c)))) table[c] = 1;
    if (negated[s]) for (let c = 0; c < 128; c++) table[c] ^= 1;
  }
  const program: Program = {
    op: Uint8Array.from(op), arg: Int32Array.from(arg), assertSet: Int32Array.from(assertSet),
    next: Int32Array.from(next), alt: Int32Array.from(alt), start, asciiSets, ranges, negated, caseless,
    firstAscii: new Uint8Array(128), firstNonAscii: false,
  };
  return withFirstSets(program);
}

/** Every set reachable from the entry through zero-width steps: the code units a match can begin with. */
function withFirstSets(program: Program): Program {
  const seen = new Uint8Array(program.op.length);
  const stack = [program.start];
  let firstNonAscii = false;
  while (stack.length > 0) {
    const pc = stack.pop()!;
    if (seen[pc]) continue;
    seen[pc] = 1;
    const o = program.op[pc]!;
    if (o === OP_SET) {
      const s = program.arg[pc]!;
      for (let c = 0; c < 128; c++) if (program.asciiSets[s * 128 + c]) program.firstAscii[c] = 1;
      const r = program.ranges[s]!;
      if (program.negated[s] || (r.length > 0 && r[r.length - 1]! >= 128) || program.caseless) firstNonAscii = true;
    } else if (o === OP_SPLIT) stack.push(program.next[pc]!, program.alt[pc]!);
    else if (o !== OP_MATCH) stack.push(program.next[pc]!);
  }
  return { ...program, firstNonAscii };
}

/**
 * True when the program can behave differently on a space than on a line break (a set holding one but not the other,
 * or `^`/`$`): the only difference a still-growing whitespace run can make in the NFKC view.
 */
export function tellsLineBreaks(program: Program): boolean {
  for (let pc = 0; pc < program.op.length; pc++) {
    const op = program.op[pc]!, arg = program.arg[pc]!;
    if (op === OP_SET && program.asciiSets[arg * 128 + 32] !== program.asciiSets[arg * 128 + 10]) return true;
    if (op === OP_ASSERT && (arg === ASSERT.lineStart || arg === ASSERT.lineEnd)) return true;
    const set = program.assertSet[pc]!;
    if (op === OP_ASSERT && set >= 0 && program.asciiSets[set * 128 + 32] !== program.asciiSets[set * 128 + 10]) return true;
  }
  return false;
}
