/**
 * Built-in PII and secret detectors: a pattern for the shape, a validator for the checksum, a length bound.
 * Patterns run on the folded view (src/gates/normalize.ts): fullwidth and any-script digits are ASCII, look-alike
 * letters Latin, dash-likes `-`, invisibles gone, a whitespace run one space; validators get that view's text.
 */
import type { MatchValidator } from "../scanner.ts";
import { isBearerToken, isEmail, isIban, isIpv6, isPaymentCard, isPhone, isUsSsn } from "./validators.ts";

/** Every built-in detector name, in the order policies list them. */
export const PII_DETECTORS = [
  "email", "phone", "payment_card", "iban", "us_ssn", "ipv4", "ipv6",
  "aws_access_key", "github_token", "slack_token", "private_key", "jwt", "bearer_token",
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
const PHONE = [
  "\\+[1-9][0-9]{0,2}(?:[ .\\-]?(?:\\([0-9]{1,4}\\)|[0-9]{1,5})){1,6}",
  "(?:\\([2-9][0-9]{2}\\) ?|[2-9][0-9]{2}[\\-.])[0-9]{3}[\\-.][0-9]{4}",
  "[2-9][0-9]{2} [0-9]{3} [0-9]{4}",
  "0[1-9][0-9]{1,3}(?:[ \\-][0-9]{3,4}[ \\-]?|[ \\-]?[0-9]{3,4}[ \\-])[0-9]{3,4}",
  "0[1-9](?:[ .][0-9]{2}){4}",
  "\\(?0[1-9][0-9]{1,4}\\)?[ /\\-][0-9]{3,8}(?:[ \\-][0-9]{1,5})?",
].join("|");
/** Card group separators, mixed freely (`4111-1111 1111.1111`); dash-likes are `-` and NBSP a space in the view. */
const CARD_SEP = "[ .\\-]";
const CARD = [
  "[0-9]{13,19}",
  `[0-9]{4}(?:${CARD_SEP}[0-9]{4}){2}${CARD_SEP}[0-9]{1,4}(?:${CARD_SEP}[0-9]{1,3})?`,
  `[0-9]{4}${CARD_SEP}[0-9]{6}${CARD_SEP}[0-9]{4,5}`,
].join("|");
const KEY_LABEL = "(?:[A-Z0-9]+ )*PRIVATE KEY-----";

/** The detector table (exhaustive over PiiDetector, so adding a name without a spec fails type-checking). */
export const DETECTORS: Readonly<Record<PiiDetector, DetectorSpec>> = {
  email: {
    pattern: "(?<![A-Za-z0-9._%+\\-])[A-Za-z0-9._%+\\-]{1,64}@[A-Za-z0-9\\-]+(?:\\.[A-Za-z0-9\\-]+)+(?![A-Za-z0-9\\-])",
    maxLength: 254, placeholder: "[EMAIL]", validate: isEmail,
  },
  phone: { pattern: `(?<![A-Za-z0-9_+])(?:${PHONE})${END}`, maxLength: 32, placeholder: "[PHONE]", validate: isPhone },
  payment_card: { pattern: `${EDGE}(?:${CARD})${END}`, maxLength: 23, placeholder: "[CARD]", validate: isPaymentCard },
  iban: {
    pattern: `${EDGE}[A-Z]{2}[0-9]{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,3})?)${END}`,
    maxLength: 42, placeholder: "[IBAN]", validate: isIban,
  },
  us_ssn: {
    pattern: "(?<![A-Za-z0-9_\\-])(?:[0-9]{3}-[0-9]{2}-[0-9]{4}|[0-9]{3} [0-9]{2} [0-9]{4})(?![A-Za-z0-9_\\-])",
    maxLength: 11, placeholder: "[SSN]", validate: isUsSsn,
  },
  ipv4: { pattern: `(?<![A-Za-z0-9_.])${IPV4}${END}`, maxLength: 15, placeholder: "[IP]" },
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
};
