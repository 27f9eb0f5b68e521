/**
 * What one raw code point becomes in the normalised view, computed once per code point and cached (a lazily filled
 * table per BMP unit, a map for astral code points): dropped, whitespace, one unit, or a short expansion.
 */

const UNKNOWN = -1;
/** Dropped: a default-ignorable character or a combining mark. */
export const DROP = -2;
/** Whitespace without a line break. */
export const SPACE = -3;
/** Whitespace that breaks a line. */
export const BREAK = -4;
/** Recipes ≤ MULTI index `expansions` (`MULTI - recipe`); a recipe ≥ 0 is the one unit the code point becomes. */
export const MULTI = -16;
const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;
const MARK = /[\p{Mn}\p{Me}]/u;
const WHITESPACE = /[\s\u0085]/u;
const LINE_BREAK = /[\n\v\f\r\u0085\u2028\u2029]/;
const DIGIT = /\p{Nd}/u;

/** Code points that become several units (`ﬁ` → `fi`, `…` → `...`, astral code points kept as a pair). */
export const expansions: string[] = [];
const bmp = new Int32Array(65536).fill(UNKNOWN);
const astral = new Map<number, number>();
for (let c = 0; c < 128; c++) bmp[c] = c === 9 || c === 32 ? SPACE : c >= 10 && c <= 13 ? BREAK : c;

/** ASCII value of a decimal digit of any script: Nd digits come in runs of ten (0–9) in every Unicode version. */
function digitValue(cp: number): number {
  let zero = cp;
  while (DIGIT.test(String.fromCodePoint(zero - 1))) zero--;
  return (cp - zero) % 10;
}

/** What one code point becomes in the view (computed once per code point, then cached). */
function recipeOf(cp: number): number {
  if (cp >= 0xd800 && cp <= 0xdfff) return cp; // a lone surrogate half stays as it is
  const ch = String.fromCodePoint(cp);
  if (DEFAULT_IGNORABLE.test(ch) || MARK.test(ch)) return DROP;
  if (WHITESPACE.test(ch)) return LINE_BREAK.test(ch) ? BREAK : SPACE;
  let out = "";
  for (const q of ch.normalize("NFKC")) {
    if (DEFAULT_IGNORABLE.test(q) || MARK.test(q)) continue;
    if (WHITESPACE.test(q)) {
      const unit = LINE_BREAK.test(q) ? "\n" : " ";
      if (out.endsWith(" ") || out.endsWith("\n")) { if (unit === "\n") out = out.slice(0, -1) + unit; } else out += unit;
      continue;
    }
    out += DIGIT.test(q) ? String.fromCharCode(48 + digitValue(q.codePointAt(0)!)) : q;
  }
  if (out === "") return DROP;
  if (out === " ") return SPACE;
  if (out === "\n") return BREAK;
  if (out.length === 1) return out.charCodeAt(0);
  return MULTI - (expansions.push(out) - 1);
}

/** The recipe of one code point (see DROP, SPACE, BREAK, MULTI). */
export function recipe(cp: number): number {
  if (cp < 0x10000) {
    let r = bmp[cp]!;
    if (r === UNKNOWN) bmp[cp] = r = recipeOf(cp);
    return r;
  }
  let r = astral.get(cp);
  if (r === undefined) astral.set(cp, r = recipeOf(cp));
  return r;
}
