/** The harness: every tool over the same documents, scored per type, plus rsk's streaming and whole-value checks. */
import type { GateSet } from "../../src/gates/mod.ts";
import { isBenign } from "./corpus.ts";
import { rates, Tally, type TypeCounts, wholeCovered } from "./score.ts";
import type { PiiTool } from "./tools.ts";
import { ENTITY_TYPES, type EntityType, type LabelledDoc } from "./types.ts";

/** Scores of one tool. */
export interface ToolReport {
  /** Tool name. */
  name: string;
  /** Types it claims. */
  claims: EntityType[];
  /** Per type: counts and rates (types it does not claim have `claimed: false`). */
  types: Record<EntityType, TypeCounts & { claimed: boolean; p: number; r: number; f2: number }>;
  /** Micro average over claimed types. */
  micro: TypeCounts & { p: number; r: number; f2: number };
  /** Predictions of claimed types in benign sentences, scaled to 2,000 sentences. */
  falsePositivesPer2000Benign: number;
  /** Detection time per MB of UTF-8 text (whole corpus, one pass). */
  msPerMB: number;
  /** Recall by gold kind (`phone/phone-ext`…), for types it claims. */
  kinds: Record<string, { gold: number; found: number }>;
  /** Labels that map to none of our types, with counts (ignored in scoring). */
  unmapped: Record<string, number>;
  /** The 30 commonest false positives, as `label in source` with counts. */
  falsePositives: Record<string, number>;
}

/** rsk-only checks: streamed output against whole-text output, and whole-value coverage. */
export interface StreamReport {
  /** Documents checked. */
  docs: number;
  /** Documents whose 1-character stream released the same text and findings as scan(). */
  oneCharEqual: number;
  /** Documents whose random-chunk stream did. */
  randomChunksEqual: number;
  /** Ids of documents that differed (at most 20). */
  differing: string[];
  /** Per claimed type: gold spans wholly inside rsk findings. */
  wholeCovered: Partial<Record<EntityType, number>>;
}

/** Evaluate `tools` on `docs`. */
export function evaluate(docs: readonly LabelledDoc[], tools: readonly PiiTool[]): { tools: ToolReport[]; benignDocs: number } {
  const benignDocs = docs.filter(isBenign).length;
  const bytes = docs.reduce((n, d) => n + new TextEncoder().encode(d.text).length, 0);
  const reports = tools.map((tool) => {
    const tally = new Tally();
    let ms = 0;
    for (const doc of docs) {
      const t0 = performance.now();
      const preds = tool.detect(doc.text);
      ms += performance.now() - t0;
      tally.add(doc, preds, isBenign(doc));
    }
    return report(tool, tally, benignDocs, ms / (bytes / 1e6));
  });
  return { tools: reports, benignDocs };
}

function report(tool: PiiTool, tally: Tally, benignDocs: number, msPerMB: number): ToolReport {
  const types = {} as ToolReport["types"];
  for (const t of ENTITY_TYPES) {
    const c = tally.byType.get(t)!;
    types[t] = { ...c, claimed: tool.claims.has(t), ...rates(c) };
  }
  const micro = tally.micro(tool.claims);
  const kinds: ToolReport["kinds"] = {};
  for (const [k, v] of [...tally.kinds].sort()) if (tool.claims.has(k.split("/")[0] as EntityType)) kinds[k] = v;
  return {
    name: tool.name, claims: ENTITY_TYPES.filter((t) => tool.claims.has(t)), types, micro: { ...micro, ...rates(micro) },
    falsePositivesPer2000Benign: benignDocs === 0 ? NaN : (micro.benignHits * 2000) / benignDocs, msPerMB, kinds,
    unmapped: Object.fromEntries([...tally.unmapped].sort((a, b) => b[1] - a[1])),
    falsePositives: Object.fromEntries([...tally.falsePositives].sort((a, b) => b[1] - a[1]).slice(0, 30)),
  };
}

/** Seeded chunk sizes 1–16 (a small LCG keeps the chunking reproducible per document). */
function randomChunks(text: string, seed: number): string[] {
  const out: string[] = [];
  let s = seed >>> 0 || 1;
  for (let at = 0; at < text.length;) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const n = 1 + ((s >>> 16) % 16);
    out.push(text.slice(at, at + n));
    at += n;
  }
  return out;
}

const same = (a: { text: string; findings: string }, b: { text: string; findings: string }) => a.text === b.text && a.findings === b.findings;

function streamed(gates: GateSet, chunks: readonly string[]): { text: string; findings: string } {
  const stream = gates.open();
  let text = "";
  const findings: string[] = [];
  for (const c of chunks) {
    const step = stream.push(c);
    text += step.text;
    for (const f of step.findings) findings.push(`${f.rule}@${f.start}-${f.end}`);
  }
  const last = stream.end();
  for (const f of last.findings) findings.push(`${f.rule}@${f.start}-${f.end}`);
  return { text: text + last.text, findings: findings.join(",") };
}

/**
 * Stream every document through `gates` in 1-UTF-16-unit and random chunks and compare with scan(); whole-value
 * coverage of the gold spans of the `claims` types by scan()'s findings.
 */
export function checkStreaming(gates: GateSet, docs: readonly LabelledDoc[], claims: ReadonlySet<EntityType>): StreamReport {
  const out: StreamReport = { docs: docs.length, oneCharEqual: 0, randomChunksEqual: 0, differing: [], wholeCovered: {} };
  const covered = new Map<EntityType, number>();
  docs.forEach((doc, i) => {
    const whole = gates.scan(doc.text);
    const expected = { text: whole.text, findings: whole.findings.map((f) => `${f.rule}@${f.start}-${f.end}`).join(",") };
    const one = same(streamed(gates, doc.text.split("")), expected);
    const rnd = same(streamed(gates, randomChunks(doc.text, i + 1)), expected);
    if (one) out.oneCharEqual++;
    if (rnd) out.randomChunksEqual++;
    if ((!one || !rnd) && out.differing.length < 20) out.differing.push(doc.id);
    wholeCovered(doc, whole.findings, covered);
  });
  for (const t of claims) out.wholeCovered[t] = covered.get(t) ?? 0;
  return out;
}
