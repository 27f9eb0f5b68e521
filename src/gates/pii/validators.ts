/** Checksums and range checks that turn syntactic PII candidates into real findings (cutting false positives). */

import { digitsOf } from "./edges.ts";

/**
 * Card networks by issuer prefix (IIN range, compared on the same number of leading digits) and the lengths they
 * issue (public network tables): Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Mir, RuPay, Troy, and
 * Maestro (the only network issuing 12-digit numbers). A Luhn-valid number outside them (ISBN-13 `978…`, epoch
 * milliseconds `17…`, tracking numbers) is not a card.
 */
const NETWORKS: readonly (readonly [from: string, to: string, min: number, max: number])[] = [
  ["4", "4", 13, 19], ["51", "55", 16, 16], ["2221", "2720", 16, 16], ["34", "34", 15, 15], ["37", "37", 15, 15],
  ["6011", "6011", 16, 19], ["644", "649", 16, 19], ["65", "65", 16, 19], ["3528", "3589", 16, 19],
  ["300", "305", 14, 19], ["36", "36", 14, 19], ["38", "39", 16, 19], ["62", "62", 16, 19], ["2200", "2204", 16, 19],
  ["60", "60", 16, 16], ["508", "508", 16, 16], ["81", "82", 16, 16], ["9792", "9792", 16, 16],
  ["50", "50", 16, 19], ["56", "69", 16, 19],
  // Maestro IINs that issue short numbers (12–15 digits).
  ["5018", "5018", 12, 19], ["5020", "5020", 12, 19], ["5038", "5038", 12, 19], ["5893", "5893", 12, 19],
  ["6304", "6304", 12, 19], ["6759", "6759", 12, 19], ["6761", "6763", 12, 19],
];
/**
 * NETWORKS as numbers, flat (low, high, min, max per network): each range scaled to four digits ([from, to + padding]),
 * so one 4-digit prefix compares with all.
 */
const RANGES = Int32Array.from(NETWORKS.flatMap(([from, to, min, max]) => {
  const scale = 10 ** (4 - from.length);
  return [Number(from) * scale, (Number(to) + 1) * scale - 1, min, max];
}));

/** A network issues numbers of `n` digits starting with the 4-digit `prefix`. */
function issued(prefix: number, n: number): boolean {
  for (let k = 0; k < RANGES.length; k += 4) {
    if (prefix >= RANGES[k]! && prefix <= RANGES[k + 1]! && n >= RANGES[k + 2]! && n <= RANGES[k + 3]!) return true;
  }
  return false;
}

/** Luhn (mod 10), a network's prefix and length; also rejects one repeated digit (passes Luhn trivially). */
export function isPaymentCard(text: string): boolean {
  const digits = digitsOf(text);
  const n = digits.length;
  if (n < 12 || n > 19) return false;
  let sum = 0, same = true;
  for (let i = 0; i < n; i++) {
    let d = digits.charCodeAt(n - 1 - i) - 48;
    if (i > 0 && digits.charCodeAt(n - i) !== d + 48) same = false;
    if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  // Luhn first: it is the cheapest test and rejects 9 in 10 candidates.
  if (sum % 10 !== 0 || same) return false;
  return issued(Number(digits.slice(0, 4)), n);
}

/**
 * isPaymentCard's length and network tests on the view's units (MatchValidator.precheck): a table of digit groups
 * yields a card candidate for every start and group end, and most have a length or leading digits no network issues.
 */
function mayBeCard(codes: Uint16Array, from: number, to: number): boolean {
  let n = 0, prefix = 0;
  for (let i = from; i < to; i++) {
    const d = codes[i]! - 48;
    if (d < 0 || d > 9) continue;
    if (n < 4) prefix = prefix * 10 + d;
    n++;
  }
  return n >= 12 && n <= 19 && issued(prefix, n);
}

/** isPaymentCard with its precheck. */
export const paymentCard = Object.assign((text: string) => isPaymentCard(text), { precheck: mayBeCard });

/** IBAN length per country (ISO 13616 registry): a wrong length is not an IBAN even if mod-97 passes. */
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28,
  CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18,
  GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32,
  LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18, NO: 15, PK: 24,
  PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24, SC: 31, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28,
  TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
};

/** Country length table plus ISO 7064 mod-97 = 1, computed piecewise so no big integers are needed. */
export function isIban(text: string): boolean {
  const spaced = text.toUpperCase();
  // One case throughout: `de89…` is an IBAN typed in lower case, `De89…` more likely a word.
  if (spaced !== text && text.toLowerCase() !== text) return false;
  const iban = spaced.replace(/ /g, "");
  if (IBAN_LENGTHS[iban.slice(0, 2)] !== iban.length) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? code - 55 : code - 48;
    rest = value >= 10 ? (rest * 100 + value) % 97 : (rest * 10 + value) % 97;
  }
  return rest === 1;
}

/**
 * isIban's length test on the view's units (MatchValidator.precheck): every group end of an IBAN written in groups
 * is a candidate, and only the last has its country's length.
 */
function mayBeIban(codes: Uint16Array, from: number, to: number): boolean {
  let n = 0;
  for (let i = from; i < to; i++) if (codes[i] !== 32) n++;
  // The pattern reads ASCII letters and digits only: upper case is the letter with bit 5 cleared.
  const country = String.fromCharCode(codes[from]! & ~32, codes[from + 1]! & ~32);
  return IBAN_LENGTHS[country] === n;
}

/** isIban with its precheck. */
export const iban = Object.assign((text: string) => isIban(text), { precheck: mayBeIban });

/** SSA rules: area not 000, 666 or 9xx; group not 00; serial not 0000. Nine bare digits need a context word. */
export function isUsSsn(text: string, withContext?: boolean): boolean {
  const digits = digitsOf(text);
  if (digits.length === text.length && !withContext) return false;
  const area = digits.slice(0, 3), group = digits.slice(3, 5), serial = digits.slice(5);
  return area !== "000" && area !== "666" && area[0] !== "9" && group !== "00" && serial !== "0000";
}

/** Rejects short all-letter forms such as `a::b` or `dead::beef` (C++ scopes, words) that are valid IPv6 syntax. */
export function isIpv6(text: string): boolean {
  const groups = text.split(":").filter((g) => g.length > 0).length;
  return /\d/.test(text) || groups >= 3;
}

/** Obfuscated `@` and `.` (`[at]`, `(dot)`, `%40`) as the plain characters. */
const deobfuscate = (text: string): string =>
  text.replace(/ ?[[(]at[\])] ?|%40/i, "@").replace(/ ?[[(]dot[\])] ?/gi, ".");

/** An email's top-level domain is alphabetic and labels do not begin or end with `-`. */
export function isEmail(match: string): boolean {
  const text = match.includes("@") ? match : deobfuscate(match);
  const at = text.lastIndexOf("@");
  if (at < 0) return false;
  const domain = text.slice(at + 1);
  const labels = domain.split(".");
  return /^[A-Za-z]{2,63}$/.test(labels[labels.length - 1]!) &&
    labels.every((l) => l.length > 0 && l.length <= 63 && !l.startsWith("-") && !l.endsWith("-"));
}

/** Bearer values are opaque random strings: demand a digit and some length so "bearer of bad news" passes. */
export function isBearerToken(text: string): boolean {
  const token = text.replace(/^bearer\s+/i, "");
  return token.length >= 16 && /\d/.test(token);
}
