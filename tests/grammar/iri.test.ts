/**
 * Astral code points in patterns (`\u{…}`, surrogate-pair escapes, astral class ranges) and the RFC 3987 formats `iri`
 * and `iri-reference` (issue 17): rsk's verdict, byte by byte and token by token, equals an independent judge (ECMAScript
 * `u`-mode RegExp for patterns; the component-by-component IRI checker in ajv.ts for formats).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { encode } from "gpt-tokenizer/encoding/cl100k_base";
import { DEAD, GrammarAutomaton, GrammarError, GrammarMatcher, regexGrammar, schemaGrammar, TokenMasks } from "../../src/grammar/mod.ts";
import { utf8Sequences } from "../../src/grammar/expr.ts";
import { ajvValid, isIri, isIriReference } from "./ajv.ts";
import { preparedTrie, realVocab } from "./vocab.ts";

const encoder = new TextEncoder();
const accepts = (a: GrammarAutomaton, text: string) => {
  const s = a.walk(a.start, encoder.encode(text));
  return s !== DEAD && a.accepting(s);
};

/** Code points around every UTF-8 length and surrogate boundary, plus the ranges the tests name. */
const EDGES = [0x41, 0x7e, 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x10001, 0x1003f, 0x10040, 0x103ff, 0x10400,
  0x1f5ff, 0x1f600, 0x1f64f, 0x1f650, 0x3ffff, 0x40000, 0xfffff, 0x100000, 0x10ffff];
const edge = fc.oneof(fc.constantFrom(...EDGES), fc.integer({ min: 0x20, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff));

describe("UTF-8 byte ranges of code point ranges", () => {
  test("a code point's UTF-8 bytes fit one of the range's byte sequences exactly when it is in the range", () => {
    fc.assert(fc.property(edge, edge, edge, (x, y, c) => {
      const [lo, hi] = x <= y ? [x, y] : [y, x];
      const bytes = encoder.encode(String.fromCodePoint(c));
      const fits = utf8Sequences(lo, hi).some((seq) => seq.length === bytes.length && seq.every(([a, b], i) => bytes[i]! >= a && bytes[i]! <= b));
      return fits === (c >= lo && c <= hi);
    }), { numRuns: 3000, seed: 17 });
  });
});

describe("astral code points in patterns (u-mode)", () => {
  const PATTERNS = [
    "\\u{1F600}", "[\\u{1F600}-\\u{1F64F}]+", "\\uD83D\\uDE00{2}", "😀+", "[^\\u{1F600}]", "[\\u{7F}-\\u{10000}]", "[a-z\\u{10000}-\\u{10FFFF}]*",
    "[\\D]", "[\\S\\u{1F600}]", "[^\\s\\u{1F600}]", "[\\x41-\\u{1F600}]", "a\\u{10000}?", "[\\u{FFF0}-\\u{10010}\\u{E000}]{1,3}", "[\\u{1003F}-\\u{10400}]",
    "[😀-🙏]", "[\\uD83D\\uDE00-\\uD83D\\uDE4F]|x", "\\u{41}\\u{0000e9}", "(\\u{10000}|[\\u{3FFFF}-\\u{40000}])+", "[\\u{100000}-\\u{10FFFF}]",
    // BMP-only ranges over every surrogate read the BMP only (u flag); `[\s\S]` and shorthands span every plane.
    "[\\u0020-\\uFFFF]+", "[^\\u0000-\\uFFFF]", "[\\s\\S]", "[\\W\\d]{2}", "\\S",
  ];
  const text = fc.array(edge, { maxLength: 4 }).map((cps) => String.fromCodePoint(...cps));
  // Strings each pattern matches whole, so that both verdicts come up for every pattern.
  const SAMPLES = ["😀", "😀🙏", "😀😀", "\x7f", "𐀀", "ab\u{10FFFF}", "x", "é", "A", "a", "a𐀀", "\uFFF0\uE000", "\u{1003F}", "Aé", "𐀀\u{3FFFF}", "\u{100000}"];
  for (const pattern of PATTERNS) {
    test(`${pattern}: whole-text regex and search-mode pattern equal RegExp with the u flag`, () => {
      const whole = new GrammarAutomaton(regexGrammar(pattern));
      const re = new RegExp(`^(?:${pattern})$`, "u");
      const schema = { type: "string", pattern };
      const search = new GrammarAutomaton(schemaGrammar(schema).grammar);
      const seen = new Set<boolean>();
      fc.assert(fc.property(text, (s) => {
        assert.equal(accepts(whole, s), re.test(s), `regex ${JSON.stringify(s)}`);
        assert.equal(accepts(search, JSON.stringify(s)), ajvValid(schema, s), `pattern ${JSON.stringify(s)}`);
        seen.add(re.test(s));
      }), { numRuns: 300, seed: 3, examples: SAMPLES.map((s) => [s]) });
      assert.equal(seen.size, 2, "both verdicts occur");
    });
  }

  test("an emoji class in a pattern: ajv and rsk agree on samples", () => {
    const schema = { type: "object", properties: { mood: { type: "string", pattern: "^[\\u{1F600}-\\u{1F64F}]{1,2}$" } }, required: ["mood"] };
    const a = new GrammarAutomaton(schemaGrammar(schema).grammar);
    for (const mood of ["😀", "😀🙏", "🙏🙏🙏", "😀a", "", "🚀", "\u{1F64F}", "\u{1F650}"]) {
      assert.equal(accepts(a, JSON.stringify({ mood })), ajvValid(schema, { mood }), mood);
    }
    assert.equal(accepts(a, '{"mood":"😀"}'), true);
  });

  test("malformed escapes and lone surrogates are refused naming the JSON path", () => {
    const path = "response_format.json_schema.schema";
    for (const [pattern, why] of [["\\u{110000}", /beyond U\+10FFFF/], ["[\\uD800-\\uDBFF]", /lone surrogate/], ["[a-\\uDFFF]", /lone surrogate/], ["x\\uDE00", /lone surrogate/],
      ["\\u{D83D}", /lone surrogate/], ["\\u{}", /malformed/], ["[\\u{1F600}", /missing '\]'/], ["[\\u{1F600}-a]", /out of order/], ["[\\d-\\u{1F600}]", /shorthand/]] as const) {
      const schema = { type: "object", properties: { x: { type: "string", pattern } } };
      assert.throws(() => schemaGrammar(schema, { path }), (err: unknown) => err instanceof GrammarError && err.keyword === "pattern" &&
        err.path === `${path}.properties.x.pattern` && why.test(err.message), pattern);
    }
  });
});

/** [text, valid IRI, valid IRI-reference]: labelled by hand from RFC 3987's ABNF. */
const LABELLED: [string, boolean, boolean][] = [
  ["https://example.com/a/b?c=d#e", true, true],
  ["https://例え.jp/パス?q=値#frag", true, true],
  ["https://ex.org/😀", true, true],
  ["http://a/?\uE000", true, true],
  ["http://a/?q=\u{F0000}\u{10FFFD}", true, true],
  ["http://a/\uE000", false, false],
  ["http://a/#\uE000", false, false],
  ["http://a/?\u{10FFFE}", false, false],
  ["http://ex.org/%E4%BE%8B", true, true],
  ["http://ex.org/%E4%B", false, false],
  ["http://ex.org/%zz", false, false],
  ["http://ex.org/a b", false, false],
  ["http://ex.org/<a>", false, false],
  ["http://ex.org/\u{1FFFE}", false, false],
  ["http://ex.org/\u{E0001}", false, false],
  ["http://ex.org/\u{E1000}", true, true],
  ["http://ex.org/\uFDD0", false, false],
  ["http://ex.org/\uFFF0", false, false],
  ["http://ex.org/\u00A0", true, true],
  ["http://ex.org/\u009F", false, false],
  ["http://üser@ホスト:8080/", true, true],
  ["http://[::1]:80/x", true, true],
  ["http://[v1.x]/", true, true],
  ["http://[v1.é]/", false, false],
  ["http://[é]/", false, false],
  ["1http://a", false, false],
  ["ht tp://a", false, false],
  ["é:x", false, false],
  ["urn:isbn:0451450523", true, true],
  ["mailto:名前@例え.jp", true, true],
  ["x:", true, true],
  ["../パス/b?c=値#e", false, true],
  ["//ホスト/p", false, true],
  ["#frag😀", false, true],
  ["", false, true],
  ["パス:x", false, false],
  ["./パス:x", false, true],
  ["a#b#c", false, false],
  ["http://h:8x/", false, false],
  ["http://a/\\", false, false],
];

describe("formats iri and iri-reference", () => {
  const iri = new GrammarAutomaton(schemaGrammar({ type: "string", format: "iri" }).grammar);
  const ref = new GrammarAutomaton(schemaGrammar({ type: "string", format: "iri-reference" }).grammar);

  test("hand-labelled cases: the judge and the grammar both match the labels", () => {
    for (const [s, isAbsolute, isRef] of LABELLED) {
      assert.equal(isIri(s), isAbsolute, `judge iri ${JSON.stringify(s)}`);
      assert.equal(isIriReference(s), isRef, `judge iri-reference ${JSON.stringify(s)}`);
      assert.equal(accepts(iri, JSON.stringify(s)), isAbsolute, `rsk iri ${JSON.stringify(s)}`);
      assert.equal(accepts(ref, JSON.stringify(s)), isRef, `rsk iri-reference ${JSON.stringify(s)}`);
    }
  });

  // Mixed alphabet: ASCII (reserved, unreserved, hex, excluded), BMP (ucschar, iprivate, neither), astral (ucschar,
  // iprivate, the excluded U+xFFFE and U+E0000 block), and IRI-shaped pieces so that valid strings come up often.
  const piece = fc.oneof(
    fc.constantFrom(...":/?#[]@!$&'()*+,;=%-._~", "a", "Z", "9", "e4", " ", "<", ">", "^", "`", "{", "|"),
    fc.constantFrom("é", "例", "パス", "\u00A0", "\u009F", "\uD7FF", "\uE000", "\uF8FF", "\uF900", "\uFDD0", "\uFDF0", "\uFFEF", "\uFFF0", "\uFFFD"),
    fc.constantFrom("😀", "\u{10000}", "\u{1FFFD}", "\u{1FFFE}", "\u{E0001}", "\u{E1000}", "\u{EFFFD}", "\u{F0000}", "\u{FFFFD}", "\u{10FFFD}", "\u{10FFFF}"),
    fc.constantFrom("http://", "//", "x:", "%41", "%E4%BE%8B", "%4", "[::1]", "[v7.a]", ":80", "ホスト", "üser@", "?q=値", "#f"),
  );
  const candidate = fc.array(piece, { maxLength: 8 }).map((parts) => parts.join(""));

  test("generated strings: rsk's verdict equals the judge's (iri and iri-reference, via ajv)", () => {
    const schemas = [{ type: "string", format: "iri" }, { type: "string", format: "iri-reference" }];
    const automata = schemas.map((s) => new GrammarAutomaton(schemaGrammar(s).grammar));
    let valid = 0;
    fc.assert(fc.property(candidate, (s) => {
      schemas.forEach((schema, i) => {
        const judged = ajvValid(schema, s);
        if (judged) valid++;
        assert.equal(accepts(automata[i]!, JSON.stringify(s)), judged, `${schema.format} ${JSON.stringify(s)}`);
      });
    }), { numRuns: 1500, seed: 3987 });
    assert.ok(valid > 300, `only ${valid} valid cases generated`);
  });

  test("token level: over cl100k_base, masks equal per-token viability and the token-by-token verdict equals the byte-level one", { timeout: 120_000 }, () => {
    const vocab = realVocab("cl100k_base");
    const trie = preparedTrie(vocab);
    const nTokens = vocab.offsets.length - 1;
    const has = (mask: Uint32Array, t: number) => ((mask[t >>> 5]! >>> (t & 31)) & 1) === 1;
    for (const format of ["iri", "iri-reference"]) {
      const schema = { type: "object", properties: { id: { type: "integer" }, home: { type: "string", format } }, required: ["home"] };
      const automaton = new GrammarAutomaton(schemaGrammar(schema).grammar);
      const masks = new TokenMasks(automaton, trie, [vocab.eos]);
      const scratch = new Uint32Array(masks.words);
      for (const [home] of LABELLED) {
        const text = JSON.stringify({ home });
        const matcher = new GrammarMatcher(masks);
        let alive = true;
        for (const token of [...encode(text), vocab.eos]) {
          const mask = matcher.mask();
          assert.deepEqual(mask, masks.compute(matcher.state, scratch), `${format} ${text}: state ${matcher.state}`);
          if (!has(mask, token)) {
            alive = false;
            break;
          }
          assert.ok(matcher.accept(token));
        }
        assert.equal(alive, accepts(automaton, text), `${format} ${text}: token-level verdict`);
        assert.equal(alive, ajvValid(schema, { home }), `${format} ${text}: ajv`);
      }
      // A few states inside the IRI: every token's mask bit is whether its bytes keep the text viable.
      for (const prefix of ['{"home": "https://例', '{"home": "https://ex.org/😀', '{"home": "x:/a?\uE000', '{"home": "x:/a?\uE000#', '{"home": "//ホ']) {
        const state = automaton.walk(automaton.start, encoder.encode(prefix));
        // Only the network-path reference is not an IRI prefix.
        assert.equal(state === DEAD, format === "iri" && prefix.includes("//ホ"), prefix);
        if (state === DEAD) continue;
        const mask = masks.mask(state);
        for (let t = 0; t < nTokens; t++) {
          const piece = vocab.bytes.subarray(vocab.offsets[t]!, vocab.offsets[t + 1]!);
          const expected = t === vocab.eos ? automaton.accepting(state) : piece.length > 0 && automaton.walk(state, piece) !== DEAD;
          if (has(mask, t) !== expected) assert.fail(`${format} ${prefix} token ${t}: mask ${has(mask, t)}, viable ${expected}`);
        }
      }
    }
  });
});
