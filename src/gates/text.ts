/** Per-code-unit character tables shared by the gates, filled lazily so start-up stays cheap. */

const WORD_UNKNOWN = 2;
const wordTable = new Uint8Array(65536).fill(WORD_UNKNOWN);
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/** True for letters, digits (any script) and `_`: what "whole word" phrase matching treats as part of a word. */
export function isWordUnit(code: number): boolean {
  if (code < 0) return false;
  let v = wordTable[code]!;
  if (v === WORD_UNKNOWN) {
    // Surrogate halves are not words on their own; astral letters are rare enough in policy phrases.
    v = code === 95 || (code < 0xd800 || code > 0xdfff) && LETTER_OR_DIGIT.test(String.fromCharCode(code)) ? 1 : 0;
    wordTable[code] = v;
  }
  return v === 1;
}

/** True for letters and digits: the characters `mask` hides (separators stay visible). */
export function isAlnumUnit(code: number): boolean {
  return code !== 95 && isWordUnit(code);
}

const foldTable = new Uint16Array(65536);
const FOLD_UNKNOWN = 0;

/** Simple case fold of one UTF-16 code unit (lower case when it stays one unit), for case-insensitive matching. */
export function foldUnit(code: number): number {
  if (code < 128) return code >= 65 && code <= 90 ? code + 32 : code;
  let v = foldTable[code]!;
  if (v === FOLD_UNKNOWN) {
    const lower = String.fromCharCode(code).toLowerCase();
    v = lower.length === 1 ? lower.charCodeAt(0) : code;
    foldTable[code] = v;
  }
  return v;
}

/** Upper-case partner of one code unit (or itself), so case-insensitive classes can include both cases. */
export function upperUnit(code: number): number {
  const upper = String.fromCharCode(code).toUpperCase();
  return upper.length === 1 ? upper.charCodeAt(0) : code;
}
