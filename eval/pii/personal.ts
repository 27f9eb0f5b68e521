/** Generators for personal values (phones, names, addresses, dates of birth, emails…) per locale, from faker. */
import { type CountryCode, parsePhoneNumberFromString } from "libphonenumber-js/max";
import type { Generated } from "./ids.ts";
import { ALNUM, type Draw, HEX, LOWER } from "./random.ts";

/** What the templates need to know about a faker locale. */
export interface LocaleInfo {
  /** Faker locale key. */
  key: string;
  /** Phone region (ISO 3166). */
  region: CountryCode;
  /** Language of the locale's own phrases. */
  lang: "en" | "de" | "fr" | "es" | "it" | "pt" | "nl";
  /** Postcode written before the city (`10115 Berlin`) rather than after it. */
  postcodeFirst: boolean;
  /** Date order used locally. */
  dateOrder: "mdy" | "dmy";
}

/** The locales the corpus is generated in. */
export const LOCALES: readonly LocaleInfo[] = [
  { key: "en_US", region: "US", lang: "en", postcodeFirst: false, dateOrder: "mdy" },
  { key: "en_GB", region: "GB", lang: "en", postcodeFirst: false, dateOrder: "dmy" },
  { key: "en_IN", region: "IN", lang: "en", postcodeFirst: false, dateOrder: "dmy" },
  { key: "en_CA", region: "CA", lang: "en", postcodeFirst: false, dateOrder: "mdy" },
  { key: "de", region: "DE", lang: "de", postcodeFirst: true, dateOrder: "dmy" },
  { key: "fr", region: "FR", lang: "fr", postcodeFirst: true, dateOrder: "dmy" },
  { key: "es", region: "ES", lang: "es", postcodeFirst: true, dateOrder: "dmy" },
  { key: "it", region: "IT", lang: "it", postcodeFirst: true, dateOrder: "dmy" },
  { key: "pt_BR", region: "BR", lang: "pt", postcodeFirst: false, dateOrder: "dmy" },
  { key: "nl", region: "NL", lang: "nl", postcodeFirst: true, dateOrder: "dmy" },
];

/**
 * A phone number valid for the locale's region (libphonenumber's metadata: real people have allocated numbers),
 * written in one of the ways people write them: national, international, E.164, other separators, extensions,
 * `00`/`011` prefixes, `+44 (0)…`.
 */
export function phone(d: Draw, loc: LocaleInfo): Generated {
  let parsed = undefined;
  for (let i = 0; i < 40 && !parsed?.isValid(); i++) parsed = parsePhoneNumberFromString(d.faker.phone.number(), loc.region);
  if (!parsed?.isValid()) throw new Error(`no valid ${loc.region} phone after 40 faker draws`);
  // faker sometimes appends an extension; styles below add their own, so start from the number alone.
  if (parsed.ext) parsed = parsePhoneNumberFromString(parsed.number)!;
  const national = parsed.formatNational();
  const intl = parsed.formatInternational();
  const style = d.pick(["national", "national", "national", "intl", "intl", "e164", "dots", "dashes", "ext", "idd", "trunk0"]);
  switch (style) {
    case "national": return { value: national, kind: `phone-${loc.region}-national` };
    case "intl": return { value: intl, kind: "phone-intl" };
    case "e164": return { value: parsed.number, kind: "phone-e164" };
    case "dots": return { value: intl.replace(/ /g, ".").replace("+", d.chance(0.5) ? "+" : "00"), kind: "phone-dots" };
    case "dashes": return { value: intl.replace(/ /g, "-"), kind: "phone-dashes" };
    case "ext": return { value: `${national}${d.pick([" x", " ext. ", " ext ", "x", " #"])}${d.int(1, 9999)}`, kind: "phone-ext" };
    case "idd": {
      const idd = loc.region === "US" || loc.region === "CA" ? d.pick(["00", "011"]) : "00";
      return { value: `${idd}${d.pick(["", "-", " "])}${intl.slice(1)}`, kind: "phone-idd" };
    }
    default: {
      const cc = parsed.countryCallingCode, nn = parsed.nationalNumber;
      return { value: `+${cc} (0)${nn.slice(0, 3)} ${nn.slice(3, 6)} ${nn.slice(6)}`, kind: "phone-trunk0" };
    }
  }
}

/** A person's name as people write it (first + last, sometimes a middle initial or only the surname after a title). */
export function personName(d: Draw): Generated {
  const first = d.faker.person.firstName(), last = d.faker.person.lastName();
  const style = d.pick(["full", "full", "full", "full", "middle", "first", "last-first"]);
  if (style === "middle") return { value: `${first} ${d.faker.string.alpha({ length: 1, casing: "upper" })}. ${last}`, kind: "name-middle" };
  if (style === "first") return { value: first, kind: "name-first" };
  if (style === "last-first") return { value: `${last}, ${first}`, kind: "name-last-first" };
  return { value: `${first} ${last}`, kind: "name-full" };
}

/** An honorific in the locale's language (outside the labelled span). */
export function honorific(d: Draw, loc: LocaleInfo): string {
  return d.pick({
    en: ["Mr.", "Mrs.", "Ms.", "Dr.", "Mr", "Prof."], de: ["Herr", "Frau", "Dr."], fr: ["M.", "Mme", "Dr"],
    es: ["Sr.", "Sra.", "Dr."], it: ["Sig.", "Sig.ra", "Dott."], pt: ["Sr.", "Sra.", "Dr."], nl: ["Dhr.", "Mevr.", "Dr."],
  }[loc.lang]);
}

/**
 * Real cities (public knowledge), used instead of faker's city names, which in most locales are made from person
 * names ("Port Meganton", "Neu Carlastadt") and would make every city a name-detector trap. Real lists keep the traps
 * real text has (Charlotte, Florence, Victoria) at their real frequency.
 */
export const REAL_CITIES: readonly string[] = [
  "Springfield", "Charlotte", "Austin", "Denver", "Seattle", "Madison", "Phoenix", "Boston", "Leeds", "Manchester",
  "Bristol", "Glasgow", "Toronto", "Calgary", "Victoria", "Winnipeg", "Pune", "Chennai", "Jaipur", "Bengaluru",
  "Hamburg", "Leipzig", "Köln", "München", "Lyon", "Marseille", "Toulouse", "Nantes", "Valencia", "Sevilla", "Bilbao",
  "Zaragoza", "Firenze", "Bologna", "Torino", "Napoli", "Curitiba", "Recife", "Porto Alegre", "Belo Horizonte",
  "Utrecht", "Eindhoven", "Groningen", "Haarlem", "Florence", "Adelaide", "Regina", "Lincoln",
];

/** A postal address: the street line (labelled street_address), the postcode (postal_code) and the city (unlabelled). */
export function address(d: Draw): { street: string; postcode: string; city: string; state: string } {
  const street = d.faker.location.streetAddress(d.chance(0.3));
  return { street, postcode: d.faker.location.zipCode(), city: d.pick(REAL_CITIES), state: d.faker.location.state({ abbreviated: true }) };
}

const MONTHS: Record<LocaleInfo["lang"], readonly string[]> = {
  en: ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"],
  de: ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"],
  fr: ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"],
  es: ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"],
  it: ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"],
  pt: ["janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro", "novembro", "dezembro"],
  nl: ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"],
};

/** A calendar date written the locale's ways (ISO, numeric in local order, month names). */
export function writtenDate(d: Draw, loc: LocaleInfo, date: Date): string {
  const y = date.getUTCFullYear(), m = date.getUTCMonth() + 1, day = date.getUTCDate();
  const p2 = (n: number) => String(n).padStart(2, "0");
  const sep = loc.lang === "de" ? "." : d.pick(["/", "/", "-", "."]);
  const numeric = loc.dateOrder === "mdy" ? `${p2(m)}${sep}${p2(day)}${sep}${y}` : `${p2(day)}${sep}${p2(m)}${sep}${y}`;
  const month = MONTHS[loc.lang][m - 1]!;
  const named = loc.lang === "en"
    ? (loc.dateOrder === "mdy" ? `${month} ${day}, ${y}` : `${day} ${month} ${y}`)
    : loc.lang === "de" ? `${day}. ${month} ${y}` : `${day} ${loc.lang === "es" || loc.lang === "pt" ? `de ${month} de` : month} ${y}`;
  return d.pick([numeric, numeric, `${y}-${p2(m)}-${p2(day)}`, named]);
}

/** A date of birth (an adult's) as written in the locale. */
export function dateOfBirth(d: Draw, loc: LocaleInfo): Generated {
  return { value: writtenDate(d, loc, d.faker.date.birthdate({ mode: "age", min: 18, max: 90 })), kind: `dob-${loc.lang}` };
}

/** An email address: faker's, now and then with a plus tag, an apostrophe, a non-ASCII local part or obfuscated. */
export function email(d: Draw, first: string, last: string): Generated {
  const plain = d.faker.internet.email({ firstName: first, lastName: last });
  const [local, domain] = plain.split("@") as [string, string];
  switch (d.pick(["plain", "plain", "plain", "plain", "plain", "tag", "apostrophe", "unicode", "at-dot", "percent"])) {
    case "tag": return { value: `${local}+${d.chars(LOWER, d.int(3, 8))}@${domain}`, kind: "email-tag" };
    case "apostrophe": return { value: `${d.pick(["o'", "d'"])}${last.toLowerCase().replace(/[^a-z]/g, "") || "neil"}@${domain}`, kind: "email-apostrophe" };
    case "unicode": {
      const u = `${first}.${last}`.toLowerCase().replace(/[^\p{L}.]/gu, "");
      return /[^\x00-\x7f]/.test(u) ? { value: `${u}@${domain}`, kind: "email-unicode" } : { value: plain, kind: "email" };
    }
    case "at-dot": return { value: `${local} [at] ${domain.replace(/\./g, " [dot] ")}`, kind: "email-obfuscated" };
    case "percent": return { value: `${local}%40${domain}`, kind: "email-percent" };
    default: return { value: plain, kind: "email" };
  }
}

/** An age in years (the number only is labelled). */
export function age(d: Draw): string {
  return String(d.int(18, 97));
}

/** IPv4 (faker) or IPv6 (full or compressed). */
export function ipAddress(d: Draw): { type: "ipv4" | "ipv6"; value: string } {
  if (d.chance(0.55)) return { type: "ipv4", value: d.faker.internet.ipv4() };
  const full = d.faker.internet.ipv6();
  const groups = full.split(":");
  const style = d.pick(["full", "compressed", "short"]);
  if (style === "full") return { type: "ipv6", value: full };
  if (style === "short") return { type: "ipv6", value: groups.map((g) => g.replace(/^0+(?=.)/, "")).join(":") };
  return { type: "ipv6", value: `${groups.slice(0, 3).join(":")}::${groups.slice(6).join(":")}` };
}

/** A MAC address with colons, dashes or Cisco dots. */
export function macAddress(d: Draw): string {
  const hex = d.chars(HEX, 12);
  const upper = d.chance(0.5) ? hex.toUpperCase() : hex;
  const pairs = upper.match(/../g)!;
  return d.pick([pairs.join(":"), pairs.join(":"), pairs.join("-"), `${upper.slice(0, 4)}.${upper.slice(4, 8)}.${upper.slice(8)}`]);
}

/**
 * A URL with a user name and password in it: `url` is the part up to the host and port (the credentials and where
 * they open; labelled), `path` what follows (not labelled).
 */
export function urlWithCredentials(d: Draw): { url: string; path: string } {
  const scheme = d.pick(["https", "http", "postgres", "postgresql", "mysql", "mongodb+srv", "redis", "amqp", "ftp"]);
  const user = d.pick([d.faker.internet.username().replace(/[^A-Za-z0-9._-]/g, ""), "admin", "root", "deploy"]) || "admin";
  const pass = d.chars(ALNUM + "-_", d.int(8, 20));
  const host = d.faker.internet.domainName();
  const port = d.pick(["", ":5432", ":3306", ":6379", ":8443", ":21"]);
  const path = d.pick(["", "/", "/app", "/api/v1/items", `/${d.faker.lorem.word()}?sslmode=require`]);
  return { url: `${scheme}://${user}:${pass}@${host}${port}`, path };
}
