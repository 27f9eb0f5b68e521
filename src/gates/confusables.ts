/**
 * Confusable fold for detectors and phrase lists: one UTF-16 unit of the NFKC view → the Latin letter, `-`, `.` or
 * space it imitates, so `jоhn@…` (Cyrillic о), `ΚILL` (Greek Κ) or `123–45–6789` (en dashes) read as ASCII.
 * One unit in, one unit out: the folded view stays parallel to the NFKC view (same offsets, same raw maps).
 */

/**
 * Hand-written look-alike → Latin table (Cyrillic, Greek, Armenian, Cherokee, Lisu, Latin variants). Unicode's own
 * confusables.txt is not available offline here, so this covers the letters attacks actually use, not the whole file;
 * letters with diacritics are derived from NFD instead (see `derive`). Each pair is "look-alike, Latin".
 */
const LOOKALIKES = [
  // Cyrillic
  "АA", "ВB", "ЕE", "КK", "МM", "НH", "ОO", "РP", "СC", "ТT", "УY", "ХX", "ЅS", "ІI", "ЈJ", "ҮY", "ҺH", "ԚQ", "ԜW",
  "ӀI", "ѴV", "аa", "еe", "кk", "оo", "рp", "сc", "уy", "хx", "ѕs", "іi", "јj", "үy", "һh", "ԛq", "ԝw", "ӏl", "ѵv",
  "ԁd", "ѡw",
  // Greek
  "ΑA", "ΒB", "ΕE", "ΖZ", "ΗH", "ΙI", "ΚK", "ΜM", "ΝN", "ΟO", "ΡP", "ΤT", "ΥY", "ΧX", "ϹC", "ͿJ",
  "αa", "ιi", "κk", "νv", "οo", "ρp", "υu", "χx", "ϲc", "ϳj", "γy", "ωw",
  // Armenian
  "ՕO", "օo", "ՍU", "սu", "ԼL", "լl", "հh", "ոn", "ցg", "զq", "աw",
  // Cherokee
  "ᎪA", "ᏴB", "ᏟC", "ᎠD", "ᎬE", "ᏀG", "ᎻH", "ᎫJ", "ᏦK", "ᏞL", "ᎷM", "ᏢP", "ᎡR", "ᏚS", "ᎢT", "ᏙV", "ᏔW", "ᏃZ",
  // Lisu
  "ꓮA", "ꓐB", "ꓚC", "ꓓD", "ꓰE", "ꓝF", "ꓖG", "ꓧH", "ꓲI", "ꓙJ", "ꓗK", "ꓡL", "ꓟM", "ꓠN", "ꓳO", "ꓑP", "ꓣR", "ꓢS",
  "ꓔT", "ꓴU", "ꓦV", "ꓪW", "ꓫX", "ꓬY", "ꓜZ",
  // Latin letters without a canonical decomposition (NFD cannot strip their stroke), IPA and small capitals
  "ıi", "ȷj", "ɑa", "ɡg", "ɩi", "øo", "ØO", "đd", "ĐD", "ÐD", "ħh", "ĦH", "łl", "ŁL", "ƀb", "ɨi",
  "ᴄc", "ᴏo", "ᴠv", "ᴡw", "ᴢz", "ꜱs", "ᴜu",
];

/** Dash-likes read as `-` (U+2010–2015 hyphens and dashes, minus sign, small/fullwidth hyphen-minus, hyphen bullet). */
const DASHES = [0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0xfe58, 0xfe63, 0xff0d, 0x2043];
/** Full stops that IDNA treats as `.` in host names (ideographic and halfwidth ideographic). */
const DOTS = [0x3002, 0xff61];
/** Line breaks read as a space: phrase and detector patterns do not care where a line ended. */
const BREAKS = [0x0a, 0x0b, 0x0c, 0x0d, 0x85, 0x2028, 0x2029];

const direct = new Map<number, number>();
for (const pair of LOOKALIKES) direct.set(pair.charCodeAt(0), pair.charCodeAt(1));
for (const d of DASHES) direct.set(d, 45);
for (const d of DOTS) direct.set(d, 46);
for (const b of BREAKS) direct.set(b, 32);
direct.set(0x09, 32);

const MARKS = /^[\p{Mn}\p{Me}]+$/u;
const isAsciiLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** The fold of one unit ≥ 128, computed once: the table, else the base letter of an accented Latin (or look-alike) letter. */
function derive(unit: number): number {
  const mapped = direct.get(unit);
  if (mapped !== undefined) return mapped;
  if (unit >= 0xd800 && unit <= 0xdfff) return unit;
  const nfd = String.fromCharCode(unit).normalize("NFD");
  if (nfd.length > 1 && MARKS.test(nfd.slice(1))) {
    const base = nfd.charCodeAt(0);
    const folded = base < 128 ? base : direct.get(base);
    if (folded !== undefined && isAsciiLetter(folded)) return folded;
  }
  return unit;
}

const UNKNOWN = -1;
const table = new Int32Array(65536).fill(UNKNOWN);
for (let c = 0; c < 128; c++) table[c] = direct.get(c) ?? c;

/** Fold one NFKC-view code unit for detectors and phrase lists (table filled lazily, so start-up stays cheap). */
export function foldConfusable(unit: number): number {
  let v = table[unit]!;
  if (v === UNKNOWN) {
    v = derive(unit);
    table[unit] = v;
  }
  return v;
}
