/**
 * The vocabulary as a byte trie laid out in preorder: a mask walk visits nodes in array order and skips a whole
 * subtree with one jump when the parser refuses its first byte, so shared prefixes are parsed once per mask.
 */

import type { FlatTrie } from "../../ffi/kernels.ts";

/** Token byte strings: token t is `bytes[offsets[t] .. offsets[t+1])` (as `LlamaModel.vocabularyBytes()` gives). */
export interface VocabularyBytes {
  /** All token bytes back to back. */
  readonly bytes: Uint8Array;
  /** n + 1 offsets into `bytes`. */
  readonly offsets: Uint32Array;
}

/** A preorder byte trie of a vocabulary. */
export class TokenTrie {
  /** Byte on the edge into each node. */
  readonly byte: Uint8Array;
  /** Depth of each node (1 = a first byte). */
  readonly depth: Uint16Array;
  /** Index just past each node's subtree. */
  readonly skip: Int32Array;
  /** Parent of each node (-1 for a first byte): ranges of a state's boundary tokens share parents. */
  readonly parent: Int32Array;
  /** First-level node of each byte (-1: no token starts with it): its subtree is `roots[b] .. skip[roots[b]]`. */
  readonly roots: Int32Array;
  /** Tokens ending at node i are `ids[tokenStart[i] .. tokenStart[i+1])`. */
  readonly tokenStart: Int32Array;
  /** Token ids in byte order. */
  readonly ids: Int32Array;
  /** Nodes. */
  readonly size: number;
  /** Tokens in the vocabulary (including empty ones, which are never reachable). */
  readonly vocab: number;
  /** Longest token in bytes. */
  readonly maxDepth: number;

  private constructor(readonly vocabulary: VocabularyBytes) {
    const { bytes, offsets } = vocabulary;
    const n = offsets.length - 1;
    this.vocab = n;
    const keys: string[] = new Array<string>(n);
    const chunk = 4096;
    for (let t = 0; t < n; t++) {
      const a = offsets[t]!, b = offsets[t + 1]!;
      let s = "";
      for (let i = a; i < b; i += chunk) s += String.fromCharCode(...bytes.subarray(i, Math.min(b, i + chunk)));
      keys[t] = s;
    }
    const order = Array.from({ length: n }, (_, t) => t).filter((t) => keys[t]!.length > 0);
    order.sort((x, y) => (keys[x]! < keys[y]! ? -1 : keys[x]! > keys[y]! ? 1 : x - y));
    const byte: number[] = [], depth: number[] = [], skip: number[] = [], parent: number[] = [];
    const endNode = new Int32Array(order.length);
    const path: number[] = [];
    let prev = "";
    let maxDepth = 0;
    order.forEach((t, k) => {
      const key = keys[t]!;
      let lcp = 0;
      while (lcp < key.length && lcp < prev.length && key.charCodeAt(lcp) === prev.charCodeAt(lcp)) lcp++;
      while (path.length > lcp) skip[path.pop()!] = byte.length;
      for (let d = lcp; d < key.length; d++) {
        parent.push(path.length > 0 ? path[path.length - 1]! : -1);
        path.push(byte.length);
        byte.push(key.charCodeAt(d));
        depth.push(d + 1);
        skip.push(0);
      }
      endNode[k] = path[key.length - 1]!;
      maxDepth = Math.max(maxDepth, key.length);
      prev = key;
    });
    while (path.length > 0) skip[path.pop()!] = byte.length;
    // Sorted order makes end nodes non-decreasing: the tokens ending at node i are one contiguous run.
    const ends = new Int32Array(byte.length + 1);
    let k = 0;
    for (let i = 0; i <= byte.length; i++) {
      while (k < order.length && endNode[k]! < i) k++;
      ends[i] = k;
    }
    this.byte = Uint8Array.from(byte);
    this.depth = Uint16Array.from(depth);
    this.skip = Int32Array.from(skip);
    this.parent = Int32Array.from(parent);
    this.roots = new Int32Array(256).fill(-1);
    for (let i = 0; i < byte.length; i = skip[i]!) this.roots[byte[i]!] = i;
    this.tokenStart = ends;
    this.ids = Int32Array.from(order);
    this.size = byte.length;
    this.maxDepth = maxDepth;
  }

  /** The trie of `vocabulary`, built once per vocabulary object. */
  static of(vocabulary: VocabularyBytes): TokenTrie {
    let trie = built.get(vocabulary.bytes);
    if (!trie || trie.vocabulary.offsets !== vocabulary.offsets) {
      trie = new TokenTrie(vocabulary);
      built.set(vocabulary.bytes, trie);
    }
    return trie;
  }

  #flat: FlatTrie | undefined;

  /** The same trie in the one-array layout `rsk_trie_walk` reads (kernels/include/rsk.h), built on first use. */
  get flat(): FlatTrie {
    if (this.#flat) return this.#flat;
    const nodes = new Int32Array((this.size + 1) * 3);
    for (let i = 0; i < this.size; i++) {
      nodes[i * 3] = this.byte[i]! | (this.depth[i]! << 8);
      nodes[i * 3 + 1] = this.skip[i]!;
      nodes[i * 3 + 2] = this.tokenStart[i]!;
    }
    nodes[this.size * 3 + 2] = this.tokenStart[this.size]!;
    this.#flat = { nodes, ids: this.ids, size: this.size, maxDepth: this.maxDepth, vocab: this.vocab };
    return this.#flat;
  }

  /** Bytes of token `t`. */
  tokenBytes(t: number): Uint8Array {
    const { bytes, offsets } = this.vocabulary;
    return bytes.subarray(offsets[t]!, offsets[t + 1]!);
  }
}

const built = new WeakMap<Uint8Array, TokenTrie>();
