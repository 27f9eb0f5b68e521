import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { compileGates, type GateRule } from "../../src/gates/mod.ts";
import {
  gateJsonText, JsonTextGate, MAX_JSON_DEPTH, MAX_JSON_TOKEN, type JsonFinding, type JsonGateStep,
} from "../../src/guard/json-stream.ts";
import { chunkAt } from "../gates/fixtures.ts";
import { cyrillic, fullwidth, LOOKALIKE_PII, math } from "../gates/lookalike-corpus.ts";

const policyPath = fileURLToPath(new URL("../../policies/default.json", import.meta.url));
const gates = compileGates((JSON.parse(readFileSync(policyPath, "utf8")) as { output: GateRule[] }).output);
/** Hold-back bound of a JsonTextGate: the gates' own plus a pending `\uXXX` escape. */
const HELD_BOUND = gates.maxHoldBack + 6;
const utf8 = (s: string): number => new TextEncoder().encode(s).length;

/** Every code unit as `\uXXXX` (upper-case hex when `upper`). */
const uEscape = (s: string, upper = false): string =>
  Array.from({ length: s.length }, (_, i) => {
    const hex = s.charCodeAt(i).toString(16).padStart(4, "0");
    return "\\u" + (upper ? hex.toUpperCase() : hex);
  }).join("");

/** Stream `chunks` through a fresh gate, checking the hold-back bound and that nothing follows a stop. */
function streamed(chunks: readonly string[]): JsonGateStep {
  const gate = new JsonTextGate(gates);
  const steps: JsonGateStep[] = [];
  for (const chunk of chunks) {
    steps.push(gate.push(chunk));
    assert.ok(gate.held <= HELD_BOUND, `held ${gate.held} > ${HELD_BOUND}`);
  }
  steps.push(gate.end());
  assert.equal(gate.held, 0);
  const stop = steps.findIndex((s) => s.error !== undefined || s.blocked);
  if (stop >= 0) {
    for (const s of steps.slice(stop + 1)) {
      assert.equal(s.text, "", "nothing is released after an error or a block");
      assert.deepEqual(s.findings, []);
    }
    const again = gate.push("{}");
    assert.equal(again.text, "");
    assert.equal(again.error, steps[stop]!.error);
  }
  const out: JsonGateStep = { text: steps.map((s) => s.text).join(""), findings: steps.flatMap((s) => s.findings) };
  const blocked = steps.find((s) => s.blocked)?.blocked, error = steps.find((s) => s.error !== undefined)?.error;
  if (blocked) out.blocked = blocked;
  if (error !== undefined) out.error = error;
  return out;
}

/** Whole, 1-unit fragments (split inside escapes and surrogate pairs), 3-unit fragments and every 2-way split. */
function chunkings(text: string): string[][] {
  const all = [[text], text.split(""), text.match(/[^]{1,3}/g) ?? []];
  if (text.length <= 200) for (let i = 1; i < text.length; i++) all.push([text.slice(0, i), text.slice(i)]);
  return all;
}

/** Runs every chunking, asserts they agree (text, findings, blocked, error) and returns the result. */
function gated(text: string): JsonGateStep {
  const whole = gateJsonText(gates, text);
  for (const chunks of chunkings(text)) assert.deepEqual(streamed(chunks), whole, `chunks ${JSON.stringify(chunks)}`);
  return whole;
}

const errorByte = (step: JsonGateStep): number | undefined => {
  const m = step.error === undefined ? undefined : /at byte (\d+):/.exec(step.error);
  return m ? Number(m[1]) : undefined;
};

type Case = { name: string; json: string; out?: string; value?: unknown; rules?: string[] };
const PROSE = "Thanks for the update, the meeting moved to Tuesday afternoon. ";
const EMAIL = "bob.smith@example.com", CARD = "4111 1111 1111 1111", SSN = "123-45-6789", AWS = "AKIAIOSFODNN7EXAMPLE";
const REDACTING: Case[] = [
  { name: "email in a value", json: `{"to": "${EMAIL}", "n": 1}`, out: `{"to": "[EMAIL]", "n": 1}`, rules: ["email"] },
  { name: "email in a key", json: `{"${EMAIL}": true}`, out: `{"[EMAIL]": true}`, rules: ["email"] },
  { name: "card in a value (masked)", json: `{"card": "${CARD}"}`, out: `{"card": "**** **** **** 1111"}`, rules: ["card"] },
  { name: "SSN in text", json: `{"note": "ssn ${SSN} ok"}`, out: `{"note": "ssn [SSN] ok"}`, rules: ["ssn"] },
  { name: "AWS key", json: `["key=${AWS}"]`, out: `["key=[SECRET]"]`, rules: ["aws-key"] },
  { name: "email, every character \\u-escaped", json: `{"to": "${uEscape(EMAIL)}"}`, out: `{"to": "[EMAIL]"}`, rules: ["email"] },
  { name: "key, every character \\u-escaped (upper-case hex)", json: `{"${uEscape(EMAIL, true)}": 0}`, out: `{"[EMAIL]": 0}`, rules: ["email"] },
  { name: "card, every character \\u-escaped", json: `{"c": "${uEscape(CARD)}"}`, out: `{"c": "**** **** **** 1111"}`, rules: ["card"] },
  { name: "SSN and AWS key \\u-escaped", json: `["${uEscape(SSN)}", "${uEscape(AWS)}"]`, out: `["[SSN]", "[SECRET]"]`, rules: ["ssn", "aws-key"] },
  { name: "escaped dot and at sign", json: `{"to": "bob\\u002esmith\\u0040example.com"}`, out: `{"to": "[EMAIL]"}`, rules: ["email"] },
  { name: "card as a JSON number → masked string", json: `{"n": 4111111111111111}`, out: `{"n": "************1111"}`, rules: ["card"] },
  { name: "card number inside an array", json: `[1, 4111111111111111, 2.5]`, out: `[1, "************1111", 2.5]`, rules: ["card"] },
  {
    name: "nested arrays and objects",
    json: `{"a": [{"b": ["x", {"c": "mail ${EMAIL} now", "d": [[["${uEscape(SSN)}"]]]}]}], "e": null}`,
    out: `{"a": [{"b": ["x", {"c": "mail [EMAIL] now", "d": [[["[SSN]"]]]}]}], "e": null}`, rules: ["email", "ssn"],
  },
  { name: "fullwidth card", json: `{"c": "${fullwidth(CARD)}"}`, value: { c: "****\u3000****\u3000****\u3000１１１１" }, rules: ["card"] },
  { name: "Cyrillic look-alike email", json: `{"to": "${cyrillic("john.doe")}@example.com"}`, out: `{"to": "[EMAIL]"}`, rules: ["email"] },
  { name: "mathematical digits, escaped as surrogate pairs", json: `{"c": "${uEscape(math("4111111111111111", "bold"))}"}`, value: { c: "*".repeat(12) + math("1111", "bold") }, rules: ["card"] },
  { name: "emoji (escaped pair) next to an email", json: `["\\ud83d\\ude00${EMAIL}\\ud83d\\ude00"]`, out: `["😀[EMAIL]😀"]`, rules: ["email"] },
  // Longer than 32 decoded units: streamed through a gate of their own (shorter ones are gated whole at the quote).
  { name: "long value: email inside prose", json: `{"body": "${PROSE}${EMAIL} and ${PROSE}"}`, out: `{"body": "${PROSE}[EMAIL] and ${PROSE}"}`, rules: ["email"] },
  { name: "long value: card inside prose, every character escaped", json: `["${uEscape(PROSE + CARD + " " + PROSE)}"]`, out: `["${PROSE}**** **** **** 1111 ${PROSE}"]`, rules: ["card"] },
  { name: "long key: SSN and AWS key", json: `{"${PROSE}${SSN} ${AWS}": 1}`, out: `{"${PROSE}[SSN] [SECRET]": 1}`, rules: ["ssn", "aws-key"] },
  { name: "the same secret twice (clean short tokens are remembered, secrets never)", json: `["${EMAIL}", "${EMAIL}", 4111111111111111, 4111111111111111]`, out: `["[EMAIL]", "[EMAIL]", "************1111", "************1111"]`, rules: ["email", "card"] },
  { name: "zero-width space inside an email, escaped", json: `["bob\\u200b.smith@example.com"]`, out: `["[EMAIL]"]`, rules: ["email"] },
];

const CLEAN: string[] = [
  `{"name": "Jane", "age": 42, "tags": ["a", "b"], "ok": true, "none": null, "ratio": -1.5e+3}`,
  JSON.stringify({ text: "line\nbreak \"quoted\" back\\slash tab\t ctl\u0001 é 😀 \u2028", n: [0, -0.25, 1e21, 3], deep: [[{}], []] }, null, 2),
  `  [ 1 , 2 ,\t{"x" : "y"}\r\n]  `,
  `"just a string"`, `12345`, `true`, `null`, `[]`, `{}`,
];

describe("JsonTextGate: PII and secrets inside JSON text, any chunking", () => {
  for (const c of REDACTING) {
    test(c.name, () => {
      const step = gated(c.json);
      assert.equal(step.error, undefined);
      assert.equal(step.blocked, undefined);
      if (c.out !== undefined) assert.equal(step.text, c.out);
      if (c.value !== undefined) assert.deepEqual(JSON.parse(step.text), c.value);
      assert.deepEqual([...new Set(step.findings.map((f) => f.rule))].sort(), [...c.rules!].sort());
    });
  }

  test("findings name the token by byte offset; their offsets are within its decoded content", () => {
    const json = `{"é": "mail ${EMAIL}"}`;
    const step = gated(json);
    const f = step.findings[0] as JsonFinding;
    assert.equal(f.token, utf8(`{"é": `));
    assert.equal(f.match, EMAIL);
    assert.deepEqual([f.start, f.end], [5, 5 + EMAIL.length]);
  });

  for (const json of CLEAN) {
    test(`no PII → byte-identical: ${JSON.stringify(json).slice(0, 50)}`, () => {
      const step = gated(json);
      assert.equal(step.error, undefined);
      assert.equal(step.text, json);
      assert.deepEqual(step.findings, []);
    });
  }

  test("a long string is released as it streams, up to what the gates hold", () => {
    const gate = new JsonTextGate(gates);
    let text = gate.push(`{"body": "`).text;
    for (const word of `${PROSE}${PROSE}write to bob.smith`.match(/[^]{1,4}/g)!) text += gate.push(word).text;
    assert.equal(text, `{"body": "${PROSE}${PROSE}write to `);
    text += gate.push(`@example.com", "n": 1`).text;
    assert.equal(text, `{"body": "${PROSE}${PROSE}write to [EMAIL]", "n": `);
    assert.match(gate.end().error!, /unexpected end/);
  });

  test("non-canonical escapes are re-written as JSON.stringify writes them (equivalent JSON)", () => {
    const json = `["\\u0041\\/\\u00e9\\ud83d\\ude00\\ud800\\u001F"]`;
    const step = gated(json);
    assert.equal(step.text, `["A/é😀\\ud800\\u001f"]`);
    assert.deepEqual(JSON.parse(step.text), JSON.parse(json));
  });

  test("blocked phrase: what came before is released, then blocked, nothing after", () => {
    const json = `{"a": "fine", "q": "here is how to build a bomb today", "b": "${EMAIL}"}`;
    const step = gated(json);
    assert.equal(step.blocked?.rule, "dangerous-instructions");
    assert.equal(step.text, `{"a": "fine", "q": "here is `);
    const escaped = gated(`["${uEscape("how to build a bomb")}"]`);
    assert.equal(escaped.blocked?.rule, "dangerous-instructions");
    assert.equal(escaped.text, `["`);
  });
});

describe("JsonTextGate: malformed and incomplete JSON", () => {
  const MALFORMED: [string, string, number][] = [
    ["missing colon", `{"a" 1}`, 5],
    ["raw control character in a string", `{"a": "x\u0001"}`, 8],
    ["invalid escape", `{"a": "\\x"}`, 8],
    ["bad hex digit in \\u", `{"a": "\\u12g4"}`, 11],
    ["trailing comma in an array", `[1,]`, 3],
    ["trailing comma in an object", `{"a":1,}`, 7],
    ["leading zero", `01`, 1],
    ["number ending in a dot", `[1.]`, 3],
    ["lone minus", `[-]`, 2],
    ["broken literal", `[tru e]`, 4],
    ["non-string key", `{1:2}`, 1],
    ["stray close", `]`, 0],
    ["mismatched close", `[1}`, 2],
    ["two values", `[1 2]`, 3],
    ["data after the value", `{"a":1} x`, 8],
    ["offset counts UTF-8 bytes", `{"é": x}`, 7],
    ["offset after an astral character", `"😀" x`, 7],
    ["single quotes", `{'a': 1}`, 1],
    ["non-JSON whitespace", `[1,\u00a02]`, 3],
  ];
  for (const [name, json, byte] of MALFORMED) {
    test(`${name}: error at byte ${byte}`, () => {
      assert.throws(() => JSON.parse(json));
      const step = gated(json);
      assert.equal(errorByte(step), byte, String(step.error));
      assert.ok(step.error!.length < 80);
    });
  }

  test("incomplete at end → error at the end; held text is dropped, never released", () => {
    for (const json of [`{"a": "${EMAIL.slice(0, 14)}`, `[1, 2`, ``, `  `, `{"a": "x\\u00`, `{"a"`, `[tru`, `{"a": [1, {"b": 2}`, `"\\`]) {
      const step = gated(json);
      assert.equal(errorByte(step), utf8(json), `${JSON.stringify(json)}: ${step.error}`);
    }
    assert.equal(gated(`{"a": "bob.smith@exa`).text, `{"a": "`);
    assert.equal(gated(`[1, 2`).text, `[1, `);
  });

  test("an error mid-string releases nothing of the held partial value", () => {
    const step = gated(`{"to": "bob.smith@exa\\q"}`);
    assert.equal(errorByte(step), 22);
    assert.equal(step.text, `{"to": "`);
  });

  test(`depth ≤ ${MAX_JSON_DEPTH}`, () => {
    const ok = "[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH);
    assert.equal(gated(ok).text, ok);
    const objects = `{"a":`.repeat(MAX_JSON_DEPTH) + "1" + "}".repeat(MAX_JSON_DEPTH);
    assert.equal(gateJsonText(gates, objects).text, objects);
    assert.equal(errorByte(gateJsonText(gates, "[".repeat(MAX_JSON_DEPTH + 1))), MAX_JSON_DEPTH);
    assert.equal(errorByte(gateJsonText(gates, `{"a":`.repeat(MAX_JSON_DEPTH) + "{}")), 5 * MAX_JSON_DEPTH);
  });

  // Megabytes through every rule of the default policy: seconds on a loaded box, so a test-level timeout.
  test(`a string token ≤ ${MAX_JSON_TOKEN} units, a number ≤ the gates' hold-back bound`, { timeout: 120_000 }, () => {
    const fill = "word ".repeat(MAX_JSON_TOKEN / 5) + "x".repeat(MAX_JSON_TOKEN % 5);
    const chunks = (s: string) => s.match(/[^]{1,65536}/g)!;
    const ok = streamed(chunks(`["${fill}"]`));
    assert.equal(ok.error, undefined);
    assert.equal(ok.text.length, MAX_JSON_TOKEN + 4);
    assert.equal(errorByte(streamed(chunks(`["${fill}x"]`))), 2 + MAX_JSON_TOKEN);
    assert.equal(errorByte(streamed(chunks(`["${fill.slice(1)}\\n"]`))), 2 + MAX_JSON_TOKEN);
    const digits = "1".repeat(gates.maxHoldBack);
    assert.equal(streamed(chunks(`[${digits}]`)).error, undefined);
    assert.equal(errorByte(streamed(chunks(`[${digits}1]`))), 1 + gates.maxHoldBack);
  });
});

// ---- properties -------------------------------------------------------------------------------------------------

/** PII and secrets (plain and disguised); none contains a blocked phrase. */
const PLANTED = [EMAIL, CARD, SSN, AWS, "DE89 3704 0044 0532 0130 00", "192.168.10.24",
  ...Object.values(LOOKALIKE_PII).flat().map(([, raw]) => raw)];
const innocent = fc.string({ unit: "binary", maxLength: 8 });
const str = fc.oneof(
  { weight: 3, arbitrary: innocent },
  { weight: 2, arbitrary: fc.constantFrom(...PLANTED) },
  { weight: 2, arbitrary: fc.tuple(innocent, fc.constantFrom(...PLANTED), innocent).map(([a, s, b]) => `${a} ${s} ${b}`) },
);
const { value: jsonish } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    str, fc.constantFrom(4111111111111111, 5500000000000004, 0, -1, 1.5e-7), fc.jsonValue({ maxDepth: 2 }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(str, tie("value"), { maxKeys: 4 }),
  ),
}));

/** Serialise with a choice of escaping per string unit (none / \u lower / \u upper) and whitespace between tokens. */
function write(value: unknown, escapes: readonly number[], ws: string): string {
  let k = 0;
  const esc = (s: string): string => {
    let out = "";
    for (let i = 0; i < s.length; i++) {
      const mode = escapes.length === 0 ? 0 : escapes[k++ % escapes.length]!;
      const ch = s[i]!;
      out += mode === 0 ? JSON.stringify(ch).slice(1, -1) : uEscape(ch, mode === 2);
    }
    return `"${out}"`;
  };
  const go = (v: unknown): string => {
    if (typeof v === "string") return esc(v);
    if (v === null || typeof v !== "object") return JSON.stringify(v);
    if (Array.isArray(v)) return `[${ws}${v.map(go).join(`${ws},${ws}`)}${ws}]`;
    return `{${ws}${Object.entries(v).map(([key, x]) => `${esc(key)}${ws}:${ws}${go(x)}`).join(`,${ws}`)}${ws}}`;
  };
  return go(value);
}

/** The input with every string, key and number's text gated alone (what the gate must produce); undefined if a scan blocks. */
function expected(value: unknown): { value: unknown } | undefined {
  let blocked = false;
  const text = (s: string): string => {
    const step = gates.scan(s);
    if (step.blocked) blocked = true;
    return step.text;
  };
  const go = (v: unknown): unknown => {
    if (typeof v === "string") return text(v);
    if (typeof v === "number") {
      const raw = JSON.stringify(v), t = text(raw);
      return t === raw ? v : t;
    }
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map(go);
    const out = {};
    for (const [key, x] of Object.entries(v)) {
      Object.defineProperty(out, text(key), { value: go(x), enumerable: true, writable: true, configurable: true });
    }
    return out;
  };
  const out = go(value);
  return blocked ? undefined : { value: out };
}

/** Every decoded string, key and number text of a parsed value. */
function texts(v: unknown, into: string[] = []): string[] {
  if (typeof v === "string") into.push(v);
  else if (typeof v === "number") into.push(JSON.stringify(v));
  else if (Array.isArray(v)) for (const x of v) texts(x, into);
  else if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) { into.push(k); texts(x, into); }
  return into;
}

describe("JsonTextGate properties", () => {
  test("property: every chunking gives the same valid JSON, equal to the input with each string gated, no planted secret", () => {
    fc.assert(fc.property(
      jsonish, fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 7 }), fc.constantFrom("", " ", "\n  "),
      fc.array(fc.nat(), { maxLength: 12 }),
      (v, escapes, ws, cuts) => {
        const input = JSON.parse(JSON.stringify(v)) as unknown;
        const want = expected(input);
        fc.pre(want !== undefined);
        const json = write(input, escapes, ws);
        const whole = gateJsonText(gates, json);
        assert.equal(whole.error, undefined, String(whole.error));
        for (const chunks of [chunkAt(json, cuts), json.split("")]) assert.deepEqual(streamed(chunks), whole);
        const parsed = JSON.parse(whole.text) as unknown;
        assert.deepEqual(parsed, want!.value);
        const decoded = texts(parsed).join("\u0000");
        for (const secret of PLANTED) {
          assert.ok(!decoded.includes(secret), `planted ${JSON.stringify(secret)} in ${decoded}`);
          assert.ok(!whole.text.includes(secret));
        }
      },
    ), { numRuns: 150 });
  });

  test("property: JSON.stringify output without findings passes byte-identical", () => {
    fc.assert(fc.property(fc.jsonValue(), fc.constantFrom(undefined, 2), (v, indent) => {
      const json = JSON.stringify(v, null, indent);
      const step = gateJsonText(gates, json);
      fc.pre(step.findings.length === 0);
      assert.equal(step.text, json);
    }), { numRuns: 200 });
  });

  test("property: a prefix of valid JSON is an error at its end exactly when it is not complete JSON", () => {
    fc.assert(fc.property(fc.jsonValue(), fc.nat(), (v, cut) => {
      const json = JSON.stringify(v, null, 1);
      const prefix = json.slice(0, cut % (json.length + 1));
      fc.pre(!/[\ud800-\udbff]$/.test(prefix));
      let complete = true;
      try { JSON.parse(prefix); } catch { complete = false; }
      const step = streamed(prefix.split(""));
      assert.equal(errorByte(step), complete ? undefined : utf8(prefix), String(step.error));
    }), { numRuns: 200 });
  });

  test("property: a corrupted document is an error exactly when JSON.parse rejects it", () => {
    const junk = fc.constantFrom(",", ":", "{", "}", "[", "]", "\"", "\\", "1", "-", ".", "e", "t", "x", " ", "\u0001", "\u00a0", "\\u12");
    fc.assert(fc.property(fc.jsonValue(), fc.nat(), junk, fc.boolean(), (v, at, ch, replace) => {
      const json = JSON.stringify(v);
      const p = at % (json.length + 1);
      const bad = json.slice(0, p) + ch + json.slice(replace ? p + 1 : p);
      let valid = true;
      try { JSON.parse(bad); } catch { valid = false; }
      const step = gateJsonText(gates, bad);
      assert.equal(step.error === undefined, valid, `${JSON.stringify(bad)}: ${step.error}`);
      if (valid && step.findings.length === 0) assert.deepEqual(JSON.parse(step.text), JSON.parse(bad));
    }), { numRuns: 400 });
  });
});
