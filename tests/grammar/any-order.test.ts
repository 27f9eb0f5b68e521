/**
 * `grammar_options.any_order`: an object's listed properties in every order, each at most once, the required ones by
 * the closing brace. Judged against ajv on shuffled valid documents and their mutations (byte level), replayed token by
 * token over cl100k_base (token level: masks equal per-token viability), a fast-check property over permutations, the
 * limits, and the gateway's request path.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { encode } from "gpt-tokenizer/encoding/cl100k_base";
import { compileConstraint, DEAD, GrammarAutomaton, GrammarError, GrammarMatcher, schemaGrammar } from "../../src/grammar/mod.ts";
import { masksFor } from "../../src/grammar/vocabulary.ts";
import { type Harness, startHarness } from "../server/harness.ts";
import { ajvValid } from "./ajv.ts";
import { REAL_WORLD } from "./realworld.ts";
import { realVocab } from "./vocab.ts";

type Schema = Record<string, unknown>;
type Doc = Record<string, unknown>;
const SLOW = { timeout: 120_000 };
const encoder = new TextEncoder();

const twelve = (required: (i: number) => boolean): Schema => {
  const types = [{ type: "integer" }, { type: "string", maxLength: 4 }, { type: "boolean" }, { enum: ["x", "y"] }];
  const properties = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`p${i}`, types[i % 4]]));
  return { type: "object", properties, required: Object.keys(properties).filter((_, i) => required(i)), additionalProperties: false };
};
const full12: Doc = { p0: 1, p1: "ab", p2: true, p3: "x", p4: -5, p5: "", p6: false, p7: "y", p8: 0, p9: "zz", p10: true, p11: "x" };

/** Schemas with valid documents (in listed order); each is shuffled and mutated below. */
const TABLE: { name: string; schema: Schema; valid: Doc[] }[] = [
  { name: "no listed properties", schema: { type: "object" }, valid: [{}, { x: 1, y: "s" }] },
  { name: "one required, no others", schema: { type: "object", properties: { a: { type: "integer" } }, required: ["a"], additionalProperties: false }, valid: [{ a: 1 }] },
  {
    name: "required and optional, additionalProperties false",
    schema: {
      type: "object", additionalProperties: false, required: ["name", "age", "role"],
      properties: { name: { type: "string", maxLength: 6 }, age: { type: "integer", minimum: 0 }, role: { enum: ["admin", "user"] }, tags: { type: "array", items: { type: "string" } }, score: { type: "number" } },
    },
    valid: [{ name: "Ada", age: 36, role: "admin" }, { name: "Bo", age: 1, role: "user", tags: ["a", "b"], score: 0.5 }],
  },
  {
    name: "all optional, additionalProperties true",
    schema: { type: "object", properties: { a: { type: "integer" }, b: { type: "string" }, c: { type: "boolean" }, d: { type: "null" } } },
    valid: [{}, { c: true }, { a: 1, b: "q", c: false, d: null }, { a: 2, extra: [1], d: null }],
  },
  {
    name: "additionalProperties schema",
    schema: { type: "object", properties: { a: { type: "string" }, b: { type: "boolean" } }, required: ["a"], additionalProperties: { type: "integer" } },
    valid: [{ a: "x" }, { a: "x", b: true, n: 3, m: 4 }],
  },
  {
    name: "nested objects",
    schema: {
      type: "object", additionalProperties: false, required: ["id", "meta"],
      properties: {
        id: { type: "integer" },
        meta: { type: "object", additionalProperties: false, required: ["k1", "k3"], properties: { k1: { type: "string" }, k2: { type: "integer" }, k3: { type: "boolean" } } },
        points: { type: "array", items: { type: "object", additionalProperties: false, required: ["x", "y"], properties: { x: { type: "number" }, y: { type: "number" } } } },
      },
    },
    valid: [{ id: 1, meta: { k1: "a", k2: 2, k3: true }, points: [{ x: 1, y: 2 }, { x: 3, y: 4 }] }, { id: 2, meta: { k1: "", k3: false } }],
  },
  { name: "12 properties, every third required", schema: twelve((i) => i % 3 === 0), valid: [full12, { p0: 1, p3: "y", p6: true, p9: "" }, { p0: 2, p1: "q", p3: "x", p6: false, p9: "a", p11: "y" }] },
  { name: "12 properties, all required", schema: twelve(() => true), valid: [full12] },
  {
    name: "patternProperties interleave with listed ones",
    schema: { type: "object", properties: { name: { type: "string" }, size: { type: "integer" } }, required: ["name"], patternProperties: { "^x-": { type: "string" } }, additionalProperties: false },
    valid: [{ name: "n" }, { name: "n", size: 2, "x-a": "1", "x-b": "2" }],
  },
  {
    name: "minProperties / maxProperties with other keys",
    schema: { type: "object", properties: { a: { type: "integer" }, b: { type: "integer" }, c: { type: "integer" } }, minProperties: 2, maxProperties: 3, additionalProperties: { type: "string" } },
    valid: [{ a: 1, b: 2 }, { a: 1, b: 2, c: 3 }, { b: 1, z: "s" }, { y: "t", z: "s" }],
  },
  {
    name: "dependentRequired",
    schema: { type: "object", properties: { card: { type: "string" }, billing: { type: "string" }, note: { type: "string" } }, dependentRequired: { card: ["billing"] }, additionalProperties: false },
    valid: [{}, { billing: "b" }, { card: "c", billing: "b", note: "n" }],
  },
];

/** A small seeded generator (mulberry32): the shuffles are the same on every run and runtime. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `value` with the keys of every object in it shuffled. */
function shuffled(value: unknown, rand: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffled(v, rand));
  if (typeof value !== "object" || value === null) return value;
  const entries = Object.entries(value);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, shuffled(v, rand)]));
}

/** Each key dropped, an unknown key added, each value given a wrong type: valid or not, as ajv decides. */
function mutations(doc: Doc): Doc[] {
  const out: Doc[] = [{ ...doc, zz: 1 }, { ...doc, "x-z": "s" }, { zz: "s", ...doc }];
  for (const [k, v] of Object.entries(doc)) {
    out.push(Object.fromEntries(Object.entries(doc).filter(([key]) => key !== k)));
    out.push({ ...doc, [k]: typeof v === "string" ? 1 : "s" });
  }
  return out;
}

const automata = new Map<Schema, GrammarAutomaton>();
function accepts(schema: Schema, text: string): boolean {
  let a = automata.get(schema);
  if (!a) automata.set(schema, (a = new GrammarAutomaton(schemaGrammar(schema, { anyOrder: true }).grammar)));
  const s = a.walk(a.start, encoder.encode(text));
  return s !== DEAD && a.accepting(s);
}

/** Documents of the table as text: shuffled valid ones and their shuffled mutations. */
function documents(): { schema: Schema; name: string; text: string; value: unknown }[] {
  const rand = random(17);
  return TABLE.flatMap(({ name, schema, valid }) => valid.flatMap((doc) => [doc, ...mutations(doc)]).flatMap((doc) =>
    [0, 1, 2].map((k) => {
      const value = k === 0 ? doc : shuffled(doc, rand);
      return { schema, name, text: JSON.stringify(value, null, k === 2 ? 1 : undefined), value };
    })));
}

describe("properties in any order (byte level, against ajv)", () => {
  test("every shuffled valid document is accepted and every mutation judged as ajv judges it", SLOW, () => {
    let valid = 0, invalid = 0;
    for (const { schema, name, text, value } of documents()) {
      const expected = ajvValid(schema, value);
      assert.equal(accepts(schema, text), expected, `${name}: ${text} (ajv: ${expected})`);
      expected ? valid++ : invalid++;
    }
    assert.ok(valid > 100 && invalid > 100, `${valid} valid, ${invalid} invalid`);
  });

  test("the table's valid documents are accepted in every shuffled order", () => {
    const rand = random(3);
    for (const { name, schema, valid } of TABLE) {
      for (const doc of valid) {
        assert.ok(ajvValid(schema, doc), `${name}: ${JSON.stringify(doc)} is valid`);
        for (let k = 0; k < 8; k++) {
          const text = JSON.stringify(shuffled(doc, rand));
          assert.ok(accepts(schema, text), `${name}: ${text}`);
        }
      }
    }
  });

  test("a listed property twice is refused, in any position", () => {
    const cases: [Schema, string][] = [
      [TABLE[2]!.schema, '{"name":"a","age":1,"name":"b","role":"user"}'],
      [TABLE[2]!.schema, '{"age":1,"role":"user","name":"a","age":2}'],
      [TABLE[3]!.schema, '{"a":1,"extra":2,"a":1}'],
      [TABLE[6]!.schema, JSON.stringify(full12).replace("}", ',"p5":""}')],
      [TABLE[8]!.schema, '{"x-a":"1","name":"n","x-b":"2","name":"m"}'],
    ];
    for (const [schema, text] of cases) assert.ok(!accepts(schema, text), text);
  });

  test("missing required, unknown where forbidden, wrong type: refused in every order", () => {
    const schema = TABLE[7]!.schema;
    const rand = random(9);
    const { p4: _, ...missing } = full12;
    for (let k = 0; k < 10; k++) {
      assert.ok(!accepts(schema, JSON.stringify(shuffled(missing, rand))));
      assert.ok(!accepts(schema, JSON.stringify(shuffled({ ...full12, p12: 1 }, rand))));
      assert.ok(!accepts(schema, JSON.stringify(shuffled({ ...full12, p8: "8" }, rand))));
    }
  });

  test("without the option the listed order is still the only one", () => {
    const schema = TABLE[2]!.schema;
    const a = new GrammarAutomaton(schemaGrammar(schema).grammar);
    const ok = (text: string) => {
      const s = a.walk(a.start, encoder.encode(text));
      return s !== DEAD && a.accepting(s);
    };
    assert.ok(ok('{"name":"A","age":1,"role":"user"}'));
    assert.ok(!ok('{"age":1,"name":"A","role":"user"}'));
    assert.ok(accepts(schema, '{"age":1,"name":"A","role":"user"}'));
  });

  test("property: random permutations of a valid 12-property object are accepted", () => {
    const schema = TABLE[6]!.schema;
    const keys = Object.keys(full12);
    const values = { integer: fc.integer({ min: -1000, max: 1000 }), string: fc.string({ maxLength: 4 }), boolean: fc.boolean(), choice: fc.constantFrom("x", "y") };
    const doc = fc.record(Object.fromEntries(keys.map((k, i) => [k, [values.integer, values.string, values.boolean, values.choice][i % 4]!])), {
      requiredKeys: keys.filter((_, i) => i % 3 === 0),
    });
    fc.assert(fc.property(doc, fc.infiniteStream(fc.nat()), (value, picks) => {
      const entries = Object.entries(value);
      const order: [string, unknown][] = [];
      while (entries.length > 0) order.push(entries.splice(picks.next().value % entries.length, 1)[0]!);
      const text = JSON.stringify(Object.fromEntries(order));
      assert.ok(ajvValid(schema, value), text);
      assert.ok(accepts(schema, text), text);
    }), { numRuns: 300, seed: 11 });
  });
});

describe("properties in any order on the real-world-shaped corpus", () => {
  // Every schema strict mode compiles, its instances as written and with every object's keys reversed: ajv's verdicts.
  const strict = (schema: Schema) => {
    try {
      return schemaGrammar(schema) !== undefined;
    } catch (err) {
      if (err instanceof GrammarError) return false;
      throw err;
    }
  };
  const reversed = (v: unknown): unknown => Array.isArray(v) ? v.map(reversed)
    : typeof v === "object" && v !== null ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v;
  for (let from = 0; from < REAL_WORLD.length; from += 64) {
    const chunk = REAL_WORLD.slice(from, from + 64);
    test(`${chunk[0]!.name} … ${chunk.at(-1)!.name}: strict-compiled ones' verdicts equal ajv's in listed and reversed key order`, SLOW, () => {
      const disagreements: string[] = [];
      let checked = 0;
      for (const entry of chunk.filter((e) => strict(e.schema))) {
        const a = new GrammarAutomaton(schemaGrammar(entry.schema, { anyOrder: true }).grammar);
        for (const value of entry.instances) {
          const expected = ajvValid(entry.schema, value);
          for (const text of [JSON.stringify(value), JSON.stringify(reversed(value))]) {
            const s = a.walk(a.start, encoder.encode(text));
            if ((s !== DEAD && a.accepting(s)) !== expected) disagreements.push(`${entry.name}: ${text} (ajv: ${expected})`);
            checked++;
          }
        }
      }
      assert.deepEqual(disagreements, []);
      assert.ok(checked > 100, `${checked} documents checked`);
    });
  }
});

describe("properties in any order (token level, cl100k_base)", () => {
  test("replayed documents: every mask equals the TS walk, and token and byte verdicts agree", SLOW, () => {
    const vocab = realVocab("cl100k_base");
    let checked = 0;
    // Every other document of the byte-level set (a full TS walk per step is the slow part): valid and invalid alike.
    for (const { schema, name, text } of documents().filter((_, i) => i % 2 === 0)) {
      const constraint = compileConstraint({ kind: "json_schema", schema }, { anyOrder: true });
      const masks = masksFor(constraint, vocab, [vocab.eos]);
      const matcher = new GrammarMatcher(masks);
      const scratch = new Uint32Array(masks.words);
      let alive = true;
      for (const token of encode(text)) {
        const mask = matcher.mask();
        assert.deepEqual(mask, masks.compute(matcher.state, scratch), `${name}: ${text} at state ${matcher.state}`);
        checked++;
        const allowed = ((mask[token >>> 5]! >>> (token & 31)) & 1) === 1;
        assert.equal(matcher.accept(token), allowed);
        if (!allowed) {
          alive = false;
          break;
        }
      }
      const endAllowed = alive && ((matcher.mask()[vocab.eos >>> 5]! >>> (vocab.eos & 31)) & 1) === 1;
      assert.equal(endAllowed, accepts(schema, text), `${name}: ${text}`);
    }
    assert.ok(checked > 500, `${checked} masks checked`);
  });

  test("a mask after some members holds exactly the viable tokens (12 properties)", SLOW, () => {
    const vocab = realVocab("cl100k_base");
    const schema = TABLE[6]!.schema;
    const constraint = compileConstraint({ kind: "json_schema", schema }, { anyOrder: true });
    const masks = masksFor(constraint, vocab, [vocab.eos]);
    const { automaton } = constraint;
    const nTokens = vocab.offsets.length - 1;
    for (const prefix of ['{"p6": true, "p0": 3, ', '{"p9":"a","p3":"x","p0":1,"p6":false', '{"p11": "y", "p', '{\n "p1": "ab",\n "p0": 7,\n "p3": "y",\n "p9": "",\n "p6": true']) {
      const state = automaton.walk(automaton.start, encoder.encode(prefix));
      assert.notEqual(state, DEAD, prefix);
      const mask = masks.mask(state);
      for (let t = 0; t < nTokens; t++) {
        const piece = vocab.bytes.subarray(vocab.offsets[t]!, vocab.offsets[t + 1]!);
        const viable = t === vocab.eos ? automaton.accepting(state) : piece.length > 0 && automaton.walk(state, piece) !== DEAD;
        if ((((mask[t >>> 5]! >>> (t & 31)) & 1) === 1) !== viable) assert.fail(`${prefix} | token ${t} ${JSON.stringify(new TextDecoder().decode(piece))}: viable ${viable}`);
      }
    }
  });
});

describe("properties in any order: limits", () => {
  const props = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, { type: "integer" }]));

  test("more than 12 listed properties: refused in strict mode naming the path, listed order kept in lenient mode", () => {
    const schema = { type: "object", properties: { inner: { type: "object", properties: props(13) } } };
    assert.throws(() => schemaGrammar(schema, { anyOrder: true }),
      (err: unknown) => err instanceof GrammarError && err.path === "schema.properties.inner.properties" && /limited to 12 listed properties/.test(err.message));
    const { grammar, warnings } = schemaGrammar(schema, { anyOrder: true, lenient: true });
    assert.match(warnings.join("\n"), /schema\.properties\.inner\.properties: keyword "properties" with properties in any order .* lenient mode keeps their listed order/);
    const a = new GrammarAutomaton(grammar);
    const ok = (text: string) => a.accepting(a.walk(a.start, encoder.encode(text)));
    assert.ok(ok('{"inner":{"k0":1,"k1":2}}'));
    assert.equal(a.walk(a.start, encoder.encode('{"inner":{"k1":2,"k0":1}}')), DEAD);
    assert.ok(schemaGrammar(schema).grammar, "without the option 13 properties compile");
  });

  test("counts that multiply the seen sets past the state bound are refused naming maxProperties (lenient: listed order)", () => {
    const schema = { type: "object", properties: props(12), maxProperties: 40 };
    assert.throws(() => schemaGrammar(schema, { anyOrder: true }),
      (err: unknown) => err instanceof GrammarError && err.path === "schema.maxProperties" && err.keyword === "maxProperties" && /needs more than 5000/.test(err.message));
    assert.equal(schemaGrammar(schema, { anyOrder: true, lenient: true }).warnings.length, 1);
    const { grammar } = schemaGrammar({ type: "object", properties: props(8), maxProperties: 12 }, { anyOrder: true });
    const a = new GrammarAutomaton(grammar);
    assert.ok(a.accepting(a.walk(a.start, encoder.encode('{"k7":1,"x":2,"k0":3}'))));
  });

  test("json_object and single-member objects compile to the same grammar as without the option", () => {
    for (const schema of [{ type: "object" }, { type: "object", properties: { a: { type: "integer" } }, additionalProperties: false }]) {
      assert.deepEqual(schemaGrammar(schema, { anyOrder: true }).grammar, schemaGrammar(schema).grammar);
    }
  });

  test("12 listed properties compile well inside the grammar bounds", () => {
    const { grammar } = schemaGrammar({ type: "object", properties: props(12), required: ["k0", "k11"] }, { anyOrder: true });
    assert.ok(grammar.ruleAlts.length < 5000 && grammar.elems.length < 120_000, `${grammar.ruleAlts.length} rules, ${grammar.elems.length} elements`);
  });
});

describe("grammar_options.any_order through the gateway (upstream backend)", () => {
  let h: Harness;
  before(() => {
    h = startHarness({ policy: "policies/permissive.json" });
  });
  after(() => h.close());

  const schema = { type: "object", properties: { ok: { type: "boolean" }, n: { type: "integer" } }, required: ["ok", "n"], additionalProperties: false };
  const post = (body: object) => fetch(`${h.url}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const request = (model: string, options?: object) => ({
    model, messages: [{ role: "user", content: "x" }], response_format: { type: "json_schema", json_schema: { name: "r", schema } }, ...(options ? { grammar_options: options } : {}),
  });

  test("reordered upstream output passes with any_order and is a grammar violation without it", async () => {
    h.upstream.scripts.set("reordered", { text: '{"n": 42, "ok": true}', chunking: 3 });
    const res = await post(request("reordered", { any_order: true }));
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content, '{"n": 42, "ok": true}');
    const strict = await post(request("reordered"));
    assert.equal(strict.status, 502);
    assert.equal(((await strict.json()) as { error: { code: string } }).error.code, "grammar_violation");
  });

  test("a duplicate key is still a violation with any_order; a bad option value is a 400 naming it", async () => {
    h.upstream.scripts.set("twice", { text: '{"n": 1, "ok": true, "n": 2}' });
    assert.equal((await post(request("twice", { any_order: true }))).status, 502);
    const res = await post(request("twice", { any_order: "yes" }));
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: { param: string } }).error.param, "grammar_options.any_order");
  });
});
