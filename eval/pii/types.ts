/** The evaluation's entity types, labelled documents, and the builder that records spans as text is written. */

/** Every entity type the corpus labels; each tool's labels are mapped onto these. */
export const ENTITY_TYPES = [
  "email", "phone", "payment_card", "iban", "us_ssn", "ipv4", "ipv6", "secret", "person", "street_address",
  "postal_code", "date_of_birth", "age", "passport", "driver_licence", "national_id", "crypto_wallet", "mac_address",
  "url_credentials",
] as const;

/** One entity type of the evaluation. */
export type EntityType = typeof ENTITY_TYPES[number];

/** A labelled value: `text.slice(start, end)` is the value itself (no label words, honorifics or quotes). */
export interface GoldSpan {
  /** Entity type. */
  type: EntityType;
  /** Finer kind for breakdowns (`aws`, `nino`, `iban-lower`…); scoring uses `type` only. */
  kind: string;
  /** UTF-16 offset of the first character. */
  start: number;
  /** UTF-16 offset after the last character. */
  end: number;
}

/** One document of the corpus. */
export interface LabelledDoc {
  /** Stable id: `<source>-<n>`. */
  id: string;
  /** Where it came from: `template:<name>`, `hard`, `benign:<name>`, `benign-hard`. */
  source: string;
  /** Faker locale or `-`. */
  locale: string;
  /** The text. */
  text: string;
  /** Gold spans, sorted by start; empty for benign documents. */
  spans: GoldSpan[];
}

/** Writes a document piece by piece, recording the offsets of every labelled value. */
export class DocBuilder {
  #text = "";
  readonly #spans: GoldSpan[] = [];

  /** Append unlabelled text. */
  text(s: string): this {
    this.#text += s;
    return this;
  }

  /** Append a labelled value. */
  pii(type: EntityType, value: string, kind: string = type): this {
    if (value.length === 0) throw new Error(`empty ${type} value`);
    this.#spans.push({ type, kind, start: this.#text.length, end: this.#text.length + value.length });
    this.#text += value;
    return this;
  }

  /** The document so far. */
  build(id: string, source: string, locale: string): LabelledDoc {
    return { id, source, locale, text: this.#text, spans: [...this.#spans] };
  }
}

/**
 * Reads hand-written cases: `[[type:value]]` or `[[type/kind:value]]` marks a labelled value (values never contain
 * `]]`). Throws on an unknown type so a typo cannot silently drop a label.
 */
export function parseMarkup(markup: string): { text: string; spans: GoldSpan[] } {
  const b = new DocBuilder();
  const re = /\[\[([a-z_0-9]+)(?:\/([a-z_0-9-]+))?:([\s\S]*?)\]\]/g;
  let last = 0;
  for (const m of markup.matchAll(re)) {
    b.text(markup.slice(last, m.index));
    const type = m[1] as EntityType;
    if (!(ENTITY_TYPES as readonly string[]).includes(type)) throw new Error(`unknown entity type "${m[1]}" in: ${markup}`);
    b.pii(type, m[3]!, m[2] ?? type);
    last = m.index + m[0].length;
  }
  b.text(markup.slice(last));
  const doc = b.build("", "", "");
  return { text: doc.text, spans: doc.spans };
}
