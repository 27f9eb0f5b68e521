/** `rsk_trie_walk` in TypeScript, statement for statement (kernels/src/trie.c): the parity oracle for native and WASM. */
import { walk } from "../kernels.ts";

/** Same arguments and statuses as the C kernel (counts are the typed arrays' own lengths where C takes n_*). */
export function referenceTrieWalk(
  nodes: Int32Array, nNodes: number, ids: Int32Array, table: Int32Array, nRows: number, flags: Int32Array,
  cursor: Int32Array, mask: Uint32Array, ranges: Int32Array,
): number {
  if (cursor.length <= walk.stack + 1 || mask.length === 0) return -5;
  if (nNodes >= 2 ** 30 || nRows >= 2 ** 24 || mask.length > 2 ** 19) return -3;
  if ((nNodes + 1) * 3 > nodes.length || nRows * 256 > table.length || nRows > flags.length) return -5;
  const depthCap = cursor.length - walk.stack, limit = cursor[walk.limit]! >>> 0, nBits = mask.length * 32;
  let i = cursor[walk.node]! >>> 0, visited = cursor[walk.visited]! >>> 0, nRange = cursor[walk.ranges]! >>> 0;
  const onlyRanges = cursor[walk.mode] === walk.modeRanges;
  if (onlyRanges && nRange + 2 >= ranges.length) return -3;
  let status: number = walk.done;
  while (i < nNodes) {
    if (limit !== 0 && visited >= limit) {
      status = walk.limited;
      break;
    }
    const head = nodes[i * 3]!, byte = head & 255, depth = head >>> 8;
    if (depth === 0 || depth >= depthCap) return -3;
    if (onlyRanges && i >= ranges[nRange + 1]! >>> 0) {
      nRange += 3;
      if (nRange + 2 >= ranges.length) break;
      const first = ranges[nRange]! >>> 0, row = ranges[nRange + 2]! >>> 0;
      if (first >= nNodes || row >= nRows) return -3;
      const d = nodes[first * 3]! >>> 8;
      if (d === 0 || d >= depthCap) return -3;
      cursor[walk.stack + d - 1] = row;
      i = first;
      continue;
    }
    const from = cursor[walk.stack + depth - 1]!;
    const row = from & ~walk.cut;
    if (row >= nRows) return -3;
    const next = table[row * 256 + byte]!;
    if (next === 0) {
      cursor[walk.state] = row;
      cursor[walk.byte] = byte;
      status = walk.need;
      break;
    }
    visited++;
    const to = next - 1; // the next row when next > 0
    if (next > 0 && to >= nRows) return -3;
    // A refused byte, or a row that ends the analysed language: the subtree is skipped, and recorded below a row that
    // completes the frame, or always at a stop.
    const stop = next > 0 && (flags[to]! & walk.stop) !== 0 && !onlyRanges;
    if (next < 0 || stop) {
      const skip = nodes[i * 3 + 1]! >>> 0;
      if (skip <= i || skip > nNodes) return -3;
      if (stop || (from & walk.cut && !onlyRanges)) {
        if (nRange + 2 > ranges.length) return -5;
        ranges[nRange] = i;
        ranges[nRange + 1] = skip;
        nRange += 2;
      }
      i = skip;
      continue;
    }
    cursor[walk.stack + depth] = to | (from & walk.cut) | (flags[to]! & 1 ? walk.cut : 0);
    const k0 = nodes[i * 3 + 2]! >>> 0, k1 = nodes[i * 3 + 5]! >>> 0;
    if (k0 > k1 || k1 > ids.length) return -3;
    for (let k = k0; k < k1; k++) {
      const t = ids[k]! >>> 0;
      if (t >= nBits) return -3;
      mask[t >>> 5]! |= 1 << (t & 31);
    }
    i++;
  }
  cursor[walk.node] = i;
  cursor[walk.visited] = visited;
  cursor[walk.ranges] = nRange;
  return status;
}
