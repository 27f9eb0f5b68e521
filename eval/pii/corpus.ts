/**
 * The evaluation corpus: templates rendered in every locale with a fixed seed, the hand-written hard cases, and the
 * benign look-alikes. Deterministic: the same faker version gives the same documents (run.ts prints a digest).
 */
import { allFakers } from "@faker-js/faker";
import { BENIGN_HARD, BENIGN_SHAPES } from "./benign.ts";
import { HARD_CASES } from "./hard.ts";
import { LOCALES } from "./personal.ts";
import { Draw } from "./random.ts";
import { SlotWriter } from "./slots.ts";
import { TEMPLATES } from "./templates.ts";
import { DocBuilder, type LabelledDoc, parseMarkup } from "./types.ts";

/** Base seed of every faker instance the corpus uses. */
export const CORPUS_SEED = 16_2026;

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
  const d = new Draw(faker);
  for (let k = 0; k < size.benign; k++) {
    const shape = BENIGN_SHAPES[k % BENIGN_SHAPES.length]!;
    docs.push({ id: `benign-${k}`, source: `benign:${shape.name}`, locale: "en_US", text: shape.make(d), spans: [] });
  }
  BENIGN_HARD.forEach((text, k) => docs.push({ id: `benign-hard-${k}`, source: "benign-hard", locale: "-", text, spans: [] }));
  return docs;
}

/** True for a benign document (no PII by construction). */
export function isBenign(doc: LabelledDoc): boolean {
  return doc.source.startsWith("benign");
}
