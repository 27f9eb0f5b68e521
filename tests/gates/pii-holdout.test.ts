/** The hand-written held-out sets of the PII evaluation parse, have unique ids, and hold what eval/pii/README.md says. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadHoldout } from "../../eval/pii/corpus.ts";

test("held-out sets: unique ids, labelled cases and benign look-alikes", () => {
  for (const [file, labelled, benign] of [["holdout.jsonl", 114, 61], ["holdout-names.jsonl", 131, 70]] as const) {
    const docs = loadHoldout(new URL(`../../eval/pii/${file}`, import.meta.url));
    assert.equal(new Set(docs.map((d) => d.id)).size, docs.length, `${file}: duplicate ids`);
    assert.equal(docs.filter((d) => d.spans.length > 0).length, labelled, file);
    assert.equal(docs.filter((d) => d.spans.length === 0).length, benign, file);
    for (const d of docs) for (const s of d.spans) assert.ok(s.end > s.start && d.text.slice(s.start, s.end).trim() === d.text.slice(s.start, s.end), `${d.id}: span ${s.start}-${s.end}`);
  }
});
