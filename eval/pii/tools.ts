/**
 * The tools under evaluation, each reduced to `text → predicted spans` with its labels mapped onto our entity types:
 * rsk (a policy's gate set, through its public scan()), redact-pii and @openredaction/openredaction.
 */
import { OpenRedaction } from "@openredaction/openredaction";
import { SyncRedactor } from "redact-pii";
import type { GateSet } from "../../src/gates/mod.ts";
import type { EntityType } from "./types.ts";

/** One predicted span. */
export interface Prediction {
  /** Our type, or undefined when the tool's label maps to none of ours (ignored in scoring). */
  type: EntityType | undefined;
  /** The tool's own label. */
  label: string;
  /** UTF-16 offsets in the document. */
  start: number;
  end: number;
}

/** A tool: its name, the types it claims to detect, and detection on one text. */
export interface PiiTool {
  /** Name in tables and JSON. */
  readonly name: string;
  /** Types some label of the tool maps to; other types show as "—". */
  readonly claims: ReadonlySet<EntityType>;
  /** Predicted spans in `text`. */
  detect(text: string): Prediction[];
}

/**
 * Our type for an rsk detector name, read from the name's parts (`uk_nino`, `openai_api_key`…) so detectors that
 * land later map without editing this table; run.ts lists any detector it cannot map.
 */
export function rskType(detector: string): EntityType | undefined {
  const exact: Record<string, EntityType> = {
    email: "email", phone: "phone", payment_card: "payment_card", iban: "iban", us_ssn: "us_ssn", ipv4: "ipv4", ipv6: "ipv6",
  };
  if (exact[detector]) return exact[detector];
  const parts = new Set(detector.toLowerCase().split(/[_\-.]/));
  const has = (...words: string[]) => words.some((w) => parts.has(w));
  if (has("url", "uri")) return "url_credentials";
  if (has("mac")) return "mac_address";
  if (has("wallet", "bitcoin", "btc", "ethereum", "eth", "crypto")) return "crypto_wallet";
  if (has("passport")) return "passport";
  if (has("licence", "license", "driver", "driving", "dl")) return "driver_licence";
  if (has("dob", "birth", "birthdate")) return "date_of_birth";
  if (has("age")) return "age";
  if (has("postal", "postcode", "zip")) return "postal_code";
  if (has("address", "street")) return "street_address";
  if (has("name", "person", "names")) return "person";
  if (has("nino", "sin", "aadhaar", "pan", "dni", "nie", "fiscal", "fiscale", "codice", "cf", "cpf", "cnpj", "nir", "steuer", "tax", "national", "ssn")) return "national_id";
  if (has("key", "token", "secret", "jwt", "password", "bearer", "private", "pat")) return "secret";
  return undefined;
}

/** rsk: every finding of the gate set's scan(), typed by its detector. */
export function rskTool(gates: GateSet, detectors: readonly string[]): PiiTool {
  const claims = new Set(detectors.map(rskType).filter((t): t is EntityType => t !== undefined));
  return {
    name: "rsk",
    claims,
    detect: (text) => gates.scan(text).findings.map((f) => {
      const label = f.detector ?? f.rule;
      return { type: f.detector ? rskType(f.detector) : undefined, label, start: f.start, end: f.end };
    }),
  };
}

const REDACT_PII_TYPES: Record<string, EntityType> = {
  CREDIT_CARD_NUMBER: "payment_card", STREET_ADDRESS: "street_address", ZIPCODE: "postal_code", PHONE_NUMBER: "phone",
  US_SOCIAL_SECURITY_NUMBER: "us_ssn", EMAIL_ADDRESS: "email", PASSWORD: "secret", CREDENTIALS: "secret", PERSON_NAME: "person",
};

/** What redact-pii's composed redactors look like at run time (its class keeps them in `childRedactors`). */
interface RedactPiiChild {
  redact(text: string): string;
  regexpMatcher?: RegExp;
  replaceWith?: string;
}

/**
 * redact-pii returns only redacted text. Its redactors run in sequence over the text the previous ones produced, so
 * this replays that sequence over the library's own redactor objects, tracking which original characters each
 * placeholder stands for: regex redactors by re-running their regex (the same replace the library does), the name
 * redactor by aligning its output with its input. A placeholder swallowed by a later redactor is merged into it.
 */
export function redactPiiTool(): PiiTool {
  const children = (new SyncRedactor() as unknown as { childRedactors: RedactPiiChild[] }).childRedactors;
  if (!Array.isArray(children) || children.length === 0) throw new Error("redact-pii: no childRedactors (library internals changed)");
  return {
    name: "redact-pii",
    claims: new Set([...Object.values(REDACT_PII_TYPES), "ipv4", "ipv6"]),
    detect(text) {
      let cur = text;
      // Per current character: original range it stands for, and the prediction (index) whose placeholder it is.
      let from = Array.from({ length: text.length }, (_, i) => i);
      let to = Array.from({ length: text.length }, (_, i) => i + 1);
      let owner = new Array<number>(text.length).fill(-1);
      const preds: (Prediction | undefined)[] = [];
      const replace = (ranges: [number, number][], placeholder: string) => {
        if (ranges.length === 0) return;
        let out = "", at = 0;
        const nf: number[] = [], nt: number[] = [], no: number[] = [];
        for (const [s, e] of ranges) {
          out += cur.slice(at, s);
          for (let i = at; i < s; i++) nf.push(from[i]!), nt.push(to[i]!), no.push(owner[i]!);
          const os = from[s]!, oe = to[e - 1]!;
          for (let i = s; i < e; i++) if (owner[i]! >= 0) preds[owner[i]!] = undefined;
          const id = preds.length;
          const type = placeholder === "IP_ADDRESS" ? (text.slice(os, oe).includes(":") ? "ipv6" : "ipv4") : REDACT_PII_TYPES[placeholder];
          preds.push({ type, label: placeholder, start: os, end: oe });
          out += placeholder;
          for (let i = 0; i < placeholder.length; i++) nf.push(os), nt.push(oe), no.push(id);
          at = e;
        }
        out += cur.slice(at);
        for (let i = at; i < cur.length; i++) nf.push(from[i]!), nt.push(to[i]!), no.push(owner[i]!);
        cur = out, from = nf, to = nt, owner = no;
      };
      for (const child of children) {
        if (child.regexpMatcher && child.replaceWith !== undefined) {
          const re = new RegExp(child.regexpMatcher.source, child.regexpMatcher.flags);
          replace([...cur.matchAll(re)].filter((m) => m[0].length > 0).map((m) => [m.index, m.index + m[0].length]), child.replaceWith);
        } else {
          replace(alignPlaceholders(cur, child.redact(cur), "PERSON_NAME"), "PERSON_NAME");
        }
      }
      return preds.filter((p): p is Prediction => p !== undefined);
    },
  };
}

/**
 * Ranges of `before` that `after` replaced with `placeholder`: walk both; where `after` has the placeholder and
 * `before` does not, the replaced text ends where the literal text that follows the placeholder resumes.
 */
export function alignPlaceholders(before: string, after: string, placeholder: string): [number, number][] {
  const ranges: [number, number][] = [];
  let i = 0, j = 0;
  while (j < after.length) {
    if (after.startsWith(placeholder, j) && !before.startsWith(placeholder, i)) {
      j += placeholder.length;
      const next = after.indexOf(placeholder, j);
      const literal = after.slice(j, next < 0 ? after.length : next);
      let k = literal.length === 0 ? (next < 0 ? before.length : i + 1) : before.indexOf(literal, i + 1);
      if (k < 0) k = before.length;
      ranges.push([i, k]);
      i = k;
    } else {
      i++, j++;
    }
  }
  return ranges;
}

const OPENREDACTION_TYPES: Record<string, EntityType> = {
  EMAIL: "email", CREDIT_CARD: "payment_card", IBAN: "iban", UK_BANK_ACCOUNT_IBAN: "iban", SSN: "us_ssn", IPV4: "ipv4",
  IPV6: "ipv6", NAME: "person", ADDRESS_STREET: "street_address", ADDRESS_PO_BOX: "street_address", POSTCODE_UK: "postal_code",
  ZIP_CODE_US: "postal_code", DATE_OF_BIRTH: "date_of_birth", MAC_ADDRESS: "mac_address", URL_WITH_AUTH: "url_credentials",
  DATABASE_CONNECTION: "url_credentials", NATIONAL_INSURANCE_UK: "national_id", CANADIAN_SIN: "national_id",
  INDIAN_AADHAAR: "national_id", SPANISH_DNI: "national_id", ITALIAN_FISCAL_CODE: "national_id", BRAZILIAN_CPF: "national_id",
  BRAZILIAN_CNPJ: "national_id", FRENCH_SOCIAL_SECURITY: "national_id", GERMAN_TAX_ID: "national_id", TAX_ID: "national_id",
};

/** Our type for an openredaction label: the table above, then families by name. */
export function openRedactionType(label: string): EntityType | undefined {
  if (OPENREDACTION_TYPES[label]) return OPENREDACTION_TYPES[label];
  if (label.startsWith("PHONE_")) return "phone";
  if (label.includes("PASSPORT")) return "passport";
  if (/DRIV(ING|ER)_LICEN[CS]E/.test(label)) return "driver_licence";
  if (/_ADDRESS$/.test(label) && /BITCOIN|ETHEREUM|LITECOIN|MONERO|RIPPLE|CARDANO|SOLANA|POLKADOT|AVALANCHE|POLYGON|BINANCE|COSMOS|ALGORAND|TEZOS|NEAR/.test(label)) return "crypto_wallet";
  if (/(_KEY|_TOKEN|_SECRET|PRIVATE_KEY|DOCKER_AUTH|SLACK_WEBHOOK)$/.test(label)) return "secret";
  return undefined;
}

/** @openredaction/openredaction with its default options (names included). */
export function openRedactionTool(): PiiTool {
  const shield = new OpenRedaction();
  const claims = new Set(shield.getPatterns().map((p) => openRedactionType(p.type)).filter((t): t is EntityType => t !== undefined));
  return {
    name: "openredaction",
    claims,
    detect: (text) => shield.detect(text).detections.map((d) => ({
      type: openRedactionType(d.type), label: d.type, start: d.position[0], end: d.position[1],
    })),
  };
}
