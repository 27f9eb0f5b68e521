/** How a resolved match is rewritten in the released text. */
import { isAlnumUnit } from "./text.ts";

const ALNUM = /^[\p{L}\p{N}]$/u;

/** Whether the code point starting at `i` is a letter or digit; `wide`: it is a surrogate pair (two units). */
function alnumAt(match: string, i: number, wide: boolean): boolean {
  return wide ? ALNUM.test(match.slice(i, i + 2)) : isAlnumUnit(match.charCodeAt(i));
}

const isHigh = (c: number) => c >= 0xd800 && c < 0xdc00;
const isLow = (c: number) => c >= 0xdc00 && c < 0xe000;

/**
 * Keep separators and the last four letters/digits, star the rest: `4111-1111-1111-1234` → `****-****-****-1234`.
 * Works on the raw match, per code point: fullwidth, Arabic-Indic or mathematical (astral) digits are digits too,
 * and an astral one becomes a single `*`; invisible characters and marks stay (they are not letters or digits).
 * Two passes over UTF-16 units: where the kept tail starts, then the starred head.
 */
export function maskText(match: string): string {
  let cut = match.length;
  for (let keep = 4; cut > 0 && keep > 0;) {
    const wide = cut >= 2 && isLow(match.charCodeAt(cut - 1)) && isHigh(match.charCodeAt(cut - 2));
    const at = wide ? cut - 2 : cut - 1;
    if (alnumAt(match, at, wide)) keep--;
    cut = at;
  }
  // `cut` is the start of the fourth letter/digit from the end (0 when there are fewer): the head before it is starred.
  // The head: slices of what stays between the stars (short runs, so no per-character strings).
  let head = "", run = 0;
  for (let i = 0; i < cut; i++) {
    const wide = isHigh(match.charCodeAt(i)) && i + 1 < cut && isLow(match.charCodeAt(i + 1));
    if (alnumAt(match, i, wide)) {
      if (i > run) head += match.slice(run, i);
      head += "*";
      run = wide ? i + 2 : i + 1;
    }
    if (wide) i++;
  }
  return head + match.slice(run);
}
