/**
 * Built-in PII and secret detectors: a pattern for the shape, a validator for the checksum, a length bound.
 * Patterns run on the folded view (src/gates/normalize.ts): fullwidth and any-script digits are ASCII, look-alike
 * letters Latin, dash-likes `-`, invisibles gone, a whitespace run one space; validators get that view's text.
 */
import type { MatchValidator, RuleScanner } from "../scanner.ts";
import type { StreamShared } from "../stream.ts";
import type { Program } from "../regex/program.ts";
import { iban, isBearerToken, isEmail, isIpv6, isUsSsn, paymentCard } from "./validators.ts";
import { PHONE_CONTEXT, PHONE_MAX_LENGTH, PHONE_MIN_DIGITS, PHONE_PATTERN, phoneValidator } from "./phone.ts";
import { ADDRESS_DETECTORS } from "./addresses.ts";
import { ID_DETECTORS, NATIONAL_ID } from "./ids.ts";
import { NAME_DETECTORS } from "./names.ts";
import { PERSONAL_DETECTORS } from "./personal.ts";
import { SECRET_DETECTORS } from "./secrets.ts";
import { CRYPTO_WALLET, WALLET_DETECTORS } from "./wallets.ts";

/** Every built-in detector name, in the order policies list them. */
export const PII_DETECTORS = [
  "email", "phone", "payment_card", "iban", "us_ssn", "ipv4", "ipv6",
  "aws_access_key", "github_token", "slack_token", "private_key", "jwt", "bearer_token",
  "uk_nino", "ca_sin", "in_aadhaar", "in_pan", "es_dni", "es_nie", "it_codice_fiscale", "br_cpf", "br_cnpj", "fr_nir",
  "de_tax_id", "btc_address", "eth_address", "mac_address", "url_credentials", "api_key", "generic_secret",
  "person_name", "street_address", "postal_code", "date_of_birth", "age", "passport_number", "drivers_license",
  "national_id", "crypto_wallet",
] as const;

/** Name of a built-in detector. */
export type PiiDetector = typeof PII_DETECTORS[number];

/** How one detector is matched. */
export interface DetectorSpec {
  /** Gate-regex syntax; may use one-character lookaround `(?<![…])`/`(?![…])` for token edges. */
  readonly pattern: string;
  /** Longest match considered: bounds hold-back for shapes with unbounded repetition. */
  readonly maxLength: number;
  /** Default redaction text (policy `replacement` overrides it). */
  readonly placeholder: string;
  /** Rejects candidates that have the shape but not the checksum / allowed ranges. */
  readonly validate?: MatchValidator;
  /** Shortest candidate `validate` can accept, where longer than the pattern's shortest match (see CompiledRule.minLength). */
  readonly minLength?: number;
  /**
   * A hand-written search that runs instead of `pattern` (person names: lexicon + capitalisation): given the rule's
   * allow/deny lists once per policy load, it returns the per-stream scanner factory.
   */
  readonly scanner?: (lists?: NameLists) => (shared?: StreamShared) => RuleScanner;
  /** The program such a scanner runs, when it is a Pike search over one (street addresses). */
  readonly program?: () => Program;
  /**
   * Context words: a case-insensitive whole word from `words` within `window` characters (folded view) before the
   * candidate. `required: true` drops candidates without one; the words themselves are not redacted.
   */
  readonly context?: DetectorContext;
}

/** A policy's own name lists (rule `options.allow` / `options.deny`). */
export interface NameLists {
  /** Names never redacted (compared whole, case-insensitively). */
  readonly allow?: readonly string[];
  /** Words always read as a name. */
  readonly deny?: readonly string[];
}

/** Words near a candidate that make it (more) believable; see DetectorSpec.context. */
export interface DetectorContext {
  /** Words or short phrases, matched case-insensitively at word edges (a space matches any whitespace run). */
  readonly words: readonly string[];
  /** A word counts if it ends at most this many normalised characters before the candidate's start. */
  readonly window: number;
  /** Drop candidates with no context word in the window. */
  readonly required: boolean;
  /** Words that veto a candidate within the same window (`version` before `1.2.3.4`); win over `words`. */
  readonly not?: readonly string[];
}

/** Not preceded by a word character: matches start at token edges, which also keeps idle scanning cheap. */
const EDGE = "(?<![A-Za-z0-9_])";
/** Not followed by a word character. */
const END = "(?![A-Za-z0-9_])";
const OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
const IPV4 = `${OCTET}(?:\\.${OCTET}){3}`;
const H = "[0-9A-Fa-f]{1,4}";
const IPV6 = [
  `(?:${H}:){7}${H}`, `(?:${H}:){1,7}:`, `(?:${H}:){1,6}:${H}`, `(?:${H}:){1,5}(?::${H}){1,2}`,
  `(?:${H}:){1,4}(?::${H}){1,3}`, `(?:${H}:){1,3}(?::${H}){1,4}`, `(?:${H}:){1,2}(?::${H}){1,5}`,
  `${H}:(?::${H}){1,6}`, `:(?:(?::${H}){1,7}|:)`,
  `(?:${H}:){6}${IPV4}`, `::(?:[Ff]{4}(?::0{1,4})?:)?${IPV4}`, `(?:${H}:){1,4}:${IPV4}`,
].join("|");
/** Letters of the common scripts (accented Latin is already folded to ASCII in the view): part of a local part. */
const LOCAL_LETTERS = "\\u0370-\\u03FF\\u0400-\\u04FF\\u0590-\\u05FF\\u0600-\\u06FF\\u0900-\\u097F\\u0E00-\\u0E7F\\u3040-\\u30FF\\u4E00-\\u9FFF\\uAC00-\\uD7AF";
const LOCAL = `A-Za-z0-9_%+\\-${LOCAL_LETTERS}`;
/** `@`, URL-encoded `%40`, or `[at]` / `(at)`; `.` or `[dot]` / `(dot)` (obfuscations people use to dodge scrapers). */
const AT = "(?:@|%40| ?[\\[(][Aa][Tt][\\])] ?)";
const DOT = "(?:\\.| ?[\\[(][Dd][Oo][Tt][\\])] ?)";
/**
 * A local part does not start with an apostrophe (a quote) but may hold them (`o'connor`, `o’neil`), and does not end
 * with `.` or an apostrophe, so `today. ` is not held waiting for a spaced ` [at] `.
 */
const EMAIL = `(?<![${LOCAL}.])[${LOCAL}.](?:[${LOCAL}.'\\u2019]{0,62}[${LOCAL}])?${AT}[A-Za-z0-9\\-]+(?:${DOT}[A-Za-z0-9\\-]+)+(?![A-Za-z0-9\\-])`;

/** Card group separators, mixed freely (`4111-1111 1111.1111`); dash-likes are `-` and NBSP a space in the view. */
const CARD_SEP = "[ .\\-]";
const CARD = [
  "[0-9]{12,19}",
  `[0-9]{4}(?:${CARD_SEP}[0-9]{4}){2}(?:${CARD_SEP}[0-9]{1,4}(?:${CARD_SEP}[0-9]{1,3})?)?`,
  `[0-9]{4}${CARD_SEP}[0-9]{6}${CARD_SEP}[0-9]{4,5}`,
].join("|");
const KEY_LABEL = "(?:[A-Z0-9]+ )*PRIVATE KEY-----";

/** The detector table (exhaustive over PiiDetector, so adding a name without a spec fails type-checking). */
export const DETECTORS: Readonly<Record<PiiDetector, DetectorSpec>> = {
  email: {
    pattern: EMAIL, maxLength: 254, placeholder: "[EMAIL]", validate: isEmail,
  },
  phone: {
    pattern: PHONE_PATTERN, maxLength: PHONE_MAX_LENGTH, minLength: PHONE_MIN_DIGITS, placeholder: "[PHONE]", validate: phoneValidator(),
    context: PHONE_CONTEXT,
  },
  payment_card: {
    pattern: `${EDGE}(?:${CARD})${END}`, maxLength: 23, placeholder: "[CARD]", validate: paymentCard,
    // Digit groups after a parcel label are (part of) a tracking number (USPS's are 22 digits in groups of 4).
    context: { words: [], not: ["tracking", "tracking number", "tracking no", "waybill", "AWB"], window: 32, required: false },
  },
  iban: {
    pattern: `${EDGE}[A-Za-z]{2}[0-9]{2}(?:[A-Za-z0-9]{11,30}|(?: [A-Za-z0-9]{4}){2,7}(?: [A-Za-z0-9]{1,3})?)${END}`,
    maxLength: 42, placeholder: "[IBAN]", validate: iban,
  },
  us_ssn: {
    pattern: "(?<![A-Za-z0-9_\\-.])(?:[0-9]{3}-[0-9]{2}-[0-9]{4}|[0-9]{3} [0-9]{2} [0-9]{4}|[0-9]{3}\\.[0-9]{2}\\.[0-9]{4}|[0-9]{9})(?![A-Za-z0-9_\\-])",
    maxLength: 11, placeholder: "[SSN]", validate: isUsSsn,
    context: { words: ["ssn", "social security", "ss", "ssa", "tin", "itin", "taxpayer"], window: 32, required: false },
  },
  ipv4: {
    pattern: `(?<![A-Za-z0-9_.])${IPV4}${END}`, maxLength: 15, placeholder: "[IP]",
    // `version 1.2.3.4`, `OID is 1.3.6.1.4.1.9`, `Table 4.2.1.3`: a version number, an object identifier (whose first
    // four arcs look like an address) or a document section right after its label is not an address.
    context: {
      words: [], window: 2, required: false,
      not: ["version", "ver", "v", "release", "build", "firmware", "rev", "revision", "patch", "OID", "OID is", "OIDs", "SNMP",
        "MIB", "MIB is", "sysObjectID", "table", "figure", "fig", "section", "chapter", "clause", "paragraph", "step", "appendix",
        "upgrade to", "upgraded to", "downgrade to", "downgraded to"],
    },
  },
  ipv6: { pattern: `(?<![A-Za-z0-9_:.])(?:${IPV6})${END}`, maxLength: 45, placeholder: "[IP]", validate: isIpv6 },
  aws_access_key: { pattern: `${EDGE}(?:AKIA|ASIA)[A-Z0-9]{16}${END}`, maxLength: 20, placeholder: "[SECRET]" },
  github_token: {
    pattern: `${EDGE}(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})${END}`,
    maxLength: 300, placeholder: "[SECRET]",
  },
  slack_token: { pattern: `${EDGE}xox[abprs]-[A-Za-z0-9\\-]{10,}${END}`, maxLength: 300, placeholder: "[SECRET]" },
  private_key: {
    // Header values (`Proc-Type: 4,ENCRYPTED`) end at whitespace: line breaks are spaces in the folded view, so a
    // value cannot be delimited by the end of its line (and must not run on past `-----END`).
    pattern: `-----BEGIN ${KEY_LABEL}(?:[A-Za-z0-9+/=\\s]|[A-Z][A-Za-z\\-]*: \\S*)*-----END ${KEY_LABEL}`,
    maxLength: 8192, placeholder: "[SECRET]",
  },
  jwt: {
    pattern: "(?<![A-Za-z0-9_\\-])eyJ[A-Za-z0-9_\\-]{8,}\\.[A-Za-z0-9_\\-]+\\.[A-Za-z0-9_\\-]+(?![A-Za-z0-9_\\-])",
    maxLength: 4096, placeholder: "[SECRET]",
  },
  bearer_token: {
    pattern: `${EDGE}[Bb][Ee][Aa][Rr][Ee][Rr][ \\t]+[A-Za-z0-9\\-._~+/]+=*(?![A-Za-z0-9\\-._~+/=])`,
    maxLength: 1024, placeholder: "[SECRET]", validate: isBearerToken,
  },
  ...ID_DETECTORS, ...WALLET_DETECTORS, ...SECRET_DETECTORS, ...NAME_DETECTORS, ...ADDRESS_DETECTORS, ...PERSONAL_DETECTORS,
  ...NATIONAL_ID, ...CRYPTO_WALLET,
};
