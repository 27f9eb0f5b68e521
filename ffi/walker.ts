/** `TrieWalker` over plain typed arrays: the native kernels (bun:ffi / Deno.dlopen read them in place) and the TS reference. */
import { cursorLength, type FlatTrie, type TrieWalker, type WalkerCapacity } from "./kernels.ts";

/** The buffers one walk call receives. */
export interface WalkBuffers {
  /** rows * 256 transition entries. */
  readonly table: Int32Array;
  /** Per-row flags. */
  readonly flags: Int32Array;
  /** Slots and row stack. */
  readonly cursor: Int32Array;
  /** Output mask. */
  readonly mask: Uint32Array;
  /** Output node ranges. */
  readonly ranges: Int32Array;
}

/** Checks the trie's arrays match its declared shape (the kernel trusts the counts it is given). */
export function checkTrie(trie: FlatTrie): void {
  if (trie.nodes.length < (trie.size + 1) * 3) throw new RangeError(`flat trie: ${trie.nodes.length} ints for ${trie.size} nodes`);
  if (!Number.isInteger(trie.vocab) || trie.vocab <= 0) throw new RangeError(`flat trie: vocabulary size ${trie.vocab}`);
}

/** Checks one walk call's row count and end node against the walker (a RangeError is a caller bug). */
export function checkWalk(trie: FlatTrie, capacity: WalkerCapacity, rows: number, end: number, ranges: number): void {
  if (!(rows >= 1 && rows <= capacity.rows)) throw new RangeError(`trie walk: ${rows} rows, capacity ${capacity.rows}`);
  if (!(Number.isInteger(end) && end >= 0 && end <= trie.size)) throw new RangeError(`trie walk: end node ${end} of ${trie.size}`);
  if (!(Number.isInteger(ranges) && ranges >= 0 && ranges <= capacity.ranges)) throw new RangeError(`trie walk: ${ranges} range ints, capacity ${capacity.ranges}`);
}

/** A walker whose buffers are ordinary typed arrays, calling `call` with them. */
export function arrayWalker(
  trie: FlatTrie, capacity: WalkerCapacity, call: (rows: number, end: number, ranges: number, b: WalkBuffers) => number,
): TrieWalker {
  checkTrie(trie);
  const b: WalkBuffers = {
    table: new Int32Array(capacity.rows * 256),
    flags: new Int32Array(capacity.rows),
    cursor: new Int32Array(cursorLength(trie)),
    mask: new Uint32Array(Math.ceil(trie.vocab / 32)),
    ranges: new Int32Array(capacity.ranges),
  };
  return {
    trie,
    capacity,
    table: () => b.table,
    flags: () => b.flags,
    cursor: () => b.cursor,
    ranges: () => b.ranges,
    mask: () => b.mask,
    walk(rows, end = trie.size, ranges = capacity.ranges) {
      checkWalk(trie, capacity, rows, end, ranges);
      return call(rows, end, ranges, b);
    },
  };
}
