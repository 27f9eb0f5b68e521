/** Check digits and allocation rules of national identifiers: a shape without them is not reported. */
import { decimalMod, iso7064Mod11_10, luhn, oneRepeatedDigit, verhoeff, weightedSum } from "./checksums.ts";
import { digitsOf } from "./edges.ts";

/** UK prefixes never allocated (HMRC): BG, GB, KN, NK, NT, TN, ZZ. */
const NINO_UNUSED = new Set(["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"]);

/** UK National Insurance number: no check digit, so only the allocation rules on its prefix. */
export function isUkNino(text: string): boolean {
  return !NINO_UNUSED.has(text.slice(0, 2));
}

/** Canadian SIN: Luhn; 0 and 8 are never a first digit. */
export function isCaSin(text: string): boolean {
  const d = digitsOf(text);
  return d[0] !== "0" && d[0] !== "8" && !oneRepeatedDigit(d) && luhn(d);
}

/** Indian Aadhaar: 12 digits, first 2–9, Verhoeff check digit. */
export function isInAadhaar(text: string): boolean {
  const d = digitsOf(text);
  return d.length === 12 && !oneRepeatedDigit(d.slice(1)) && verhoeff(d);
}

const DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE";

/** Spanish DNI: the letter is the number mod 23 in a fixed table. */
export function isEsDni(text: string): boolean {
  const d = digitsOf(text);
  return d.length === 8 && DNI_LETTERS[Number(d) % 23] === text[text.length - 1];
}

/** Spanish NIE: X/Y/Z stand for 0/1/2, then the DNI rule. */
export function isEsNie(text: string): boolean {
  const lead = "XYZ".indexOf(text[0]!);
  const d = digitsOf(text);
  return lead >= 0 && d.length === 7 && DNI_LETTERS[Number(lead + d) % 23] === text[text.length - 1];
}

/** Codice fiscale: values of characters in odd positions (1st, 3rd, …); digits count as A–J. */
const CF_ODD = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];

/** Italian codice fiscale: the 16th letter is a mod-26 check over the first 15 (omocodia letters allowed). */
export function isItCodiceFiscale(text: string): boolean {
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    const c = text.charCodeAt(i);
    const v = c <= 57 ? c - 48 : c - 65;
    sum += i % 2 === 0 ? CF_ODD[v]! : v;
  }
  return text.charCodeAt(15) - 65 === sum % 26;
}

/** One CPF check digit over `digits` with weights n, n-1, …, 2. */
const cpfDigit = (digits: string): number => {
  const weights = Array.from({ length: digits.length }, (_, i) => digits.length + 1 - i);
  const r = (weightedSum(digits, weights) * 10) % 11;
  return r === 10 ? 0 : r;
};

/** Brazilian CPF: two mod-11 check digits; one repeated digit is never issued. */
export function isBrCpf(text: string): boolean {
  const d = digitsOf(text);
  return d.length === 11 && !oneRepeatedDigit(d) &&
    cpfDigit(d.slice(0, 9)) === d.charCodeAt(9) - 48 && cpfDigit(d.slice(0, 10)) === d.charCodeAt(10) - 48;
}

const CNPJ_W1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
const CNPJ_W2 = [6, ...CNPJ_W1];
const cnpjDigit = (digits: string, weights: readonly number[]): number => {
  const r = weightedSum(digits, weights) % 11;
  return r < 2 ? 0 : 11 - r;
};

/** Brazilian CNPJ: two weighted mod-11 check digits. */
export function isBrCnpj(text: string): boolean {
  const d = digitsOf(text);
  return d.length === 14 && !oneRepeatedDigit(d) &&
    cnpjDigit(d.slice(0, 12), CNPJ_W1) === d.charCodeAt(12) - 48 && cnpjDigit(d.slice(0, 13), CNPJ_W2) === d.charCodeAt(13) - 48;
}

/** French NIR: key = 97 − (first 13 digits mod 97); Corsica's 2A/2B count as 19/18; month 01–12, 20–42 or 50–99. */
export function isFrNir(text: string): boolean {
  const compact = text.replace(/ /g, "");
  if (compact.length !== 15) return false;
  const month = Number(compact.slice(3, 5));
  if (month === 0 || (month > 12 && month < 20) || (month > 42 && month < 50)) return false;
  const body = compact.slice(0, 13).replace(/^(.{5})2A/, "$119").replace(/^(.{5})2B/, "$118");
  return 97 - decimalMod(body, 97) === Number(compact.slice(13));
}

/** German Steuer-IdNr: ISO 7064 MOD 11,10; in the first 10 digits one digit occurs twice or three times, the rest once. */
export function isDeTaxId(text: string): boolean {
  const d = digitsOf(text);
  if (d.length !== 11 || d[0] === "0") return false;
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < 10; i++) counts[d.charCodeAt(i) - 48]!++;
  const repeated = counts.filter((c) => c > 1);
  if (repeated.length !== 1 || repeated[0]! > 3) return false;
  return iso7064Mod11_10(d.slice(0, 10)) === d.charCodeAt(10) - 48;
}
