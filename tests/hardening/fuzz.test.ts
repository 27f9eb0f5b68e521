/**
 * fast-check fuzzing of the request parser and validator (called directly: ≥ 10k cases each, fast) and of the whole
 * app through `app.request()`: any input ends in a value or a 4xx ApiError in OpenAI's shape, never anything else.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { verifyAuditLog } from "../../src/audit/verify.ts";
import { bearerToken } from "../../src/auth/access.ts";
import type { Backend, BackendEvent } from "../../src/backends/types.ts";
import { PolicyStore } from "../../src/policy/store.ts";
import { createGateway } from "../../src/server/app.ts";
import { DEFAULT_POLICY } from "../../src/policy/store.ts";
import { ApiError } from "../../src/server/errors.ts";
import { parseJsonBody, validate } from "../../src/server/validate.ts";
import { chatRequest, completionRequest } from "../../src/server/wire.ts";

const limits = { maxTokens: 32_768, maxChoices: 8 };
const chat = chatRequest(limits);
const completion = completionRequest(limits);
const enc = new TextEncoder();

/** Parses and validates like the routes do; returns "ok" or the 4xx error, and fails on anything else. */
function outcome(bytes: Uint8Array, schema: typeof chat | typeof completion = chat): "ok" | ApiError {
  try {
    validate(schema, parseJsonBody(bytes.slice().buffer));
    return "ok";
  } catch (err) {
    assert.ok(err instanceof ApiError, `not an ApiError: ${String(err)}`);
    assert.equal(err.status, 400);
    assert.ok(err.message.length > 0 && err.message.length < 100_000);
    assert.ok(err.param === null || typeof err.param === "string");
    return err;
  }
}

const value = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(-1, 0, 1, 2, 1.5, 1e308, -0, 2 ** 53, "", "x", null, true, [], {}),
);
const message = fc.record({
  role: fc.oneof(fc.constantFrom("system", "developer", "user", "assistant"), fc.string()),
  content: fc.oneof(fc.string(), fc.array(fc.record({ type: fc.constantFrom("text", "image_url", "x"), text: fc.string() }), { maxLength: 3 }), value),
}, { requiredKeys: [] });
/** Requests near the valid ones: every known field, each possibly missing or of a wrong type, plus unknown fields. */
const request = fc.record({
  model: fc.oneof(fc.string(), value),
  messages: fc.oneof(fc.array(message, { maxLength: 4 }), value),
  stream: fc.oneof(fc.boolean(), value),
  max_tokens: fc.oneof(fc.integer({ min: -10, max: 100_000 }), value),
  n: fc.oneof(fc.integer({ min: -2, max: 20 }), value),
  temperature: fc.oneof(fc.double(), value),
  top_p: fc.oneof(fc.double(), value),
  stop: fc.oneof(fc.array(fc.string(), { maxLength: 6 }), value),
  logit_bias: fc.oneof(fc.dictionary(fc.string(), fc.double()), value),
  response_format: fc.oneof(fc.record({ type: fc.constantFrom("text", "json_object", "json_schema", "x") }), value),
  seed: fc.oneof(fc.integer(), value),
}, { requiredKeys: [] });

describe("fuzzing the request parser and validator", () => {
  test("arbitrary bytes → a body or a 400 (10k cases)", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => void outcome(bytes)), { numRuns: 10_000 });
  });

  test("arbitrary strings, including lone surrogates → a body or a 400 (10k cases)", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 200 }), (s) => void outcome(enc.encode(s))), { numRuns: 10_000 });
  });

  test("near-valid chat requests → a body or a 400 naming a field of the request (10k cases)", { timeout: 60_000 }, () => {
    fc.assert(fc.property(request, fc.dictionary(fc.string({ maxLength: 8 }), value, { maxKeys: 2 }), (req, extra) => {
      const result = outcome(enc.encode(JSON.stringify({ ...extra, ...req })));
      if (result !== "ok" && result.param !== null) assert.ok(result.message.includes(result.param.split(".")[0]!), result.message);
    }), { numRuns: 10_000 });
  });

  test("a valid request with one character inserted, deleted or replaced → a body or a 400 (10k cases)", () => {
    const base = JSON.stringify({ model: "m", max_tokens: 5, temperature: 0.7, messages: [{ role: "user", content: "hello" }], stop: ["x"] });
    const edit = fc.tuple(fc.nat({ max: base.length }), fc.constantFrom("insert", "delete", "replace"), fc.string({ unit: "binary", minLength: 1, maxLength: 2 }));
    fc.assert(fc.property(edit, ([at, kind, ch]) => {
      const text = kind === "insert" ? base.slice(0, at) + ch + base.slice(at)
        : kind === "delete" ? base.slice(0, at) + base.slice(at + 1)
        : base.slice(0, at) + ch + base.slice(at + 1);
      outcome(enc.encode(text));
    }), { numRuns: 10_000 });
  });

  test("completion requests → a body or a 400 (10k cases)", () => {
    const req = fc.record({ model: fc.oneof(fc.string(), value), prompt: fc.oneof(fc.string(), fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 3 }), value), echo: fc.oneof(fc.boolean(), value) }, { requiredKeys: [] });
    fc.assert(fc.property(req, (r) => void outcome(enc.encode(JSON.stringify(r)), completion)), { numRuns: 10_000 });
  });

  test("bearer token parsing never throws and never returns whitespace (10k cases)", () => {
    fc.assert(fc.property(fc.oneof(fc.string({ unit: "binary" }), fc.string().map((s) => `Bearer ${s}`)), (h) => {
      const token = bearerToken(h);
      assert.ok(token === undefined || (token.length > 0 && !/\s/.test(token)));
    }), { numRuns: 10_000 });
  });

  test("audit verify never throws on arbitrary files (2k cases)", () => {
    const line = fc.oneof(fc.string(), fc.jsonValue().map((j) => JSON.stringify(j)), fc.constant('{"seq":0,"ts":"x","event":"open","mac":"' + "0".repeat(64) + '"}'));
    fc.assert(fc.property(fc.array(line, { maxLength: 6 }), fc.boolean(), (lines, newline) => {
      const report = verifyAuditLog(lines.join("\n") + (newline ? "\n" : ""), "k".repeat(16));
      assert.equal(typeof report.ok, "boolean");
    }), { numRuns: 2_000 });
  });
});

describe("fuzzing the whole app (app.request)", () => {
  const backend: Backend = {
    models: async () => [],
    async *generate(): AsyncIterable<BackendEvent> {
      yield { type: "text", choice: 0, text: "ok" };
      yield { type: "finish", choice: 0, reason: "stop" };
    },
  };
  const policies = new PolicyStore(DEFAULT_POLICY);
  const app = createGateway({ backend, policies, maxBodyBytes: 4096, limits });

  test("any body and policy header → 200, or a 4xx in OpenAI's shape (2k cases)", async () => {
    const body = fc.oneof(request.map((r) => JSON.stringify(r)), fc.string({ unit: "binary", maxLength: 300 }), fc.constant("x".repeat(5000)));
    const policy = fc.option(fc.oneof(fc.constantFrom("default", "strict", ""), fc.string({ maxLength: 10 }).filter((s) => /^[\x21-\x7e]*$/.test(s))), { nil: undefined });
    await fc.assert(fc.asyncProperty(body, policy, fc.constantFrom("/v1/chat/completions", "/v1/completions"), async (b, p, path) => {
      const res = await app.request(path, { method: "POST", body: b, headers: { "content-type": "application/json", ...(p === undefined ? {} : { "x-rsk-policy": p }) } });
      const text = await res.text();
      if (res.status === 200) return;
      assert.ok([400, 413].includes(res.status), `${res.status} ${text}`);
      const err = (JSON.parse(text) as { error: Record<string, unknown> }).error;
      assert.equal(typeof err.message, "string");
      assert.equal(typeof err.type, "string");
      assert.ok("param" in err && "code" in err);
    }), { numRuns: 2_000 });
  });
});
