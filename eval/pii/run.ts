/**
 * `npm run eval:pii`: rsk's default policy, redact-pii and @openredaction/openredaction on our generated PII corpus,
 * side by side. Prints a table per entity type (P, R, F2, counts), micro F2 over each tool's claimed types, false
 * positives per 2,000 benign sentences, time per MB and rsk's streamed == whole-text check; writes
 * `bench/results/pii-eval.json`.
 *
 * Flags: `--stage=input|output` (default input: prompts), `--policy=<file>`, `--sample=<k>` (every k-th document),
 * `--rsk-only`, `--out=<file>`, `--dump=<file>` (the documents as JSON lines, to read what was missed), `--seed=<n>` or
 * `--seed <n>` (another corpus seed, to check results on documents nobody tuned against; default CORPUS_SEED),
 * `--holdout` or `--holdout <file.jsonl>` (score a hand-written held-out set, default `holdout.jsonl`, instead of the
 * corpus; results go to `bench/results/pii-eval-<file name>.json`).
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { buildCorpus, CORPUS_SEED, FULL_CORPUS, isBenign, loadHoldout } from "./corpus.ts";
import { checkStreaming, evaluate, type StreamReport, type ToolReport } from "./evaluate.ts";
import { loadRsk } from "./rsk.ts";
import { openRedactionTool, redactPiiTool, rskType } from "./tools.ts";
import { ENTITY_TYPES, type EntityType } from "./types.ts";

/** Goals issue #16 sets on this corpus. */
const GOALS = { microF2: 0.95, personRecall: 0.85, personPrecision: 0.9, addressRecall: 0.8, falsePositivesPer2000: 5 };

function flag(name: string): string | undefined {
  const at = process.argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (at < 0) return undefined;
  const arg = process.argv[at]!, next = process.argv[at + 1];
  if (arg.includes("=")) return arg.slice(arg.indexOf("=") + 1);
  return next !== undefined && !next.startsWith("--") ? next : "";
}

const fmt = (x: number) => (Number.isNaN(x) ? "n/a" : x.toFixed(3));

function cell(t: ToolReport, type: EntityType): string {
  const c = t.types[type];
  if (!c.claimed) return "—";
  return `${fmt(c.p)} / ${fmt(c.r)} / ${fmt(c.f2)} (${c.correct}/${c.predicted}, ${c.found}/${c.gold})`;
}

/** The Markdown table the README shows. */
function table(tools: readonly ToolReport[], stream: StreamReport): string {
  const rows = [
    `| type | gold | ${tools.map((t) => `${t.name} P / R / F2 (tp/pred, found/gold)`).join(" | ")} | rsk whole-value |`,
    `|---|---:|${tools.map(() => "---").join("|")}|---:|`,
  ];
  for (const type of ENTITY_TYPES) {
    const gold = tools[0]!.types[type].gold;
    const whole = stream.wholeCovered[type];
    rows.push(`| ${type} | ${gold} | ${tools.map((t) => cell(t, type)).join(" | ")} | ${whole === undefined ? "—" : `${whole}/${gold}`} |`);
  }
  rows.push(`| **micro (claimed types)** | | ${tools.map((t) => `**${fmt(t.micro.p)} / ${fmt(t.micro.r)} / ${fmt(t.micro.f2)}**`).join(" | ")} | |`);
  rows.push(`| false positives / 2,000 benign | | ${tools.map((t) => t.falsePositivesPer2000Benign.toFixed(1)).join(" | ")} | |`);
  rows.push(`| ms per MB | | ${tools.map((t) => t.msPerMB.toFixed(0)).join(" | ")} | |`);
  return rows.join("\n");
}

/** The same results without counts, as the README shows them (`s per MB` rounded). */
function compactTable(tools: readonly ToolReport[], stream: StreamReport, benign: number): string {
  const f = (x: number) => (Number.isNaN(x) ? "n/a" : x.toFixed(2));
  const rows = [
    `| type | gold | ${tools.map((t) => `${t.name} P / R / F2`).join(" | ")} | rsk whole value |`,
    `|---|---:|${tools.map(() => "---").join("|")}|---:|`,
  ];
  for (const type of ENTITY_TYPES) {
    const gold = tools[0]!.types[type].gold, whole = stream.wholeCovered[type];
    const cells = tools.map((t) => (t.types[type].claimed ? `${f(t.types[type].p)} / ${f(t.types[type].r)} / ${f(t.types[type].f2)}` : "—"));
    rows.push(`| ${type} | ${gold} | ${cells.join(" | ")} | ${whole === undefined ? "—" : `${whole}/${gold}`} |`);
  }
  rows.push(`| **micro, claimed types** | | ${tools.map((t) => `**${f(t.micro.p)} / ${f(t.micro.r)} / ${f(t.micro.f2)}**`).join(" | ")} | |`);
  rows.push(`| false positives / 2,000 benign | ${benign} | ${tools.map((t) => t.falsePositivesPer2000Benign.toFixed(0)).join(" | ")} | |`);
  rows.push(`| s per MB | | ${tools.map((t) => (t.msPerMB / 1000).toFixed(1)).join(" | ")} | |`);
  return rows.join("\n");
}

function goals(rsk: ToolReport, stream: StreamReport): string[] {
  const person = rsk.types.person, address = rsk.types.street_address;
  const mark = (ok: boolean) => (ok ? "met" : "NOT met");
  return [
    `micro F2 ${fmt(rsk.micro.f2)} over ${rsk.claims.length} claimed types (goal >= ${GOALS.microF2}): ${mark(rsk.micro.f2 >= GOALS.microF2)}`,
    `person P ${fmt(person.p)} R ${fmt(person.r)} (goal R >= ${GOALS.personRecall} at P >= ${GOALS.personPrecision}): ${mark(person.claimed && person.r >= GOALS.personRecall && person.p >= GOALS.personPrecision)}`,
    `street_address R ${fmt(address.r)} (goal >= ${GOALS.addressRecall}): ${mark(address.claimed && address.r >= GOALS.addressRecall)}`,
    `false positives per 2,000 benign ${rsk.falsePositivesPer2000Benign.toFixed(1)} (goal <= ${GOALS.falsePositivesPer2000}): ${mark(rsk.falsePositivesPer2000Benign <= GOALS.falsePositivesPer2000)}`,
    `streamed == whole text: ${stream.oneCharEqual}/${stream.docs} (1-unit chunks), ${stream.randomChunksEqual}/${stream.docs} (random chunks): ${mark(stream.oneCharEqual === stream.docs && stream.randomChunksEqual === stream.docs)}`,
  ];
}

const stage = flag("stage") === "output" ? "output" : "input";
const policy = flag("policy");
const sample = Math.max(1, Number(flag("sample") ?? 1) || 1);
const holdoutFlag = flag("holdout");
const holdoutFile = holdoutFlag ? new URL(holdoutFlag, `file://${process.cwd()}/`) : new URL("./holdout.jsonl", import.meta.url);
const holdoutName = holdoutFile.pathname.replace(/^.*\//, "").replace(/\.jsonl$/, "");
const out = flag("out") ?? new URL(`../../bench/results/pii-eval${holdoutFlag !== undefined ? `-${holdoutName}` : ""}.json`, import.meta.url).pathname;

const seedFlag = flag("seed");
const seed = seedFlag === undefined ? CORPUS_SEED : Number(seedFlag);
if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be an integer, got ${JSON.stringify(seedFlag)}`);
const holdout = holdoutFlag !== undefined;
const all = holdout ? loadHoldout(holdoutFile) : buildCorpus(FULL_CORPUS, seed);
const docs = all.filter((_, i) => i % sample === 0);
const digest = createHash("sha256").update(JSON.stringify(all)).digest("hex").slice(0, 16);
const dump = flag("dump");
if (dump) writeFileSync(dump, docs.map((d) => JSON.stringify(d)).join("\n") + "\n");
const rsk = await loadRsk(policy === undefined ? undefined : new URL(policy, `file://${process.cwd()}/`), stage);
const unmappedDetectors = rsk.detectors.filter((d) => rskType(d) === undefined);
const tools = flag("rsk-only") !== undefined ? [rsk.tool] : [rsk.tool, redactPiiTool(), openRedactionTool()];

// Warm every tool up (lazy DFA states, regex compilation) so time per MB measures steady-state detection.
for (const tool of tools) for (const doc of docs.slice(0, 200)) tool.detect(doc.text);
const result = evaluate(docs, tools);
const stream = checkStreaming(rsk.gates, docs, rsk.tool.claims);
const [rskReport] = result.tools;

console.log(`${holdout ? `held-out set ${holdoutName}` : "corpus"} ${digest}${holdout ? "" : ` (seed ${seed})`}: ${docs.length} documents (${docs.filter(isBenign).length} benign), `
  + `${docs.reduce((n, d) => n + d.spans.length, 0)} labelled spans; rsk: ${policy ?? "policies/default.json"} ${stage} rules`);
console.log(`\n${table(result.tools, stream)}\n`);
for (const line of goals(rskReport!, stream)) console.log(`- ${line}`);
const misses = Object.entries(rskReport!.kinds).filter(([, v]) => v.found < v.gold);
if (misses.length > 0) console.log(`\nrsk recall below 1 by kind: ${misses.map(([k, v]) => `${k} ${v.found}/${v.gold}`).join(", ")}`);
const fps = Object.entries(rskReport!.falsePositives);
if (fps.length > 0) console.log(`\nrsk false positives, commonest first: ${fps.map(([k, n]) => `${k} ×${n}`).join(", ")}`);
if (stream.differing.length > 0) console.log(`\nstreamed != whole on: ${stream.differing.join(", ")}`);
if (unmappedDetectors.length > 0) console.log(`\nrsk detectors with no evaluation type (their findings are ignored): ${unmappedDetectors.join(", ")}`);

mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({
  date: new Date().toISOString(),
  corpus: { digest, seed: holdout ? holdoutName : seed, documents: docs.length, benign: result.benignDocs, sample, spans: docs.reduce((n, d) => n + d.spans.length, 0) },
  rsk: { policy: policy ?? "policies/default.json", stage, detectors: rsk.detectors },
  goals: GOALS,
  tools: result.tools,
  streaming: stream,
  runtime: process.versions.bun ? `bun ${process.versions.bun}` : process.versions.deno ? `deno ${process.versions.deno}` : `node ${process.version}`,
}, (_, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2) + "\n");
console.log(`\nREADME table:\n\n${compactTable(result.tools, stream, result.benignDocs)}\n\nwrote ${out}`);
