/**
 * The schema corpus: ≥ 100 JSON Schemas (primitive, bounded, formats, patterns, combinators, recursive and
 * real-world shaped) with instances the grammar must accept and instances it must reject. Documents are given as
 * values (serialized compactly and pretty-printed) or as raw text (`raw`) for syntax-level cases.
 */

/** One corpus entry. */
export interface CorpusEntry {
  /** Unique name (test titles). */
  readonly name: string;
  /** The schema. */
  readonly schema: Record<string, unknown>;
  /** Instances ajv accepts and the grammar must accept. */
  readonly valid: readonly unknown[];
  /** Instances ajv rejects and the grammar must reject. */
  readonly invalid: readonly unknown[];
  /** Texts the grammar must reject that are not JSON values (truncated, malformed). */
  readonly rawInvalid?: readonly string[];
}

const e = (name: string, schema: Record<string, unknown>, valid: unknown[], invalid: unknown[], rawInvalid?: string[]): CorpusEntry => ({ name, schema, valid, invalid, rawInvalid });
const obj = (properties: Record<string, unknown>, required: string[] = Object.keys(properties), extra: Record<string, unknown> = {}) =>
  ({ type: "object", properties, required, additionalProperties: false, ...extra });

const primitives: CorpusEntry[] = [
  e("string", { type: "string" }, ["", "hello", "quote \" and \\ and \n", "ünïcødé 😀"], [1, null, true, []], ['"abc', "'abc'"]),
  e("integer", { type: "integer" }, [0, -7, 123456789], [1.5, "1", null], ["01", "-", "1."]),
  e("number", { type: "number" }, [0, -0.5, 3.14, 1e21, 2.5e-8], ["1", null, []], ["1.", ".5", "+1", "1e"]),
  e("boolean", { type: "boolean" }, [true, false], [0, "true", null], ["tru", "True"]),
  e("null", { type: "null" }, [null], [0, "null", false], ["nul"]),
  e("string-or-null", { type: ["string", "null"] }, ["a", null], [1, false]),
  e("any", {}, [1, "x", null, { a: [1, { b: false }] }, [[]]], [], ["{", "[1,]", "{a:1}"]),
  e("true-schema-prop", obj({ x: true }), [{ x: 1 }, { x: { y: [null] } }], [{}, { y: 1 }]),
  e("integer-or-boolean", { type: ["integer", "boolean"] }, [3, true], [3.5, "x"]),
  e("number-union", { type: ["number", "string"] }, [1, 2.5, "x"], [null, {}]),
];

const strings: CorpusEntry[] = [
  e("len-0-3", { type: "string", maxLength: 3 }, ["", "abc", "é😀z"], ["abcd", "😀😀😀😀"]),
  e("len-2-5", { type: "string", minLength: 2, maxLength: 5 }, ["ab", "abcde"], ["a", "abcdef"]),
  e("len-1-1", { type: "string", minLength: 1, maxLength: 1 }, ["x", "\n"], ["", "xy"]),
  e("len-min-5", { type: "string", minLength: 5 }, ["abcde", "abcdefghij"], ["abcd", ""]),
  e("date", { type: "string", format: "date" }, ["2024-02-29", "1999-12-31"], ["2024-13-01", "2024-1-01", "20240101"]),
  e("time", { type: "string", format: "time" }, ["12:34:56Z", "23:59:59.123+02:00"], ["24:00:00Z", "12:34Z", "12:34:56"]),
  e("date-time", { type: "string", format: "date-time" }, ["2024-01-31T12:00:00Z", "2024-01-31T12:00:00.5-05:00"], ["2024-01-31 12:00:00Z", "2024-01-31T12:00:00"]),
  e("email", { type: "string", format: "email" }, ["a@b.co", "first.last+tag@mail.example.org"], ["a@b", "@b.co", "a b@c.de"]),
  e("uuid", { type: "string", format: "uuid" }, ["123e4567-e89b-12d3-a456-426614174000"], ["123e4567e89b12d3a456426614174000", "123e4567-e89b-12d3-a456-42661417400"]),
  e("uri", { type: "string", format: "uri" }, ["https://example.com/a?b=c#d", "mailto:x@y.z"], ["example.com", "http://a b"]),
  e("ipv4", { type: "string", format: "ipv4" }, ["192.168.0.1", "0.0.0.0", "255.255.255.255"], ["256.1.1.1", "1.2.3", "01.2.3.4"]),
  e("iri", { type: "string", format: "iri" }, ["https://例え.jp/パス?q=値#frag", "https://ex.org/😀", "http://a/?\uE000", "urn:x:%E4%BE%8B"], ["../パス", "http://a/\uE000", "http://a b", "http://a/<x>", "http://a/%4g", "1a:b"]),
  e("iri-reference", { type: "string", format: "iri-reference" }, ["../パス/b?c=値#e", "//ホスト/😀", "", "https://ex.org/a"], ["パス:x", "#a#b", "?\uE000#\uE000", "http://[é]/"]),
  e("pattern-emoji", { type: "string", pattern: "^[\\u{1F600}-\\u{1F64F}]+$" }, ["😀", "😀🙏"], ["", "😀x", "🚀"]),
  e("pattern-lower", { type: "string", pattern: "^[a-z]+$" }, ["abc"], ["", "aBc", "abc1"]),
  e("pattern-phone", { type: "string", pattern: "^\\d{3}-\\d{4}$" }, ["555-1234"], ["5551234", "555-12345"]),
  e("pattern-unanchored", { type: "string", pattern: "ab+c" }, ["abc", "xxabbbcyy"], ["ac", "abx"]),
  e("pattern-alt", { type: "string", pattern: "^(foo|bar)baz?$" }, ["fooba", "barba", "foobaz"], ["foo", "foob", "baz"]),
  e("pattern-title", { type: "string", pattern: "^[A-Z][a-z]*( [A-Z][a-z]*)*$" }, ["Hello World", "A"], ["hello", "Hello  World"]),
  e("pattern-hex-color", { type: "string", pattern: "^#[0-9a-fA-F]{6}$" }, ["#a0B1c2"], ["#a0B1c", "a0B1c2"]),
  e("pattern-start-only", { type: "string", pattern: "^id-" }, ["id-", "id-42x"], ["xid-"]),
  e("pattern-end-only", { type: "string", pattern: "\\.json$" }, ["a.json", ".json"], ["a.jsonx"]),
];

const numbers: CorpusEntry[] = [
  e("int-0-10", { type: "integer", minimum: 0, maximum: 10 }, [0, 5, 10], [-1, 11, 100]),
  e("int-neg5-5", { type: "integer", minimum: -5, maximum: 5 }, [-5, 0, 5], [-6, 6]),
  e("int-100-999", { type: "integer", minimum: 100, maximum: 999 }, [100, 567, 999], [99, 1000]),
  e("int-neg-range", { type: "integer", minimum: -1000, maximum: -10 }, [-1000, -10, -555], [-9, -1001, 0]),
  e("int-min-18", { type: "integer", minimum: 18 }, [18, 19, 1000000], [17, 0, -18]),
  e("int-max-0", { type: "integer", maximum: 0 }, [0, -1, -99999], [1, 10]),
  e("int-excl-min-0", { type: "integer", exclusiveMinimum: 0 }, [1, 42], [0, -1]),
  e("int-0-1e6", { type: "integer", minimum: 0, maximum: 1000000 }, [0, 999999, 1000000], [1000001, -1]),
  e("int-frac-bounds", { type: "integer", minimum: 0.5, maximum: 3.5 }, [1, 3], [0, 4]),
  e("num-0-1", { type: "number", minimum: 0, maximum: 1 }, [0, 0.25, 1, 1.0], [1.01, -0.1, 2]),
  e("num-neg1-1", { type: "number", minimum: -1, maximum: 1 }, [-1, -0.999, 0, 0.5, 1], [-1.5, 1.0001]),
  e("num-positive", { type: "number", exclusiveMinimum: 0 }, [0.001, 5, 123.5], [0, -0.5]),
  e("num-max-100", { type: "number", maximum: 100 }, [100, -5.5, 99.99], [100.01, 1000]),
  e("num-open-10-20", { type: "number", exclusiveMinimum: 10, exclusiveMaximum: 20 }, [10.5, 15, 19.999], [10, 20, 21]),
];

const enums: CorpusEntry[] = [
  e("enum-strings", { enum: ["red", "green", "blue"] }, ["red", "blue"], ["Red", "yellow", 1]),
  e("enum-mixed", { enum: [1, "a", null, true] }, [1, "a", null, true], [2, "b", false]),
  e("const-string", { const: "fixed" }, ["fixed"], ["fixe", "fixedd"]),
  e("const-object", { const: { a: 1, b: [true] } }, [{ a: 1, b: [true] }], [{ a: 1 }, { a: 1, b: [false] }]),
  e("enum-typed", { type: "string", enum: ["x", 1, "y"] }, ["x", "y"], [1, "z"]),
];

const arrays: CorpusEntry[] = [
  e("array-int", { type: "array", items: { type: "integer" } }, [[], [1, 2, 3]], [[1.5], ["a"], {}]),
  e("array-min-1", { type: "array", items: { type: "string" }, minItems: 1 }, [["a"], ["a", "b"]], [[]]),
  e("array-max-2", { type: "array", items: { type: "boolean" }, maxItems: 2 }, [[], [true], [true, false]], [[true, true, true]]),
  e("array-exact-3", { type: "array", items: { type: "null" }, minItems: 3, maxItems: 3 }, [[null, null, null]], [[null, null], [null, null, null, null]]),
  e("tuple", { type: "array", prefixItems: [{ type: "string" }, { type: "integer" }] }, [["a", 1], ["a"], [], ["a", 1, { x: 1 }]], [[1, "a"], ["a", "b"]]),
  e("tuple-closed", { type: "array", prefixItems: [{ type: "string" }, { type: "integer" }], items: false, minItems: 2 }, [["a", 1]], [["a"], ["a", 1, 2]]),
  e("tuple-then-items", { type: "array", prefixItems: [{ const: "head" }], items: { type: "number" } }, [["head"], ["head", 1, 2.5]], [["tail"], ["head", "x"]]),
  e("nested-arrays", { type: "array", items: { type: "array", items: { type: "integer" }, maxItems: 2 } }, [[[1, 2], [], [3]]], [[[1, 2, 3]], [1]]),
  e("array-of-enums", { type: "array", items: { enum: ["a", "b"] }, minItems: 1, maxItems: 4 }, [["a"], ["a", "b", "b", "a"]], [[], ["c"], ["a", "a", "a", "a", "a"]]),
  e("draft7-tuple", { type: "array", items: [{ type: "integer" }, { type: "string" }], additionalItems: false }, [[1, "a"], [1], []], [[1, "a", 2], ["a"]]),
];

const objects: CorpusEntry[] = [
  e("obj-required", obj({ a: { type: "string" }, b: { type: "integer" } }), [{ a: "x", b: 1 }], [{ a: "x" }, { b: 1 }, { a: "x", b: 1, c: 2 }, {}], ['{"a":"x","b":1', '{"a":"x" "b":1}']),
  e("obj-optional", obj({ a: { type: "string" }, b: { type: "integer" }, c: { type: "boolean" } }, ["b"]), [{ b: 1 }, { a: "x", b: 1 }, { b: 1, c: true }, { a: "", b: 2, c: false }], [{ a: "x" }, {}, { b: "1" }]),
  e("obj-all-optional", obj({ a: { type: "string" }, b: { type: "integer" } }, []), [{}, { a: "x" }, { b: 2 }, { a: "x", b: 2 }], [{ c: 1 }, { a: 1 }]),
  e("obj-additional-true", { type: "object", properties: { a: { type: "integer" } }, required: ["a"] }, [{ a: 1 }, { a: 1, z: "anything", y: [null] }], [{ z: 1 }, { a: "x" }]),
  e("obj-additional-schema", { type: "object", properties: { id: { type: "integer" } }, additionalProperties: { type: "string" } }, [{}, { id: 1 }, { id: 1, x: "a", y: "b" }, { x: "a" }], [{ id: 1, x: 2 }, { x: null }]),
  e("obj-additional-prefix-names", { type: "object", properties: { ab: { type: "integer" } }, additionalProperties: { type: "boolean" } }, [{ ab: 1, a: true, abc: false, b: true }], [{ ab: 1, ab2: 3 }]),
  e("obj-nested", obj({ user: obj({ name: { type: "string" }, address: obj({ city: { type: "string" }, zip: { type: "string", pattern: "^[0-9]{5}$" } }) }) }), [{ user: { name: "a", address: { city: "b", zip: "12345" } } }], [{ user: { name: "a", address: { city: "b", zip: "1234" } } }, { user: { name: "a" } }]),
  e("obj-empty-closed", { type: "object", additionalProperties: false }, [{}], [{ a: 1 }]),
  e("obj-required-unlisted", { type: "object", properties: { a: { type: "integer" } }, required: ["a", "b"] }, [{ a: 1, b: "anything" }], [{ a: 1 }]),
  e("obj-no-type", { properties: { a: { type: "integer" } }, required: ["a"], additionalProperties: false }, [{ a: 1 }], [{ a: 1, b: 2 }, { b: 1 }]),
  e("obj-json-object", { type: "object" }, [{}, { a: 1 }, { "": [null] }], [[], "x", 1]),
  e("obj-escaped-key", obj({ "a b": { type: "integer" }, "ü": { type: "integer" } }), [{ "a b": 1, "ü": 2 }], [{ "a b": 1 }]),
];

const combinators: CorpusEntry[] = [
  e("anyOf-string-int", { anyOf: [{ type: "string" }, { type: "integer" }] }, ["a", 1], [1.5, null]),
  e("oneOf-tagged", { oneOf: [obj({ kind: { const: "circle" }, r: { type: "number" } }), obj({ kind: { const: "rect" }, w: { type: "number" }, h: { type: "number" } })] }, [{ kind: "circle", r: 1 }, { kind: "rect", w: 1, h: 2 }], [{ kind: "circle", w: 1, h: 2 }, { kind: "square", r: 1 }]),
  e("allOf-merge", { allOf: [{ type: "object", properties: { a: { type: "integer" } }, required: ["a"] }, { properties: { b: { type: "string" } }, required: ["b"] }] }, [{ a: 1, b: "x" }], [{ a: 1 }, { b: "x" }]),
  e("allOf-ref", { $defs: { base: { type: "object", properties: { id: { type: "integer" } }, required: ["id"] } }, allOf: [{ $ref: "#/$defs/base" }, { properties: { name: { type: "string" } }, required: ["name"] }] }, [{ id: 1, name: "x" }], [{ id: 1 }, { name: "x" }]),
  e("type-with-anyOf", { type: "object", anyOf: [{ properties: { a: { type: "integer" } }, required: ["a"], additionalProperties: false }, { properties: { b: { type: "integer" } }, required: ["b"], additionalProperties: false }] }, [{ a: 1 }, { b: 2 }], [{ c: 3 }, { a: "x" }]),
  e("nullable-anyOf", { anyOf: [{ type: "string", maxLength: 2 }, { type: "null" }] }, ["ab", null], ["abc", 0]),
  e("allOf-bounds", { allOf: [{ type: "integer", minimum: 0 }, { maximum: 10 }] }, [0, 10], [-1, 11]),
];

const tree = { $defs: { node: obj({ value: { type: "integer" }, children: { type: "array", items: { $ref: "#/$defs/node" } } }, ["value"]) }, $ref: "#/$defs/node" };
const refs: CorpusEntry[] = [
  e("ref-simple", { $defs: { name: { type: "string", minLength: 1 } }, type: "object", properties: { first: { $ref: "#/$defs/name" }, last: { $ref: "#/$defs/name" } }, required: ["first", "last"], additionalProperties: false }, [{ first: "a", last: "b" }], [{ first: "", last: "b" }]),
  e("ref-tree", tree, [{ value: 1 }, { value: 1, children: [{ value: 2, children: [{ value: 3 }] }, { value: 4, children: [] }] }], [{ value: 1, children: [{ children: [] }] }, { value: "x" }]),
  e("ref-linked-list", { $defs: { list: { anyOf: [{ type: "null" }, obj({ head: { type: "integer" }, tail: { $ref: "#/$defs/list" } })] } }, $ref: "#/$defs/list" }, [null, { head: 1, tail: { head: 2, tail: null } }], [{ head: 1 }, { head: 1, tail: { head: "x", tail: null } }]),
  e("ref-mutual", { $defs: { a: obj({ b: { anyOf: [{ $ref: "#/$defs/b" }, { type: "null" }] } }), b: obj({ a: { anyOf: [{ $ref: "#/$defs/a" }, { type: "null" }] } }) }, $ref: "#/$defs/a" }, [{ b: null }, { b: { a: { b: null } } }], [{ b: { b: null } }]),
  e("ref-root", { type: "object", properties: { name: { type: "string" }, sub: { $ref: "#" } }, required: ["name"], additionalProperties: false }, [{ name: "a" }, { name: "a", sub: { name: "b", sub: { name: "c" } } }], [{ name: "a", sub: {} }]),
  e("ref-definitions", { definitions: { pos: { type: "integer", minimum: 1 } }, type: "array", items: { $ref: "#/definitions/pos" } }, [[1, 2, 3]], [[0], [1, -1]]),
  e("json-expression", { $defs: { expr: { anyOf: [{ type: "number" }, obj({ op: { enum: ["+", "-", "*"] }, args: { type: "array", items: { $ref: "#/$defs/expr" }, minItems: 2, maxItems: 2 } })] } }, $ref: "#/$defs/expr" }, [1, { op: "+", args: [1, { op: "*", args: [2, 3] }] }], [{ op: "/", args: [1, 2] }, { op: "+", args: [1] }]),
];

const str = { type: "string" };
const int = { type: "integer" };
const num = { type: "number" };
const bool = { type: "boolean" };
const realWorld: CorpusEntry[] = [
  e("user-profile", obj({ id: { type: "string", format: "uuid" }, name: str, email: { type: "string", format: "email" }, age: { type: "integer", minimum: 0, maximum: 150 }, verified: bool }, ["id", "name", "email"]),
    [{ id: "123e4567-e89b-12d3-a456-426614174000", name: "Ada", email: "ada@example.com", age: 36, verified: true }], [{ id: "x", name: "Ada", email: "ada@example.com" }, { id: "123e4567-e89b-12d3-a456-426614174000", name: "Ada", email: "ada@example.com", age: 200 }]),
  e("address", obj({ street: str, city: str, country: { type: "string", minLength: 2, maxLength: 2 }, postal_code: { type: "string", pattern: "^[A-Z0-9 -]{3,10}$" } }),
    [{ street: "1 Main St", city: "Springfield", country: "US", postal_code: "12345" }], [{ street: "1 Main St", city: "Springfield", country: "USA", postal_code: "12345" }]),
  e("product", obj({ sku: { type: "string", pattern: "^[A-Z]{3}-[0-9]{4}$" }, title: str, price: { type: "number", minimum: 0 }, currency: { enum: ["USD", "EUR", "GBP"] }, tags: { type: "array", items: str, maxItems: 5 } }, ["sku", "title", "price", "currency"]),
    [{ sku: "ABC-1234", title: "Widget", price: 9.99, currency: "USD", tags: ["a", "b"] }], [{ sku: "ABC-1234", title: "Widget", price: -1, currency: "USD" }, { sku: "AB-1234", title: "W", price: 1, currency: "USD" }]),
  e("order", obj({ order_id: int, items: { type: "array", minItems: 1, items: obj({ sku: str, qty: { type: "integer", minimum: 1 } }) }, status: { enum: ["pending", "shipped", "delivered"] } }),
    [{ order_id: 7, items: [{ sku: "a", qty: 1 }, { sku: "b", qty: 3 }], status: "shipped" }], [{ order_id: 7, items: [], status: "shipped" }, { order_id: 7, items: [{ sku: "a", qty: 0 }], status: "shipped" }]),
  e("github-issue", obj({ title: str, body: { type: ["string", "null"] }, labels: { type: "array", items: str }, assignee: { anyOf: [obj({ login: str }), { type: "null" }] }, state: { enum: ["open", "closed"] } }),
    [{ title: "Bug", body: null, labels: ["bug"], assignee: { login: "octo" }, state: "open" }], [{ title: "Bug", body: null, labels: ["bug"], assignee: { login: 1 }, state: "open" }]),
  e("calendar-event", obj({ summary: str, start: { type: "string", format: "date-time" }, end: { type: "string", format: "date-time" }, attendees: { type: "array", items: { type: "string", format: "email" } }, all_day: bool }, ["summary", "start", "end"]),
    [{ summary: "Standup", start: "2024-05-01T09:00:00Z", end: "2024-05-01T09:15:00Z", attendees: ["a@b.co"] }], [{ summary: "Standup", start: "tomorrow", end: "2024-05-01T09:15:00Z" }]),
  e("weather", obj({ location: str, temperature_c: { type: "number", minimum: -100, maximum: 70 }, conditions: { enum: ["sunny", "cloudy", "rain", "snow"] }, humidity: { type: "integer", minimum: 0, maximum: 100 } }),
    [{ location: "Paris", temperature_c: 21.5, conditions: "sunny", humidity: 40 }], [{ location: "Paris", temperature_c: 21.5, conditions: "sunny", humidity: 101 }]),
  e("tool-call-args", obj({ query: str, max_results: { type: "integer", minimum: 1, maximum: 50 }, filters: obj({ language: { type: ["string", "null"] }, since: { type: ["string", "null"], format: "date" } }) }),
    [{ query: "rsk", max_results: 10, filters: { language: null, since: "2024-01-01" } }], [{ query: "rsk", max_results: 0, filters: { language: null, since: null } }]),
  e("log-entry", obj({ ts: { type: "string", format: "date-time" }, level: { enum: ["debug", "info", "warn", "error"] }, message: str, context: { type: "object", additionalProperties: { type: ["string", "number", "boolean"] } } }, ["ts", "level", "message"]),
    [{ ts: "2024-01-01T00:00:00Z", level: "info", message: "up", context: { port: 8787, tls: false } }], [{ ts: "2024-01-01T00:00:00Z", level: "fatal", message: "x" }]),
  e("invoice", obj({ number: { type: "string", pattern: "^INV-[0-9]{6}$" }, lines: { type: "array", items: obj({ description: str, amount: { type: "number", minimum: 0 } }), minItems: 1 }, total: { type: "number", minimum: 0 }, paid: bool }),
    [{ number: "INV-000123", lines: [{ description: "x", amount: 10 }], total: 10, paid: false }], [{ number: "INV-123", lines: [{ description: "x", amount: 10 }], total: 10, paid: false }]),
  e("chat-message", obj({ role: { enum: ["system", "user", "assistant"] }, content: str, name: { type: "string", pattern: "^[a-zA-Z0-9_-]{1,64}$" } }, ["role", "content"]),
    [{ role: "user", content: "hi" }, { role: "assistant", content: "", name: "bot_1" }], [{ role: "tool", content: "hi" }]),
  e("search-results", obj({ total: { type: "integer", minimum: 0 }, results: { type: "array", items: obj({ url: { type: "string", format: "uri" }, score: { type: "number", minimum: 0, maximum: 1 } }) } }),
    [{ total: 1, results: [{ url: "https://a.io/x", score: 0.9 }] }], [{ total: 1, results: [{ url: "https://a.io/x", score: 1.5 }] }]),
  e("recipe", obj({ title: str, servings: { type: "integer", minimum: 1, maximum: 20 }, ingredients: { type: "array", items: obj({ name: str, quantity: num, unit: { enum: ["g", "ml", "pcs", "tbsp"] } }) }, steps: { type: "array", items: str, minItems: 1 } }),
    [{ title: "Tea", servings: 1, ingredients: [{ name: "water", quantity: 250, unit: "ml" }], steps: ["boil"] }], [{ title: "Tea", servings: 1, ingredients: [], steps: [] }]),
  e("geo-point", obj({ lat: { type: "number", minimum: -90, maximum: 90 }, lon: { type: "number", minimum: -180, maximum: 180 } }),
    [{ lat: 48.85, lon: 2.35 }, { lat: -90, lon: 180 }], [{ lat: 91, lon: 0 }, { lat: 0, lon: -180.5 }]),
  e("json-patch", { type: "array", items: { oneOf: [obj({ op: { enum: ["add", "replace", "test"] }, path: str, value: {} }), obj({ op: { const: "remove" }, path: str }), obj({ op: { enum: ["move", "copy"] }, from: str, path: str })] } },
    [[{ op: "add", path: "/a", value: 1 }, { op: "remove", path: "/b" }, { op: "move", from: "/c", path: "/d" }]], [[{ op: "remove", path: "/b", value: 1 }], [{ op: "drop", path: "/b" }]]),
  e("package-json", { type: "object", properties: { name: { type: "string", pattern: "^[a-z0-9-]+$" }, version: { type: "string", pattern: "^[0-9]+\\.[0-9]+\\.[0-9]+$" }, private: bool, dependencies: { type: "object", additionalProperties: str } }, required: ["name", "version"], additionalProperties: false },
    [{ name: "rsk", version: "0.1.0", private: true, dependencies: { hono: "^4.0.0" } }], [{ name: "RSK", version: "0.1.0" }, { name: "rsk", version: "0.1" }]),
  e("server-config", obj({ host: { type: "string", format: "ipv4" }, port: { type: "integer", minimum: 1, maximum: 65535 }, tls: obj({ enabled: bool, cert: str }, ["enabled"]), workers: { type: "integer", minimum: 1, maximum: 64 } }, ["host", "port"]),
    [{ host: "127.0.0.1", port: 8787 }, { host: "0.0.0.0", port: 443, tls: { enabled: true, cert: "/x.pem" }, workers: 4 }], [{ host: "127.0.0.1", port: 70000 }, { host: "localhost", port: 80 }]),
  e("classification", obj({ label: { enum: ["positive", "negative", "neutral"] }, confidence: { type: "number", minimum: 0, maximum: 1 }, reasons: { type: "array", items: str, maxItems: 3 } }, ["label", "confidence"]),
    [{ label: "neutral", confidence: 0.5 }, { label: "positive", confidence: 1, reasons: ["a", "b", "c"] }], [{ label: "positive", confidence: 1, reasons: ["a", "b", "c", "d"] }]),
  e("entities", obj({ entities: { type: "array", items: obj({ text: str, type: { enum: ["PERSON", "ORG", "LOC"] }, start: { type: "integer", minimum: 0 }, end: { type: "integer", minimum: 0 } }) } }),
    [{ entities: [{ text: "Ada", type: "PERSON", start: 0, end: 3 }] }], [{ entities: [{ text: "Ada", type: "PER", start: 0, end: 3 }] }]),
  e("sentiment-batch", { type: "array", items: { type: "array", prefixItems: [{ type: "integer", minimum: 0 }, { enum: [-1, 0, 1] }], items: false, minItems: 2 }, maxItems: 10 },
    [[[0, 1], [1, -1]], []], [[[0, 2]], [[0]]]),
  e("survey", obj({ answers: { type: "array", items: { anyOf: [{ type: "integer", minimum: 1, maximum: 5 }, { type: "string", maxLength: 100 }, { type: "null" }] } }, completed_at: { type: "string", format: "date" } }),
    [{ answers: [1, "ok", null, 5], completed_at: "2024-06-30" }], [{ answers: [6], completed_at: "2024-06-30" }]),
  e("link-card", obj({ url: { type: "string", format: "iri" }, canonical: { type: "string", format: "iri-reference" }, title: { type: "string", maxLength: 80 }, reaction: { type: "string", pattern: "^[\\u{1F300}-\\u{1FAFF}]$" } }, ["url", "title"]),
    [{ url: "https://例え.jp/記事/42", canonical: "/記事/42", title: "例え", reaction: "👍" }, { url: "https://ex.org/😀?q=\u{F0000}", title: "" }],
    [{ url: "/記事/42", title: "x" }, { url: "https://ex.org/a b", title: "x" }, { url: "https://ex.org/", title: "x", reaction: "ok" }]),
  e("feature-flags", { type: "object", additionalProperties: { type: "boolean" } },
    [{}, { beta: true, dark_mode: false }], [{ beta: "yes" }]),
];

/** Every corpus entry (≥ 100). */
export const CORPUS: readonly CorpusEntry[] = [...primitives, ...strings, ...numbers, ...enums, ...arrays, ...objects, ...combinators, ...refs, ...realWorld]
  .map((entry) => ({ ...entry, schema: JSON.parse(JSON.stringify(entry.schema)) as Record<string, unknown> }));

/** Schemas with unsupported keywords and the JSON path + keyword the error must name. */
export const REFUSED: readonly { readonly schema: Record<string, unknown>; readonly path: string; readonly keyword: string }[] = [
  { schema: { type: "number", multipleOf: 0.01 }, path: "schema.multipleOf", keyword: "multipleOf" },
  { schema: { type: "array", items: { type: "integer" }, uniqueItems: true }, path: "schema.uniqueItems", keyword: "uniqueItems" },
  { schema: { type: "array", contains: { type: "integer" } }, path: "schema.contains", keyword: "contains" },
  { schema: { if: { type: "string" }, then: { maxLength: 2 } }, path: "schema.if", keyword: "if" },
  { schema: { type: "string", format: "regex" }, path: "schema.format", keyword: "format" },
  { schema: { type: "object", properties: { home: { type: "string", format: "uri-template" } } }, path: "schema.properties.home.format", keyword: "format" },
  { schema: { type: "number", minimum: 0.5 }, path: "schema.minimum", keyword: "minimum" },
  { schema: { type: "string", pattern: "^(a)\\1$" }, path: "schema.pattern", keyword: "pattern" },
  { schema: { type: "string", pattern: "a\\bb" }, path: "schema.pattern", keyword: "pattern" },
  { schema: { $ref: "https://example.com/schema.json" }, path: "schema.$ref", keyword: "$ref" },
  { schema: { $ref: "#/$defs/missing" }, path: "schema.$ref", keyword: "$ref" },
  { schema: { type: "array", minItems: 3, maxItems: 2 }, path: "schema", keyword: "minItems" },
  { schema: { type: "object", unevaluatedProperties: false }, path: "schema", keyword: "unevaluatedProperties" },
  { schema: { type: "object", properties: { x: { not: { required: ["a"] } } } }, path: "schema.properties.x.not", keyword: "not" },
  { schema: { type: "object", propertyNames: { minProperties: 1 } }, path: "schema.propertyNames", keyword: "propertyNames" },
  { schema: { type: "object", dependencies: { a: { required: ["b"] } } }, path: "schema.dependencies.a", keyword: "dependencies" },
  { schema: { type: "string", format: "uri", maxLength: 5000 }, path: "schema", keyword: "maxLength" },
];
