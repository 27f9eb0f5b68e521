/**
 * National identifiers: the shape in the gate regex dialect (folded view), the check digit in id-validators.ts.
 * Shapes without a published check digit (UK NINO, Indian PAN) carry context words instead.
 */
import type { DetectorSpec } from "./detectors.ts";
import { maxMatchLength, minMatchLength } from "../regex/ast.ts";
import { parseRegex } from "../regex/parse.ts";
import { DIGITS_EDGE, DIGITS_END, EDGE, END } from "./edges.ts";
import {
  isBrCnpj, isBrCpf, isCaSin, isDeTaxId, isEsDni, isEsNie, isFrNir, isInAadhaar, isItCodiceFiscale, isUkNino,
} from "./id-validators.ts";

/** Names of the national-ID detectors. */
export type IdDetector =
  | "uk_nino" | "ca_sin" | "in_aadhaar" | "in_pan" | "es_dni" | "es_nie" | "it_codice_fiscale" | "br_cpf" | "br_cnpj"
  | "fr_nir" | "de_tax_id";

/** Omocodia: a codice fiscale digit may be replaced by one of these letters when two people collide. */
const CF_DIGIT = "[0-9LMNPQRSTUV]";
const PLACEHOLDER = "[ID]";

/** National-ID detector table. */
export const ID_DETECTORS: Readonly<Record<IdDetector, DetectorSpec>> = {
  uk_nino: {
    pattern: `${EDGE}[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]${END}`,
    maxLength: 13, placeholder: PLACEHOLDER, validate: isUkNino,
    context: { words: ["NINO", "national insurance", "NI number", "NI no"], window: 48, required: false },
  },
  ca_sin: {
    // Nine bare digits are as often an order or account number: that form needs a context word (Luhn passes 1 in 10).
    pattern: `${DIGITS_EDGE}(?:[0-9]{3}-[0-9]{3}-[0-9]{3}|[0-9]{3} [0-9]{3} [0-9]{3}|[0-9]{9})${DIGITS_END}`,
    maxLength: 11, placeholder: PLACEHOLDER, validate: (m, withContext) => isCaSin(m) && (m.length === 11 || withContext === true),
    context: { words: ["SIN", "social insurance", "NAS", "assurance sociale"], window: 48, required: false },
  },
  in_aadhaar: {
    pattern: `${DIGITS_EDGE}[2-9][0-9]{3}(?: [0-9]{4} [0-9]{4}|-[0-9]{4}-[0-9]{4}|[0-9]{8})${DIGITS_END}`,
    // Twelve bare digits are as often an account id (AWS's are 12 digits) or a tracking number, and Verhoeff passes 1
    // in 10: that form needs a context word; twelve digits after a courier or parcel word are never one.
    maxLength: 14, placeholder: PLACEHOLDER, validate: (m, withContext) => isInAadhaar(m) && (m.length === 14 || withContext === true),
    context: {
      words: ["aadhaar", "aadhar", "UID", "UIDAI"],
      not: ["tracking", "waybill", "AWB", "FedEx", "UPS", "USPS", "DHL", "shipment", "parcel", "package", "consignment"],
      window: 48, required: false,
    },
  },
  in_pan: {
    // 4th letter: holder type (Person, Company, Hindu undivided family, Firm, AOP, Trust, BOI, Local, Juridical, Govt).
    pattern: `${EDGE}[A-Z]{3}[ABCFGHJLPT][A-Z][0-9]{4}[A-Z]${END}`,
    maxLength: 10, placeholder: PLACEHOLDER,
    context: { words: ["PAN", "permanent account", "income tax"], window: 48, required: false },
  },
  es_dni: {
    pattern: `${DIGITS_EDGE}(?:[0-9]{8}|[0-9]{2}\\.[0-9]{3}\\.[0-9]{3})[ \\-]?[A-Z]${END}`,
    maxLength: 12, placeholder: PLACEHOLDER, validate: isEsDni,
  },
  es_nie: { pattern: `${EDGE}[XYZ][ \\-]?[0-9]{7}[ \\-]?[A-Z]${END}`, maxLength: 11, placeholder: PLACEHOLDER, validate: isEsNie },
  it_codice_fiscale: {
    pattern: `${EDGE}[A-Z]{6}${CF_DIGIT}{2}[ABCDEHLMPRST]${CF_DIGIT}{2}[A-Z]${CF_DIGIT}{3}[A-Z]${END}`,
    maxLength: 16, placeholder: PLACEHOLDER, validate: isItCodiceFiscale,
  },
  br_cpf: {
    pattern: `${DIGITS_EDGE}(?:[0-9]{3}\\.[0-9]{3}\\.[0-9]{3}-[0-9]{2}|[0-9]{11})${DIGITS_END}`,
    maxLength: 14, placeholder: PLACEHOLDER, validate: isBrCpf,
  },
  br_cnpj: {
    pattern: `${DIGITS_EDGE}(?:[0-9]{2}\\.[0-9]{3}\\.[0-9]{3}/[0-9]{4}-[0-9]{2}|[0-9]{14})${DIGITS_END}`,
    maxLength: 18, placeholder: PLACEHOLDER, validate: isBrCnpj,
  },
  fr_nir: {
    pattern: `${DIGITS_EDGE}[12] ?[0-9]{2} ?[0-9]{2} ?(?:[0-9]{2}|2[AB]) ?[0-9]{3} ?[0-9]{3} ?[0-9]{2}${DIGITS_END}`,
    maxLength: 21, placeholder: PLACEHOLDER, validate: isFrNir,
  },
  de_tax_id: {
    pattern: `${DIGITS_EDGE}(?:[1-9][0-9]{10}|[1-9][0-9] [0-9]{3} [0-9]{3} [0-9]{3})${DIGITS_END}`,
    maxLength: 14, placeholder: PLACEHOLDER, validate: isDeTaxId,
    context: { words: ["Steuer-ID", "Steuer-IdNr", "Steueridentifikationsnummer", "IdNr", "tax ID", "TIN"], window: 48, required: false },
  },
};

/**
 * Every national ID above as one detector, for policies that want them all: one scanner (one DFA) instead of eleven
 * keeps the per-token cost of the default policy down. The validator re-checks which shape matched and applies that
 * shape's check digit.
 */
export const NATIONAL_ID: Readonly<Record<"national_id", DetectorSpec>> = {
  national_id: groupOf(ID_DETECTORS, PLACEHOLDER),
};

/**
 * One detector matching any member's pattern; a candidate is valid if some member's shape and validator accept it.
 * Its context words and vetoes are the union of the members' (optional, widest window), so a member that needs a word
 * before some of its forms (a bare 9-digit SIN) still gets one; members that need none ignore it.
 */
export function groupOf(members: Readonly<Record<string, DetectorSpec>>, placeholder: string): DetectorSpec {
  const specs = Object.values(members);
  // JavaScript runs the same patterns anchored (their one-character lookarounds hold at the string's edges). A member
  // whose pattern cannot match a candidate's length is not tried: digit tables give the group a candidate of every
  // length at every group end, and most members take 8–14 characters.
  const shapes = specs.map((s) => {
    const tree = parseRegex(s.pattern, { neighbourAssertions: true });
    return { shape: new RegExp(`^(?:${s.pattern})$`), validate: s.validate, min: minMatchLength(tree), max: maxMatchLength(tree) };
  });
  // Lengths are in code points, `m.length` in UTF-16 units: a candidate over a maximum is measured again only if it has a surrogate.
  const fits = (m: string, s: { min: number; max: number }) => m.length >= s.min && (m.length <= s.max || (/[\uD800-\uDFFF]/.test(m) && [...m].length <= s.max));
  const contexts = specs.flatMap((s) => (s.context ? [s.context] : []));
  return {
    pattern: specs.map((s) => `(?:${s.pattern})`).join("|"),
    maxLength: Math.max(...specs.map((s) => s.maxLength)), placeholder,
    validate: (m, withContext) => shapes.some((s) => fits(m, s) && s.shape.test(m) && (s.validate?.(m, withContext) ?? true)),
    ...(contexts.length > 0 && {
      context: {
        words: [...new Set(contexts.flatMap((c) => c.words))],
        not: [...new Set(contexts.flatMap((c) => c.not ?? []))],
        window: Math.max(...contexts.map((c) => c.window)),
        required: false,
      },
    }),
  };
}
