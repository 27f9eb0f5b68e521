/** Token-edge assertions shared by the detector tables (kept apart from detectors.ts so its imports stay acyclic). */

/** Not preceded by a word character: matches start at token edges, which also keeps idle scanning cheap. */
export const EDGE = "(?<![A-Za-z0-9_])";
/** Not followed by a word character. */
export const END = "(?![A-Za-z0-9_])";
/** Digit runs: not preceded by a word character or a digit-group separator (`-`, `.`), so `x-123…` is no start. */
export const DIGITS_EDGE = "(?<![A-Za-z0-9_.\\-/])";
/** Digit runs: not followed by a word character or a separator that would continue the number. */
export const DIGITS_END = "(?![A-Za-z0-9_\\-/])";

/** The digits of a candidate (separators dropped; the text itself when it is all digits). */
export function digitsOf(text: string): string {
  let out = "", from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) {
      if (i > from) out += text.slice(from, i);
      from = i + 1;
    }
  }
  return from === 0 ? text : out + text.slice(from);
}
