/** Generators for numbered identifiers (cards, IBANs, SSNs, national IDs, passports, licences), valid where checked. */
import {
  codiceFiscaleCheck, dniLetter, ibanCheck, iso7064Mod1110, luhnDigit, mod11Digit, mod97, verhoeffDigit,
} from "./checksums.ts";
import { DIGITS, type Draw, UPPER } from "./random.ts";

/** A generated value and the kind it is (for per-kind breakdowns). */
export interface Generated {
  /** The value as written in the text. */
  value: string;
  /** Finer kind. */
  kind: string;
}

const CARD_NETWORKS: readonly { kind: string; prefixes: readonly string[]; length: number; groups: readonly number[] }[] = [
  { kind: "visa", prefixes: ["4"], length: 16, groups: [4, 4, 4, 4] },
  { kind: "mastercard", prefixes: ["51", "52", "53", "54", "55", "2221", "2720", "2300"], length: 16, groups: [4, 4, 4, 4] },
  { kind: "amex", prefixes: ["34", "37"], length: 15, groups: [4, 6, 5] },
  { kind: "discover", prefixes: ["6011", "65", "644"], length: 16, groups: [4, 4, 4, 4] },
  { kind: "jcb", prefixes: ["3528", "3589", "3540"], length: 16, groups: [4, 4, 4, 4] },
  { kind: "diners", prefixes: ["36", "300", "305"], length: 14, groups: [4, 6, 4] },
  { kind: "maestro", prefixes: ["6759", "5018", "5020"], length: 12, groups: [4, 4, 4] },
  { kind: "visa19", prefixes: ["4"], length: 19, groups: [4, 4, 4, 4, 3] },
];

/** A Luhn-valid card number of a real network's prefix and length, compact or grouped with spaces, dashes or dots. */
export function paymentCard(d: Draw): Generated {
  const net = d.pick(CARD_NETWORKS);
  const prefix = d.pick(net.prefixes);
  const payload = prefix + d.digits(net.length - prefix.length - 1);
  const digits = payload + luhnDigit(payload);
  const sep = d.pick(["", " ", " ", "-", "-", ".", " "]);
  if (sep === "") return { value: digits, kind: net.kind };
  const parts: string[] = [];
  let at = 0;
  for (const g of net.groups) parts.push(digits.slice(at, (at += g)));
  return { value: parts.join(sep), kind: sep === "." ? `${net.kind}-dots` : net.kind };
}

const IBAN_FORMATS: readonly { country: string; bban: (d: Draw) => string }[] = [
  { country: "DE", bban: (d) => d.digits(18) },
  { country: "GB", bban: (d) => d.chars(UPPER, 4) + d.digits(14) },
  { country: "FR", bban: (d) => d.digits(10) + d.chars(UPPER + DIGITS, 11) + d.digits(2) },
  { country: "ES", bban: (d) => d.digits(20) },
  { country: "IT", bban: (d) => d.chars(UPPER, 1) + d.digits(10) + d.chars(UPPER + DIGITS, 12) },
  { country: "NL", bban: (d) => d.chars(UPPER, 4) + d.digits(10) },
  { country: "BE", bban: (d) => d.digits(12) },
  { country: "CH", bban: (d) => d.digits(5) + d.chars(UPPER + DIGITS, 12) },
  { country: "PT", bban: (d) => d.digits(21) },
  { country: "BR", bban: (d) => d.digits(23) + d.chars(UPPER, 1) + d.chars(UPPER + DIGITS, 1) },
];

/** A mod-97-valid IBAN, compact or in groups of 4, now and then lower-case. */
export function iban(d: Draw, country?: string): Generated {
  const fmt = IBAN_FORMATS.find((f) => f.country === country) ?? d.pick(IBAN_FORMATS);
  const bban = fmt.bban(d);
  const compact = fmt.country + ibanCheck(fmt.country, bban) + bban;
  let value = d.chance(0.5) ? compact.replace(/(.{4})(?=.)/g, "$1 ") : compact;
  let kind = `iban-${fmt.country.toLowerCase()}`;
  if (d.chance(0.08)) {
    value = value.toLowerCase();
    kind = "iban-lower";
  }
  return { value, kind };
}

/** A US SSN in the issued ranges, written with dashes, spaces, dots, en dashes or no separator. */
export function usSsn(d: Draw): Generated {
  let area = d.int(1, 899);
  if (area === 666) area = 667;
  const a = String(area).padStart(3, "0"), g = String(d.int(1, 99)).padStart(2, "0"), s = String(d.int(1, 9999)).padStart(4, "0");
  const sep = d.pick(["-", "-", "-", " ", ".", "\u2013", ""]);
  const kinds: Record<string, string> = { "-": "ssn-dash", " ": "ssn-space", ".": "ssn-dot", "\u2013": "ssn-endash", "": "ssn-bare" };
  return { value: `${a}${sep}${g}${sep}${s}`, kind: kinds[sep]! };
}

/** UK National Insurance number (valid prefix letters, suffix A–D). */
export function ukNino(d: Draw): string {
  const first = "ABCEGHJKLMNOPRSTWXYZ", second = "ABCEGHJKLMNPRSTWXYZ";
  let prefix: string;
  do prefix = d.chars(first, 1) + d.chars(second, 1); while (["BG", "GB", "NK", "KN", "TN", "NT", "ZZ"].includes(prefix));
  const n = d.digits(6), suffix = d.chars("ABCD", 1);
  return d.chance(0.5) ? `${prefix}${n}${suffix}` : `${prefix} ${n.slice(0, 2)} ${n.slice(2, 4)} ${n.slice(4)} ${suffix}`;
}

/** Canadian SIN (Luhn, first digit 1–7 or 9). */
export function canadianSin(d: Draw): string {
  const payload = d.pick(["1", "2", "3", "4", "5", "6", "7", "9"]) + d.digits(7);
  const n = payload + luhnDigit(payload);
  const sep = d.pick([" ", "-", ""]);
  return `${n.slice(0, 3)}${sep}${n.slice(3, 6)}${sep}${n.slice(6)}`;
}

/** Indian Aadhaar (12 digits, first 2–9, Verhoeff). */
export function aadhaar(d: Draw): string {
  const payload = String(d.int(2, 9)) + d.digits(10);
  const n = payload + verhoeffDigit(payload);
  const sep = d.pick([" ", " ", "-", ""]);
  return `${n.slice(0, 4)}${sep}${n.slice(4, 8)}${sep}${n.slice(8)}`;
}

/** Indian PAN (AAAPL1234C: 4th letter is the holder type). */
export function pan(d: Draw): string {
  return d.chars(UPPER, 3) + d.pick(["P", "P", "C", "H", "F", "T"]) + d.chars(UPPER, 1) + d.digits(4) + d.chars(UPPER, 1);
}

/** Spanish DNI (8 digits + letter) or NIE (X/Y/Z + 7 digits + letter). */
export function spanishId(d: Draw): Generated {
  if (d.chance(0.6)) {
    const n = d.int(1_000_000, 99_999_999);
    return { value: `${String(n).padStart(8, "0")}${d.chance(0.2) ? "-" : ""}${dniLetter(n)}`, kind: "dni" };
  }
  const lead = d.int(0, 2), body = d.digits(7);
  return { value: `${"XYZ"[lead]}${body}${dniLetter(Number(`${lead}${body}`))}`, kind: "nie" };
}

/** Italian codice fiscale with a valid check letter. */
export function codiceFiscale(d: Draw): string {
  const consonants = "BCDFGHJKLMNPQRSTVWXZ";
  const head = d.chars(consonants, 3) + d.chars(consonants, 3) + d.digits(2) + d.chars("ABCDEHLMPRST", 1)
    + String(d.pick([d.int(1, 28), d.int(41, 68)])).padStart(2, "0") + d.chars(UPPER, 1) + d.digits(3);
  return head + codiceFiscaleCheck(head);
}

/** Brazilian CPF (two mod-11 digits), usually written 000.000.000-00. */
export function cpf(d: Draw): string {
  const base = d.digits(9);
  const d1 = mod11Digit(base, [10, 9, 8, 7, 6, 5, 4, 3, 2]);
  const d2 = mod11Digit(base + d1, [11, 10, 9, 8, 7, 6, 5, 4, 3, 2]);
  const n = `${base}${d1}${d2}`;
  return d.chance(0.8) ? `${n.slice(0, 3)}.${n.slice(3, 6)}.${n.slice(6, 9)}-${n.slice(9)}` : n;
}

/** Brazilian CNPJ (two mod-11 digits), usually written 00.000.000/0001-00. */
export function cnpj(d: Draw): string {
  const base = d.digits(8) + "0001";
  const d1 = mod11Digit(base, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
  const d2 = mod11Digit(base + d1, [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
  const n = `${base}${d1}${d2}`;
  return d.chance(0.8) ? `${n.slice(0, 2)}.${n.slice(2, 5)}.${n.slice(5, 8)}/${n.slice(8, 12)}-${n.slice(12)}` : n;
}

/** French NIR (numéro de sécurité sociale) with its 97-complement key. */
export function frenchNir(d: Draw): string {
  const body = String(d.int(1, 2)) + String(d.int(40, 99)) + String(d.int(1, 12)).padStart(2, "0")
    + String(d.int(1, 95)).padStart(2, "0") + d.digits(3) + d.digits(3);
  const key = String(97 - mod97(body)).padStart(2, "0");
  return d.chance(0.6)
    ? `${body[0]} ${body.slice(1, 3)} ${body.slice(3, 5)} ${body.slice(5, 7)} ${body.slice(7, 10)} ${body.slice(10)} ${key}`
    : body + key;
}

/** German Steuer-IdNr: 11 digits, first not 0, one digit of the first ten twice, ISO 7064 MOD 11,10 check. */
export function germanTaxId(d: Draw): string {
  const pool = [..."0123456789"];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = d.int(0, i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  const nine = pool.slice(0, 9);
  const ten = [...nine, d.pick(nine)];
  for (let i = ten.length - 1; i > 0; i--) {
    const j = d.int(0, i);
    [ten[i], ten[j]] = [ten[j]!, ten[i]!];
  }
  if (ten[0] === "0") {
    const k = ten.findIndex((c) => c !== "0");
    [ten[0], ten[k]] = [ten[k]!, ten[0]!];
  }
  const n = ten.join("") + iso7064Mod1110(ten.join(""));
  return d.chance(0.5) ? `${n.slice(0, 2)} ${n.slice(2, 5)} ${n.slice(5, 8)} ${n.slice(8)}` : n;
}

/** One national ID of any supported kind. */
export function nationalId(d: Draw, kind?: string): Generated {
  const k = kind ?? d.pick(["nino", "sin", "aadhaar", "pan", "es", "codice_fiscale", "cpf", "cnpj", "nir", "steuer_id"]);
  switch (k) {
    case "nino": return { value: ukNino(d), kind: k };
    case "sin": return { value: canadianSin(d), kind: k };
    case "aadhaar": return { value: aadhaar(d), kind: k };
    case "pan": return { value: pan(d), kind: k };
    case "es": return spanishId(d);
    case "codice_fiscale": return { value: codiceFiscale(d), kind: k };
    case "cpf": return { value: cpf(d), kind: k };
    case "cnpj": return { value: cnpj(d), kind: k };
    case "nir": return { value: frenchNir(d), kind: k };
    default: return { value: germanTaxId(d), kind: "steuer_id" };
  }
}

/** What each national ID is called where it is used (the context a writer gives it). */
export const NATIONAL_ID_LABELS: Readonly<Record<string, readonly string[]>> = {
  nino: ["National Insurance number", "NI number", "NINO"],
  sin: ["SIN", "Social Insurance Number"],
  aadhaar: ["Aadhaar", "Aadhaar number", "UID"],
  pan: ["PAN", "PAN card", "Permanent Account Number"],
  dni: ["DNI", "número de DNI"],
  nie: ["NIE", "número NIE"],
  codice_fiscale: ["codice fiscale", "C.F.", "CF"],
  cpf: ["CPF"],
  cnpj: ["CNPJ"],
  nir: ["numéro de sécurité sociale", "NIR", "n° sécu"],
  steuer_id: ["Steuer-ID", "Steueridentifikationsnummer", "IdNr"],
};

/** Passport number in a national format; the text always names it (no format is self-evident). */
export function passport(d: Draw): Generated {
  const k = d.pick(["us", "uk", "de", "fr", "in", "es"] as const);
  const value = {
    us: () => d.pick(["5", "4", "A"]) + d.digits(8),
    uk: () => d.digits(9),
    de: () => d.chars("CFGHJK", 1) + d.chars("0123456789CFGHJKLMNPRTVWXYZ", 8),
    fr: () => d.digits(2) + d.chars(UPPER, 2) + d.digits(5),
    in: () => d.chars(UPPER, 1) + d.digits(7),
    es: () => d.chars(UPPER, 3) + d.digits(6),
  }[k]();
  return { value, kind: `passport-${k}` };
}

/** Driver's licence number (US state formats, UK DVLA); the text always names it. */
export function driverLicence(d: Draw, surname: string): Generated {
  const k = d.pick(["ca", "ny", "fl", "tx", "uk"] as const);
  const value = {
    ca: () => d.chars(UPPER, 1) + d.digits(7),
    ny: () => d.chance(0.5) ? d.digits(9) : `${d.digits(3)} ${d.digits(3)} ${d.digits(3)}`,
    fl: () => `${d.chars(UPPER, 1)}${d.digits(3)}-${d.digits(3)}-${d.digits(2)}-${d.digits(3)}-${d.digits(1)}`,
    tx: () => d.digits(8),
    uk: () => {
      const sur = (surname.toUpperCase().replace(/[^A-Z]/g, "") + "99999").slice(0, 5);
      const y = d.int(40, 99), m = d.int(1, 12) + (d.chance(0.5) ? 50 : 0), day = d.int(1, 28);
      return `${sur}${String(y)[0]}${String(m).padStart(2, "0")}${String(day).padStart(2, "0")}${String(y)[1]}${d.chars(UPPER, 2)}9${d.chars(UPPER, 2)}`;
    },
  }[k]();
  return { value, kind: `licence-${k}` };
}
