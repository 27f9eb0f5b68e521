/**
 * The evaluation corpus: templates rendered in every locale with a fixed seed, the hand-written hard cases, and the
 * benign look-alikes. Deterministic: the same faker version gives the same documents on any day (fixed seed and
 * reference date; run.ts prints a digest).
 */
import { allFakers } from "@faker-js/faker";
import { readFileSync } from "node:fs";
import { BENIGN_HARD, BENIGN_SHAPES } from "./benign.ts";
import { HARD_CASES } from "./hard.ts";
import { LOCALES } from "./personal.ts";
import { Draw } from "./random.ts";
import { SlotWriter } from "./slots.ts";
import { TEMPLATES } from "./templates.ts";
import { DocBuilder, type LabelledDoc, parseMarkup } from "./types.ts";

/** Base seed of every faker instance the corpus uses. */
export const CORPUS_SEED = 16_2026;
/** "Today" for faker's date helpers (birthdates, recent dates), so the corpus does not change with the clock. */
export const CORPUS_REFERENCE_DATE = new Date("2026-01-01T00:00:00Z");

/** How many documents to make. */
export interface CorpusSize {
  /** Renderings of each locale-neutral template per locale. */
  neutralPerLocale: number;
  /** Renderings of each language template per locale speaking it. */
  languagePerLocale: number;
  /** Generated benign sentences (the hand-written ones are added). */
  benign: number;
}

/** The full corpus run.ts scores: ~2,300 labelled documents and ~2,200 benign sentences. */
export const FULL_CORPUS: CorpusSize = { neutralPerLocale: 4, languagePerLocale: 8, benign: 2100 };

/** Build the corpus; another `seed` gives other generated documents (held-out checks against tuning to one seed). */
export function buildCorpus(size: CorpusSize = FULL_CORPUS, seed: number = CORPUS_SEED): LabelledDoc[] {
  const docs: LabelledDoc[] = [];
  LOCALES.forEach((loc, i) => {
    const faker = allFakers[loc.key as keyof typeof allFakers];
    faker.seed(seed + i);
    faker.setDefaultRefDate(CORPUS_REFERENCE_DATE);
    const d = new Draw(faker);
    for (const tpl of TEMPLATES) {
      if (tpl.lang !== "any" && tpl.lang !== loc.lang) continue;
      const times = tpl.lang === "any" ? size.neutralPerLocale : size.languagePerLocale;
      for (let k = 0; k < times; k++) {
        const b = new DocBuilder();
        new SlotWriter(d, loc, b).write(tpl.text);
        docs.push(b.build(`${tpl.name}-${loc.key}-${k}`, `template:${tpl.name}`, loc.key));
      }
    }
  });
  HARD_CASES.forEach((markup, k) => {
    const { text, spans } = parseMarkup(markup);
    docs.push({ id: `hard-${k}`, source: "hard", locale: "-", text, spans });
  });
  const faker = allFakers.en_US;
  faker.seed(seed - 1);
  faker.setDefaultRefDate(CORPUS_REFERENCE_DATE);
  const d = new Draw(faker);
  for (let k = 0; k < size.benign; k++) {
    const shape = BENIGN_SHAPES[k % BENIGN_SHAPES.length]!;
    docs.push({ id: `benign-${k}`, source: `benign:${shape.name}`, locale: "en_US", text: shape.make(d), spans: [] });
  }
  BENIGN_HARD.forEach((text, k) => docs.push({ id: `benign-hard-${k}`, source: "benign-hard", locale: "-", text, spans: [] }));
  return docs;
}

/**
 * The held-out set (`holdout.jsonl`: one `{"id", "markup"}` per line, labelled inline as in hard.ts), written by hand
 * and never read while tuning (`npm run eval:pii -- --holdout`): cases without a label are benign look-alikes.
 */
export function loadHoldout(file: URL = new URL("./holdout.jsonl", import.meta.url)): LabelledDoc[] {
  return readFileSync(file, "utf8").split("\n").filter((line) => line.trim().length > 0).map((line, k) => {
    const { id, markup } = JSON.parse(line) as { id?: unknown; markup?: unknown };
    if (typeof id !== "string" || typeof markup !== "string") throw new Error(`${file.pathname} line ${k + 1}: needs string "id" and "markup"`);
    const { text, spans } = parseMarkup(markup);
    return { id, source: spans.length === 0 ? "benign-holdout" : "holdout", locale: "-", text, spans };
  });
}

/** True for a benign document (no PII by construction). */
export function isBenign(doc: LabelledDoc): boolean {
  return doc.source.startsWith("benign");
}
