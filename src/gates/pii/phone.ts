/**
 * Phone numbers: the candidate shape (pattern) and its validation against libphonenumber-js metadata.
 *
 * Metadata: `min`, not `max`: the part max adds (per-type digit patterns) would reject the fictional numbers people write as examples (`555-0100`), which
 * a redaction gate must still treat as phones. The library's own parser costs 100–300 µs per call (measured, Bun
 * 1.4.5 on this box), far too slow for a stream that may see 50 000 candidates in a 1 MiB prompt, so the tables it
 * needs (calling codes, national prefixes, possible lengths) are extracted from its metadata at build time
 * (`phone-plans.ts`, 4 KB instead of the metadata's 90) and every candidate is checked in O(digits).
 */
import { oneRepeatedDigit } from "./checksums.ts";
import { digitsOf } from "./edges.ts";
import { PHONE_PLANS } from "./phone-plans.ts";
import type { MatchValidator } from "../scanner.ts";

/** What the lengths of one region (or of a calling code, over every region sharing it) allow. */
interface Plan {
  /** National (significant) number lengths. */
  readonly lengths: ReadonlySet<number>;
  /** Trunk prefix written before national numbers (`0`, NANP `1`), if any. */
  readonly prefix: string | undefined;
}

interface Tables {
  /** Calling code → union of its regions' possible lengths. */
  readonly callingCodes: ReadonlyMap<string, ReadonlySet<number>>;
  /** Region → its plan. */
  readonly regions: ReadonlyMap<string, Plan>;
}

let tables: Tables | undefined;

/** Built on first use from the generated plans (≈ 250 regions), then shared. */
function phoneTables(): Tables {
  if (tables) return tables;
  const callingCodes = new Map<string, Set<number>>(), regions = new Map<string, Plan>();
  for (const entry of PHONE_PLANS.split("|")) {
    const [region, code, prefix, list] = entry.split(" ") as [string, string, string, string];
    const lengths = new Set(list.split(",").map(Number));
    regions.set(region, { lengths, prefix: prefix === "-" ? undefined : prefix });
    const union = callingCodes.get(code) ?? new Set<number>();
    for (const l of lengths) union.add(l);
    callingCodes.set(code, union);
  }
  tables = { callingCodes, regions };
  return tables;
}

/** Region codes libphonenumber-js knows (what a policy's `regions` may list). */
export function isPhoneRegion(region: string): boolean {
  return phoneTables().regions.has(region);
}

/** An extension at the end: `x123`, `ext. 45`, `extension 7`, `#12` (kept in the finding, not in the length check). */
const EXTENSION = /[ ]?(?:x|ext\.?|extension|#)[ ]?[0-9]{1,6}$/i;
/** International prefix: `+`, or the `00` / `011` dialling prefixes. */
const INTERNATIONAL = /^(?:\+|00(?=[ .\-]?[1-9])|011(?=[ .\-]?[1-9]))/;
/**
 * Believable without context words: NANP layouts, and 10–12 digit numbers with a trunk `0` grouped by one kind of
 * separator (`020 7946 0958`, `01 23 45 67 89`, `0688 872 49 99`) or an area code in parentheses (`(030) 1234567`).
 */
const STRONG_NATIONAL = [
  /^(?:1[ .\-]?)?(?:\([2-9][0-9]{2}\) ?|[2-9][0-9]{2}[ .\-])[0-9]{3}[ .\-][0-9]{4}$/,
  /^(?:1 )?[2-9][0-9]{2} [0-9]{3} [0-9]{4}$/,
  /^0[0-9]{1,5}(?:(?: [0-9]{2,8})+|(?:-[0-9]{2,8})+|(?:\.[0-9]{2,8})+)$/,
  /^\(0[0-9]{1,4}\) ?[0-9]{3,8}(?:[ \-][0-9]{2,5})?$/,
];
/** STRONG_NATIONAL as one expression: one scan per candidate instead of up to four (digit-dense text has many). */
const STRONG = new RegExp(STRONG_NATIONAL.map((re) => `(?:${re.source})`).join("|"));
/**
 * False when a candidate starting with units `c0`..`c3` cannot match STRONG: every layout starts with `0` or `(`, with
 * `1` then (after one separator) `(` or 2–9, or else with a 3-digit group and a separator (`555-`, `555 `, `555.`); a
 * digit table's `4111 1111` and `1111 1111` do not.
 */
function mayBeStrong(c0: number, c1: number, c2: number, c3: number): boolean {
  const isDigit = (k: number) => k >= 48 && k <= 57, isSeparator = (k: number) => k === 32 || k === 45 || k === 46;
  if (c0 === 48 || c0 === 40) return true;
  if (c0 === 49) {
    const next = isSeparator(c1) ? c2 : c1;
    return next === 40 || (next >= 50 && next <= 57);
  }
  return c0 >= 50 && c0 <= 57 && isDigit(c1) && isDigit(c2) && isSeparator(c3);
}
/** Shapes that are something else: SSNs, dotted quads, dates (ISO, day-month-year or month-day-year). */
const NOT_PHONE = [/^[0-9]{3}-[0-9]{2}-[0-9]{4}$/, /^[0-9]{1,3}(?:\.[0-9]{1,3}){3}$/, /^(?:19|20)[0-9]{2}([\-./])[01][0-9]\1[0-3][0-9]$/,
  /^(?:0?[1-9]|[12][0-9]|3[01])([\-./])(?:0?[1-9]|[12][0-9]|3[01])\1(?:19|20)[0-9]{2}$/];
/** NOT_PHONE's shapes: digits and `-` `.` `/` only, starting with a digit (a `+`, `(` or space rules them all out). */
function mayBeOther(body: string): boolean {
  const c0 = body.charCodeAt(0);
  if (c0 < 48 || c0 > 57) return false;
  for (let i = 1; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if ((c < 48 || c > 57) && c !== 45 && c !== 46 && c !== 47) return false;
  }
  return NOT_PHONE.some((re) => re.test(body));
}

const GROUPS = "(?:\\([0-9]{1,5}\\) ?|[0-9]{1,6}[ .\\-/])";
const EXT = "(?: ?(?:[Xx]|[Ee][Xx][Tt]\\.?|[Ee][Xx][Tt][Ee][Nn][Ss][Ii][Oo][Nn]|#) ?[0-9]{1,6})";
/**
 * Up to `depth` digit groups, then the last digits and an optional extension: `GROUPS{0,depth}` followed by them, but
 * with one copy of the tail per number of groups taken. Written flat, the candidates of a number starting at a later
 * group reach the same NFA states as those of a number starting earlier and are absorbed by them (earliest start
 * wins), so every rejected candidate in digit-dense text (tables, card numbers) made the VM search again from the
 * next group; with a copy per depth they never meet.
 */
function groupsThenNumber(depth: number): string {
  const tail = `[0-9]{1,12}${EXT}?`;
  return depth === 0 ? tail : `(?:${GROUPS}${groupsThenNumber(depth - 1)}|${tail})`;
}

/**
 * Candidate shape: an optional international prefix (`+`, `00`, `011`), up to six digit groups joined by a space,
 * `.`, `-` or `/` (a parenthesised group such as `(0)` or `(555)` needs no separator after it), an optional extension.
 * Leftmost-longest takes every group and the extension; the validator decides what the groups are.
 */
export const PHONE_PATTERN = `(?<![A-Za-z0-9_+.\\-])(?:\\+ ?|00 ?|011 ?)?${groupsThenNumber(5)}(?![A-Za-z0-9_])`;
/** Fewest digits of a phone number (the validator rejects shorter ones). */
export const PHONE_MIN_DIGITS = 7;
/** Longest candidate considered (prefix, six groups, extension). */
export const PHONE_MAX_LENGTH = 64;
/** Words that make a short or unseparated number a phone. */
export const PHONE_CONTEXT = {
  words: [
    "phone", "telephone", "tel", "mobile", "mob", "cell", "cellphone", "call", "fax", "contact", "number", "ph",
    "whatsapp", "sms", "text", "dial", "ring", "reach", "landline", "hotline", "telefon", "telefono", "handy",
    "portable", "numero", "nummer", "phone number", "call me", "reach me",
  ],
  // Digit groups after a parcel label are (part of) a tracking number, never a phone.
  not: ["tracking", "tracking number", "tracking no", "waybill", "AWB", "Sendungsnummer", "suivi"],
  window: 32,
  required: false,
} as const;

/** Phone options a policy may set. */
export interface PhoneOptions {
  /** Regions whose national formats are accepted (default: any region libphonenumber-js knows). */
  readonly regions?: readonly string[];
  /** `required`: every candidate needs a context word; `optional`: none does; default: only weak shapes do. */
  readonly context?: "required" | "optional";
}

/**
 * The phone validator for one rule. International numbers need a known calling code and a possible length for it;
 * national ones a possible length in one of the regions (after its trunk prefix). Weak shapes (short or unseparated
 * national numbers: `467 3395`, `60-56-85-91`, `0123456789`) also need a context word unless the policy says otherwise.
 */
export function phoneValidator(options: PhoneOptions = {}): MatchValidator {
  // The tables are built for the first candidate, not when the detector table is defined (at module load): the
  // national lengths of the policy's regions, as written bare and after each trunk prefix (one lookup per prefix,
  // not one per region: digit-dense text asks for every group end).
  let national: { bare: ReadonlySet<number>; prefixed: ReadonlyMap<string, ReadonlySet<number>> } | undefined;
  const nationalOf = () => {
    if (national) return national;
    const { regions } = phoneTables();
    const bare = new Set<number>(), prefixed = new Map<string, Set<number>>();
    for (const r of options.regions ?? [...regions.keys()]) {
      const plan = regions.get(r)!;
      for (const l of plan.lengths) bare.add(l);
      if (plan.prefix === undefined) continue;
      const set = prefixed.get(plan.prefix) ?? new Set<number>();
      for (const l of plan.lengths) set.add(l);
      prefixed.set(plan.prefix, set);
    }
    return (national = { bare, prefixed });
  };
  const weakNeedsContext = options.context !== "optional";
  // A weak shape without context is refused from its first units (no international prefix, no strong layout).
  const precheck = (codes: Uint16Array, from: number, to: number, withContext: boolean): boolean => {
    // The validator's digit count, first (a group end early in a number has too few digits).
    let count = 0;
    for (let i = from; i < to; i++) if (codes[i]! >= 48 && codes[i]! <= 57) count++;
    if (count < PHONE_MIN_DIGITS || count > 21) return false;
    if (withContext || !weakNeedsContext) return true;
    const at = (i: number) => (from + i < to ? codes[from + i]! : -1);
    return at(0) === 43 || at(0) === 48 || mayBeStrong(at(0), at(1), at(2), at(3));
  };
  return Object.assign((text: string, withContext?: boolean) => {
    // Cheap checks first: digit-dense text (card numbers, tables) yields a candidate at every group end.
    let count = 0, extension = false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 48 && c <= 57) count++;
      // `#`, `x`/`X`, and the `t`/`n` of `ext`/`extension`: an extension may follow.
      else if (c === 35 || c === 88 || c === 120 || c === 84 || c === 116 || c === 78 || c === 110) extension = true;
    }
    if (count < PHONE_MIN_DIGITS || count > 21) return false;
    const body = extension ? text.replace(EXTENSION, "") : text;
    // Both expressions are anchored: their first characters decide most candidates of digit tables without a regex.
    const first = body.charCodeAt(0);
    const international = first === 43 || first === 48 ? INTERNATIONAL.exec(body) : null;
    let strong = false;
    if (!international) {
      strong = mayBeStrong(body.charCodeAt(0), body.charCodeAt(1), body.charCodeAt(2), body.charCodeAt(3)) && STRONG.test(body);
      if (!strong && weakNeedsContext && !withContext) return false;
    }
    if (mayBeOther(body)) return false;
    const digits = digitsOf(body.includes("(0)") ? body.replace("(0)", "") : body);
    if (oneRepeatedDigit(digits)) return false;
    if (international) {
      const number = digits.slice(international[0] === "+" ? 0 : international[0].length);
      if (number.length < 7 || number.length > 15) return false;
      for (let k = 1; k <= 3; k++) {
        const lengths = phoneTables().callingCodes.get(number.slice(0, k));
        if (lengths && (lengths.has(number.length - k) || number[k] === "0" && lengths.has(number.length - k - 1))) return true;
      }
      return false;
    }
    if (strong && digits[0] === "0" && digits.length < 10 && weakNeedsContext && !withContext) return false;
    if (digits.length < 7 || digits.length > 12) return false;
    const { bare, prefixed } = nationalOf();
    if (bare.has(digits.length)) return true;
    for (const [prefix, lengths] of prefixed) if (digits.startsWith(prefix) && lengths.has(digits.length - prefix.length)) return true;
    return false;
  }, { precheck });
}
