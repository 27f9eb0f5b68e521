/** How a resolved match is rewritten in the released text. */
import { isAlnumUnit } from "./text.ts";

const ALNUM = /^[\p{L}\p{N}]$/u;

/**
 * Keep separators and the last four letters/digits, star the rest: `4111-1111-1111-1234` → `****-****-****-1234`.
 * Works on the raw match, per code point: fullwidth, Arabic-Indic or mathematical (astral) digits are digits too,
 * and an astral one becomes a single `*`; invisible characters and marks stay (they are not letters or digits).
 */
export function maskText(match: string): string {
  const out = Array.from(match);
  let keep = 4;
  for (let i = out.length - 1; i >= 0; i--) {
    const ch = out[i]!;
    if (!(ch.length === 1 ? isAlnumUnit(ch.charCodeAt(0)) : ALNUM.test(ch))) continue;
    if (keep > 0) keep--;
    else out[i] = "*";
  }
  return out.join("");
}
