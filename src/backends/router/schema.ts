/** The routing file (`RSK_UPSTREAMS`): upstreams, and per model an ordered list of targets. Validated with valibot. */
import { toJsonSchema } from "@valibot/to-json-schema";
import * as v from "valibot";

const Name = v.pipe(v.string(), v.regex(/^[\w.-]{1,64}$/, "upstream names are 1-64 letters, digits, _ . or -"));
const ms = (max: number) => v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(max));

const Upstream = v.strictObject({
  url: v.pipe(v.string(), v.url("must be an http(s) URL such as http://127.0.0.1:8000/v1"), v.regex(/^https?:/i, "must be http or https")),
  dialect: v.optional(v.picklist(["openai", "anthropic"], "dialect must be openai or anthropic"), "openai"),
  apiKeyEnv: v.optional(v.pipe(v.string(), v.regex(/^[A-Z_][A-Z0-9_]{0,127}$/, "the name of an environment variable (the key itself never goes in the file)"))),
  firstByteTimeoutMs: v.optional(ms(3_600_000), 60_000),
  idleTimeoutMs: v.optional(ms(3_600_000), 60_000),
  maxConcurrent: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1 << 16))),
});

const Target = v.union([
  Name,
  v.strictObject({
    upstream: Name,
    weight: v.optional(v.pipe(v.number(), v.minValue(0.001), v.maxValue(1e6))),
    model: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(256))),
  }),
], "a target is an upstream name or {upstream, weight?, model?}");

/** The routing file's schema (JSON Schema export: `rsk upstreams schema`). */
export const RoutingSchema = v.pipe(
  v.strictObject({
    $schema: v.optional(v.string()),
    upstreams: v.pipe(v.record(Name, Upstream), v.check((u) => Object.keys(u).length > 0, "at least one upstream")),
    models: v.pipe(
      v.record(v.pipe(v.string(), v.regex(/^[^*]*\*?$/, "a model name, or a prefix ending in * (\"*\" alone: every model)")), v.pipe(v.array(Target), v.minLength(1), v.maxLength(32))),
      v.check((m) => Object.keys(m).length > 0, "at least one model"),
    ),
    retry: v.optional(v.strictObject({
      attempts: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(10)), 2),
      baseMs: v.optional(ms(60_000), 100),
      maxMs: v.optional(ms(300_000), 2_000),
    }), {}),
    breaker: v.optional(v.strictObject({
      failures: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000)), 5),
      openMs: v.optional(ms(3_600_000), 30_000),
    }), {}),
  }),
  v.forward(
    v.check((f) => Object.values(f.models).flat().every((t) => (typeof t === "string" ? t : t.upstream) in f.upstreams), "a target names an upstream that is not in upstreams"),
    ["models"],
  ),
);

/** A validated routing file. */
export type RoutingFile = v.InferOutput<typeof RoutingSchema>;

/** The routing file format as JSON Schema (draft-07, for editors), pretty-printed: `rsk upstreams schema`. */
export function routingJsonSchemaText(): string {
  // typeMode "input": fields with defaults stay optional. Cross-field checks (targets name known upstreams) are the loader's.
  const schema = toJsonSchema(RoutingSchema, {
    typeMode: "input",
    errorMode: "throw",
    // A case-insensitive regex has no JSON Schema form (the URL's `format` stays): the loader enforces it.
    overrideAction: ({ valibotAction, jsonSchema }) =>
      valibotAction.type === "check" || (valibotAction.type === "regex" && (valibotAction as unknown as { requirement: RegExp }).requirement.flags) ? jsonSchema : undefined,
  });
  return `${JSON.stringify(schema, null, 2)}\n`;
}
