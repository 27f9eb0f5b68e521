/**
 * Scoring by overlap: a prediction is a true positive when it overlaps a gold span of its type; a gold span is found
 * when a prediction of its type overlaps it. Precision counts predictions, recall counts gold spans.
 */
import type { Prediction } from "./tools.ts";
import { ENTITY_TYPES, type EntityType, type GoldSpan, type LabelledDoc } from "./types.ts";

/**
 * Prediction types that also find a gold type: an address detector that takes in the postcode has redacted it, so
 * a street_address prediction finds a postal_code span (and is not a false positive there).
 */
const ALSO_FOUND_BY: Partial<Record<EntityType, readonly EntityType[]>> = { postal_code: ["street_address"] };

/** Counts for one type and one tool. */
export interface TypeCounts {
  /** Gold spans. */
  gold: number;
  /** Gold spans some prediction of the type overlaps. */
  found: number;
  /** Predictions of the type. */
  predicted: number;
  /** Predictions overlapping a gold span of the type. */
  correct: number;
  /** Predictions of the type in benign documents. */
  benignHits: number;
}

/** Precision, recall and F2 from counts (NaN where undefined: no predictions, no gold). */
export function rates(c: Pick<TypeCounts, "gold" | "found" | "predicted" | "correct">): { p: number; r: number; f2: number } {
  const p = c.predicted === 0 ? NaN : c.correct / c.predicted;
  const r = c.gold === 0 ? NaN : c.found / c.gold;
  const pp = Number.isNaN(p) ? 0 : p, rr = Number.isNaN(r) ? 0 : r;
  const f2 = pp + rr === 0 ? (c.gold === 0 && c.predicted === 0 ? NaN : 0) : (5 * pp * rr) / (4 * pp + rr);
  return { p, r, f2 };
}

const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }) => a.start < b.end && b.start < a.end;
const matches = (pred: EntityType, gold: EntityType) => pred === gold || (ALSO_FOUND_BY[gold]?.includes(pred) ?? false);

/** Per-type counts of one tool over the corpus; `found[i][j]` marks gold span j of doc i as found (for breakdowns). */
export class Tally {
  readonly byType = new Map<EntityType, TypeCounts>(ENTITY_TYPES.map((t) => [t, { gold: 0, found: 0, predicted: 0, correct: 0, benignHits: 0 }]));
  /** Gold spans and found gold spans, by `type/kind`. */
  readonly kinds = new Map<string, { gold: number; found: number }>();
  /** Predictions whose label maps to none of our types, by label. */
  readonly unmapped = new Map<string, number>();
  /** False positives (typed predictions overlapping no gold span they could find) by `label in source`. */
  readonly falsePositives = new Map<string, number>();

  /** Add one document's predictions. */
  add(doc: LabelledDoc, preds: readonly Prediction[], benign: boolean): void {
    for (const g of doc.spans) {
      const c = this.byType.get(g.type)!;
      c.gold++;
      const hit = preds.some((p) => p.type !== undefined && matches(p.type, g.type) && overlaps(p, g));
      if (hit) c.found++;
      const kind = `${g.type}/${g.kind}`;
      const k = this.kinds.get(kind) ?? { gold: 0, found: 0 };
      k.gold++;
      if (hit) k.found++;
      this.kinds.set(kind, k);
    }
    for (const p of preds) {
      if (p.type === undefined) {
        this.unmapped.set(p.label, (this.unmapped.get(p.label) ?? 0) + 1);
        continue;
      }
      const c = this.byType.get(p.type)!;
      c.predicted++;
      if (doc.spans.some((g: GoldSpan) => matches(p.type!, g.type) && overlaps(p, g))) c.correct++;
      else {
        const key = `${p.label} in ${doc.source}`;
        this.falsePositives.set(key, (this.falsePositives.get(key) ?? 0) + 1);
      }
      if (benign) c.benignHits++;
    }
  }

  /** Summed counts over the given types (micro average). */
  micro(types: Iterable<EntityType>): TypeCounts {
    const sum: TypeCounts = { gold: 0, found: 0, predicted: 0, correct: 0, benignHits: 0 };
    for (const t of types) {
      const c = this.byType.get(t)!;
      sum.gold += c.gold, sum.found += c.found, sum.predicted += c.predicted, sum.correct += c.correct, sum.benignHits += c.benignHits;
    }
    return sum;
  }
}

/**
 * Whole-value coverage: gold spans every character of which lies inside some prediction (of any type), i.e. nothing
 * of the value would survive redaction. Counted per gold type.
 */
export function wholeCovered(doc: LabelledDoc, preds: readonly { start: number; end: number }[], into: Map<EntityType, number>): void {
  const sorted = [...preds].sort((a, b) => a.start - b.start);
  for (const g of doc.spans) {
    let at = g.start;
    for (const p of sorted) if (p.start <= at && p.end > at) at = p.end;
    if (at >= g.end) into.set(g.type, (into.get(g.type) ?? 0) + 1);
  }
}
