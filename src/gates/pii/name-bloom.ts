/**
 * Bloom-filter lookup of the person-name lexicon: hashes are computed incrementally as the scanner reads a word's
 * letters (no strings), then finished with the kind of entry asked about. A filter is about a third smaller than the
 * gzipped word list, which matters for the edge bundle; a false positive only makes a capitalised word look like a name.
 */

/** Entry kinds (mixed into the hash, so one filter holds all four lists): surnames that are also English words
 *  (`Brown`, `King`) are kept apart from the rest (`Nowak`), which alone can mark a capitalised pair as a name. */
export const FIRST = 1, WEAK_FIRST = 2, WORD_SURNAME = 3, SURNAME = 4;
/** Bits set per entry. */
export const BLOOM_HASHES = 8;

/** Start of a word's hash pair. */
export const HASH_START_A = 0x811c9dc5 | 0, HASH_START_B = 0x9747b28c | 0;
/** Feeds one lower-case unit into hash A (FNV-1a). */
export const stepA = (h: number, unit: number): number => Math.imul(h ^ unit, 16777619);
/** Feeds one lower-case unit into hash B (a second multiplier, so the pair is independent enough for double hashing). */
export const stepB = (h: number, unit: number): number => Math.imul(h ^ unit, 0x5bd1e995) ^ (h >>> 15);

/** The hash pair of a lower-case word and an entry kind. */
export function wordKey(word: string, kind: number): number[] {
  let a = HASH_START_A, b = HASH_START_B;
  for (let i = 0; i < word.length; i++) { a = stepA(a, word.charCodeAt(i)); b = stepB(b, word.charCodeAt(i)); }
  return [stepA(a, kind), stepB(b, kind) | 1];
}

/** Builds the filter bytes for `keys` (hash pairs) over `bits` bits (rounded up to bytes). */
export function bloomBits(keys: readonly number[][], bits: number): Uint8Array {
  const bytes = new Uint8Array(Math.ceil(bits / 8));
  const m = bytes.length * 8;
  for (const [a, b] of keys) {
    for (let i = 0; i < BLOOM_HASHES; i++) {
      const bit = ((a! + Math.imul(i, b!)) >>> 0) % m;
      bytes[bit >> 3]! |= 1 << (bit & 7);
    }
  }
  return bytes;
}

/** A filter ready for lookups. */
export class NameBloom {
  private readonly m: number;
  constructor(private readonly bytes: Uint8Array) {
    this.m = bytes.length * 8;
  }

  /** Decodes the generated base64 filter. */
  static fromBase64(text: string): NameBloom {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return new NameBloom(bytes);
  }

  /** True if the word whose running hashes are `a`, `b` is (probably) listed as `kind`. */
  has(a: number, b: number, kind: number): boolean {
    const ka = stepA(a, kind), kb = stepB(b, kind) | 1;
    for (let i = 0; i < BLOOM_HASHES; i++) {
      const bit = ((ka + Math.imul(i, kb)) >>> 0) % this.m;
      if ((this.bytes[bit >> 3]! & (1 << (bit & 7))) === 0) return false;
    }
    return true;
  }
}
