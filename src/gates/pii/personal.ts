/**
 * Personal details whose shape alone says little (a 5-digit number, a date, `34`): each needs a context word before
 * it (`zip`, `born`, `age`, `passport`), except where the text itself says what it is (`34 years old`, a UK or
 * Canadian postcode). The validators get `withContext` from the engine (DetectorSpec.context).
 */
import type { DetectorSpec } from "./detectors.ts";
import { DIGITS_EDGE, DIGITS_END, EDGE, END } from "./edges.ts";

/** Subjects whose age is not personal data: animals, vehicles, buildings, objects, organisations, works, software. */
const NOT_A_PERSON = [
  "dog", "puppy", "cat", "kitten", "horse", "pony", "bird", "parrot", "fish", "rabbit", "hamster", "turtle", "tortoise", "pet",
  "car", "truck", "van", "bike", "boat", "ship", "plane", "engine", "machine", "house", "home", "flat", "apartment",
  "building", "bridge", "church", "castle", "barn", "roof", "tree", "vine", "wine", "whisky", "whiskey", "cheese", "bottle",
  "company", "firm", "business", "brand", "shop", "store", "restaurant", "hotel", "school", "university", "town", "city",
  "village", "band", "team", "club", "laptop", "computer", "phone", "guitar", "piano", "violin", "camera", "furnace",
  "boiler", "battery", "mattress", "fridge", "painting", "photo", "album", "song", "film", "movie", "show", "game",
  "website", "site", "blog", "account", "project", "repo", "codebase", "recipe", "tradition",
];

/** Names of the context-word detectors. */
export type PersonalDetector = "postal_code" | "date_of_birth" | "age" | "passport_number" | "drivers_license";

const MONTHS = "(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?|Januar|Februar|Marz|Mai|Juni|Juli|Oktober|Dezember|janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|januari|februari|maart|april|mei|juni|juli|augustus|oktober|november|december|janeiro|fevereiro|marco|maio|junho|julho|setembro|outubro|dezembro)\\.?";
const DATE = [
  "[0-9]{1,2}[./\\-][0-9]{1,2}[./\\-](?:[0-9]{4}|[0-9]{2})",
  "[0-9]{4}[./\\-][0-9]{1,2}[./\\-][0-9]{1,2}",
  `[0-9]{1,2}\\.? (?:de )?${MONTHS},? (?:de )?[0-9]{4}`,
  `${MONTHS} [0-9]{1,2}(?:st|nd|rd|th)?,? [0-9]{4}`,
].join("|");

const MONTH_NAMES = ["jan|ene|gen", "feb|fev", "mar|marz|mars|marzo", "apr|avr|abr", "may|mai|mag|mei", "jun|juin|giu", "jul|juil|lug",
  "aug|aou|ago", "sep|set", "oct|okt|ott|out", "nov", "dec|dez|dic"];

/** Days in `month` (1–12) of `year`. */
const daysIn = (month: number, year: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** A real calendar date with a year from 1900 to 2099 (or two digits), day-month, month-day or ISO order. */
export function isPlausibleDate(text: string): boolean {
  const numbers = (text.match(/[0-9]+/g) ?? []).map((d) => ({ value: Number(d), digits: d.length }));
  const yearAt = numbers.findIndex((n) => n.digits === 4);
  const year = yearAt >= 0 ? numbers[yearAt]!.value : 1900 + (numbers[2]?.value ?? 0);
  if (year < 1900 || year > 2099) return false;
  const word = /[A-Za-z]{3,}/.exec(text)?.[0].toLowerCase();
  const valid = (day: number, month: number): boolean => month >= 1 && month <= 12 && day >= 1 && day <= daysIn(month, year);
  if (word) {
    const month = MONTH_NAMES.findIndex((names) => names.split("|").some((n) => word.startsWith(n))) + 1;
    return numbers.length === 2 && yearAt >= 0 && valid(numbers[1 - yearAt]!.value, month);
  }
  if (numbers.length !== 3) return false;
  if (yearAt === 0) return valid(numbers[2]!.value, numbers[1]!.value);
  const [a, b] = [numbers[0]!.value, numbers[1]!.value];
  return valid(a, b) || valid(b, a);
}

/**
 * A numeric date in either order (`2026-06-03`, `07-18-2026`) that is a real calendar day, or a year with a month or
 * day (`2026-06`, `22-2030`: expiry formats, and what the search tries when the whole date is rejected).
 */
function isCalendarDate(text: string): boolean {
  if (/^(?:19|20)[0-9]{2}-[0-9]{1,2}$|^[0-9]{1,2}-(?:19|20)[0-9]{2}$/.test(text)) return true;
  return /^(?:[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|[0-9]{1,2}-[0-9]{1,2}-[0-9]{4})$/.test(text) && isPlausibleDate(text);
}

/**
 * German passport (since 2017): 9 characters, the first one of C F G H J K, the rest digits or consonants without
 * vowels and look-alikes (C F G H J K L M N P R T V W X Y Z); at least one digit, so plain words never pass.
 */
function isGermanPassport(text: string): boolean {
  return /^[CFGHJK][0-9CFGHJKLMNPRTVWXYZ]{8}$/.test(text) && /[0-9]/.test(text);
}

/** Personal-detail detector table. */
export const PERSONAL_DETECTORS: Readonly<Record<PersonalDetector, DetectorSpec>> = {
  postal_code: {
    pattern: `${DIGITS_EDGE}(?:[0-9]{5}(?:-[0-9]{4})?|[0-9]{4}(?: ?[A-Z]{2})?|[0-9]{2}-[0-9]{3}|[0-9]{5}-[0-9]{3}|[0-9]{3}-[0-9]{4}|[0-9]{6}|[1-9][0-9]{2} [0-9]{3}|` +
      `[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}|[A-Z][0-9][A-Z] ?[0-9][A-Z][0-9])${DIGITS_END}`,
    maxLength: 10, placeholder: "[POSTCODE]",
    // UK (`SW1A 1AA`) and Canadian (`K1A 0B1`) postcodes say what they are; digit-only codes need a word before them.
    validate: (m, withContext) => withContext === true || /^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$|^[A-Z][0-9][A-Z] ?[0-9][A-Z][0-9]$/.test(m),
    context: {
      words: ["zip", "zipcode", "zip code", "postcode", "post code", "postal code", "postal", "PLZ", "Postleitzahl",
        "code postal", "CP", "CEP", "CAP", "pin code", "pincode", "postnummer", "postcode", "kod pocztowy"],
      window: 24, required: false,
    },
  },
  date_of_birth: {
    pattern: `${DIGITS_EDGE}(?:${DATE})${END}`,
    maxLength: 32, placeholder: "[DOB]", validate: (m, withContext) => withContext === true && isPlausibleDate(m),
    context: {
      words: ["born", "birth", "DOB", "birthday", "birthdate", "born on", "geboren", "geb",
        "Geburtsdatum", "ne le", "nee le", "naissance", "nacido", "nacida", "nacimiento", "nato", "nata", "nascita",
        "nascimento", "nasceu", "fodd", "urodzony", "urodzona", "urodzenia", "geboortedatum", "geboortedag", "nascido", "nascida"],
      window: 32, required: true,
    },
  },
  age: {
    pattern: `${DIGITS_EDGE}[0-9]{1,3}(?:(?: |-)(?:years?|yrs?|y/?o|Jahre|ans|anos|anni|lat|jaar)(?:(?: |-)old| alt| oud)?)?${END}`,
    maxLength: 20, placeholder: "[AGE]",
    // `34 years old` says what it is; a bare `34` needs `age`/`aged` before it.
    validate: (m, withContext) => {
      const n = Number(/^[0-9]+/.exec(m)![0]);
      return n >= 1 && n <= 120 && (withContext === true || /(?:old|alt|oud)$/.test(m));
    },
    // `tengo 34 años`, `tenho 34 anos`: Spanish and Portuguese give an age with "I have".
    context: {
      words: ["age", "aged", "ages", "Alter", "edad", "eta", "idade", "wiek", "alder", "leeftijd", "i am", "he is", "she is",
        "tengo", "tenho"],
      // The age of a pet, a thing or an organisation (`the house is 80 years old`) says nothing about a person. The
      // nouns alone, not `house is`: listing `is` would make every stream spell out its commonest word.
      not: NOT_A_PERSON,
      // Right before the number (`age: 34`, `"age": "34"`, `aged 34`): `Age of Empires 2` is not an age.
      window: 8, required: false,
    },
  },
  passport_number: {
    pattern: `${EDGE}(?:[A-Z]{1,2}[0-9]{6,8}|[0-9]{8,9}|[A-Z0-9]{9})${END}`,
    maxLength: 9, placeholder: "[PASSPORT]",
    validate: (m, withContext) => withContext === true && (/[0-9]{5}/.test(m) || isGermanPassport(m)),
    context: {
      words: ["passport", "passport no", "passport number", "Reisepass", "Reisepassnummer", "Pass Nr", "passeport",
        "pasaporte", "passaporto", "passaporte", "paszport"],
      window: 32, required: true,
    },
  },
  drivers_license: {
    // Unbounded parts (bounded by maxLength, checked by the validator) keep the DFA small: counted ones at every
    // capital or digit multiply its states.
    pattern: `${EDGE}[A-Z0-9]+(?:[ \\-][A-Z0-9]+){0,3}${END}`,
    maxLength: 20, placeholder: "[LICENSE]",
    // A calendar date after the number (`licence: D123… (exp. 2026-06-03)`) is its expiry, not a second licence.
    validate: (m, withContext) => withContext === true && m.length >= 5 && /[0-9]{3}/.test(m) && !isCalendarDate(m),
    context: {
      words: ["driver license", "drivers license", "driving licence", "driving license", "license number",
        "licence number", "license no", "licence no", "license", "licence", "DL", "DLN", "Fuhrerschein", "Führerschein", "permis", "licencia",
        "patente", "carta", "prawo jazdy", "korkort"],
      // A product's model, part or serial number is not a licence even when `DL` is part of it (`Model DL-0848-441`).
      not: ["model", "model no", "model number", "part", "part no", "part number", "serial", "serial number", "SKU", "item"],
      window: 32, required: true,
    },
  },
};
