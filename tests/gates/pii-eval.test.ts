/**
 * The PII evaluation harness (eval/pii) stays sound: its corpus is deterministic and correctly labelled (checksums
 * valid, spans in range), the redact-pii adapter reproduces the library's output, and rsk's default policy on a small
 * corpus streams exactly as it scans whole and finds something of every type it claims. Goal numbers are reported by
 * `npm run eval:pii`, not asserted here.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { SyncRedactor } from "redact-pii";
import { BENIGN_HARD } from "../../eval/pii/benign.ts";
import { iso7064Mod1110, luhnDigit, mod11Digit, mod97, verhoeffValid } from "../../eval/pii/checksums.ts";
import { buildCorpus, type CorpusSize, FULL_CORPUS, isBenign } from "../../eval/pii/corpus.ts";
import { checkStreaming, evaluate } from "../../eval/pii/evaluate.ts";
import { keccak256 } from "../../eval/pii/keccak.ts";
import { loadRsk } from "../../eval/pii/rsk.ts";
import { rates, Tally, wholeCovered } from "../../eval/pii/score.ts";
import { alignPlaceholders, redactPiiTool } from "../../eval/pii/tools.ts";
import { type GoldSpan, type LabelledDoc, parseMarkup } from "../../eval/pii/types.ts";

const SMALL: CorpusSize = { neutralPerLocale: 1, languagePerLocale: 1, benign: 150 };
let small: LabelledDoc[] | undefined;
const corpus = () => (small ??= buildCorpus(SMALL));
const value = (doc: LabelledDoc, s: GoldSpan) => doc.text.slice(s.start, s.end);

test("the corpus is deterministic and its spans are in range, non-empty, ordered and disjoint", { timeout: 60_000 }, () => {
  const a = corpus(), b = buildCorpus(SMALL);
  assert.equal(createHash("sha256").update(JSON.stringify(a)).digest("hex"), createHash("sha256").update(JSON.stringify(b)).digest("hex"));
  assert.ok(FULL_CORPUS.benign + BENIGN_HARD.length >= 2000, "the full corpus has at least 2,000 benign sentences");
  for (const doc of a) {
    if (isBenign(doc)) assert.equal(doc.spans.length, 0, doc.id);
    let end = 0;
    for (const s of doc.spans) {
      assert.ok(s.start >= end && s.end > s.start && s.end <= doc.text.length, `${doc.id}: span ${s.type} ${s.start}-${s.end}`);
      assert.equal(value(doc, s).trim(), value(doc, s), `${doc.id}: ${s.type} value has no surrounding whitespace`);
      end = s.end;
    }
  }
});

test("checksummed values in the corpus are valid", { timeout: 60_000 }, () => {
  const digits = (s: string) => s.replace(/\D/g, "");
  const checks: Record<string, (v: string) => boolean> = {
    payment_card: (v) => luhnDigit(digits(v).slice(0, -1)) === Number(digits(v).slice(-1)),
    iban: (v) => {
      const c = v.replace(/ /g, "").toUpperCase();
      return mod97((c.slice(4) + c.slice(0, 4)).replace(/[A-Z]/g, (ch) => String(ch.charCodeAt(0) - 55))) === 1;
    },
    sin: (v) => luhnDigit(digits(v).slice(0, 8)) === Number(digits(v)[8]),
    aadhaar: (v) => verhoeffValid(digits(v)),
    cpf: (v) => {
      const n = digits(v);
      return mod11Digit(n.slice(0, 9), [10, 9, 8, 7, 6, 5, 4, 3, 2]) === Number(n[9]) && mod11Digit(n.slice(0, 10), [11, 10, 9, 8, 7, 6, 5, 4, 3, 2]) === Number(n[10]);
    },
    nir: (v) => 97 - mod97(digits(v).slice(0, 13)) === Number(digits(v).slice(13)),
    steuer_id: (v) => iso7064Mod1110(digits(v).slice(0, 10)) === Number(digits(v)[10]),
    eth: (v) => {
      const hex = v.slice(2).toLowerCase(), hash = keccak256(new TextEncoder().encode(hex));
      return [...v.slice(2)].every((ch, i) => /[0-9]/.test(ch) || (((hash[i >> 1]! >> (i % 2 === 0 ? 4 : 0)) & 15) >= 8) === (ch === ch.toUpperCase()));
    },
  };
  let checked = 0;
  for (const doc of corpus()) {
    for (const s of doc.spans) {
      const check = checks[s.type] ?? checks[s.kind];
      if (!check) continue;
      assert.ok(check(value(doc, s)), `${doc.id}: ${s.type}/${s.kind} ${value(doc, s)} fails its checksum`);
      checked++;
    }
  }
  assert.ok(checked > 50, `checked ${checked} values`);
  // The hand-written keccak is SHA-3's permutation: with SHA-3 padding it must equal node's sha3-256.
  for (const text of ["", "abc", "x".repeat(300)]) {
    const ours = Buffer.from(keccak256(new TextEncoder().encode(text), 0x06)).toString("hex");
    assert.equal(ours, createHash("sha3-256").update(text).digest("hex"));
  }
});

test("scoring: overlap of the same type counts, other types are false positives, addresses find postcodes", () => {
  const doc = { id: "d", source: "hard", locale: "-", ...parseMarkup("Call [[phone:555 0100]] at [[street_address:1 Main St]], [[postal_code:90210]]") };
  const at = (needle: string) => ({ start: doc.text.indexOf(needle), end: doc.text.indexOf(needle) + needle.length });
  const tally = new Tally();
  tally.add(doc, [
    { type: "phone", label: "phone", ...at("555") },
    { type: "us_ssn", label: "ssn", ...at("0100") },
    { type: "street_address", label: "addr", ...at("Main St, 90210") },
    { type: undefined, label: "other", ...at("Call") },
  ], false);
  assert.deepEqual(tally.byType.get("phone"), { gold: 1, found: 1, predicted: 1, correct: 1, benignHits: 0 });
  assert.deepEqual(tally.byType.get("us_ssn"), { gold: 0, found: 0, predicted: 1, correct: 0, benignHits: 0 });
  assert.deepEqual(tally.byType.get("postal_code"), { gold: 1, found: 1, predicted: 0, correct: 0, benignHits: 0 });
  assert.deepEqual([...tally.unmapped], [["other", 1]]);
  const r = rates({ gold: 4, found: 2, predicted: 2, correct: 2 });
  assert.equal(r.f2.toFixed(4), ((5 * 1 * 0.5) / (4 * 1 + 0.5)).toFixed(4));
  const covered = new Map();
  wholeCovered(doc, [at("555 "), at("0100")], covered);
  assert.equal(covered.get("phone"), 1, "adjacent findings cover a value together");
});

test("the redact-pii adapter's spans reproduce the library's own redacted text", { timeout: 60_000 }, () => {
  assert.deepEqual(alignPlaceholders("Hi John Smith, bye", "Hi NAME, bye", "NAME"), [[3, 13]]);
  const tool = redactPiiTool(), library = new SyncRedactor();
  const docs = corpus().filter((_, i) => i % 25 === 0);
  for (const doc of docs) {
    let rebuilt = "", at = 0;
    for (const p of tool.detect(doc.text).sort((a, b) => a.start - b.start)) {
      rebuilt += doc.text.slice(at, p.start) + p.label;
      at = p.end;
    }
    assert.equal(rebuilt + doc.text.slice(at), library.redact(doc.text), doc.id);
  }
});

test("rsk's default policy on the corpus: streamed == whole text, and every claimed type is found", { timeout: 120_000 }, async () => {
  const rsk = await loadRsk();
  const docs = corpus();
  const stream = checkStreaming(rsk.gates, docs, rsk.tool.claims);
  assert.deepEqual(stream.differing, [], "documents whose streamed output differs from scan()");
  assert.equal(stream.oneCharEqual, docs.length);
  assert.equal(stream.randomChunksEqual, docs.length);
  const [report] = evaluate(docs, [rsk.tool]).tools;
  for (const type of report!.claims) {
    const c = report!.types[type];
    if (c.gold === 0) continue;
    assert.ok(c.found > 0, `rsk claims ${type} but finds none of its ${c.gold} spans`);
  }
});
