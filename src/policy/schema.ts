/** The policy file format: one valibot schema, also exported as policies/policy.schema.json for editors. */
import * as v from "valibot";
import { GateRuleSchema } from "../gates/mod.ts";
import { parseJsonPath } from "../guard/json-path.ts";

const Rules = (scope: string) =>
  v.pipe(
    v.array(GateRuleSchema),
    v.check((rules) => new Set(rules.map((r) => r.id)).size === rules.length, `rule ids must be unique within ${scope}`),
    v.description(`Rules applied to ${scope}, in order; on overlapping matches the leftmost, then longest, then first rule wins.`),
  );

const ToolName = v.pipe(v.string(), v.regex(/^[\w-]{1,64}$/, "tool names are 1-64 letters, digits, _ or -"));

/** A policy file as written on disk. */
export const PolicySchema = v.pipe(
  v.strictObject({
    $schema: v.optional(v.pipe(v.string(), v.description("Path or URL of policy.schema.json, for editor completion."))),
    name: v.pipe(
      v.string(),
      v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "name must be 1-64 letters, digits, '.', '_' or '-'"),
      v.description("Name clients select with the x-rsk-policy header; unique among loaded policies."),
    ),
    description: v.optional(v.pipe(v.string(), v.description("What this policy is for."))),
    onError: v.optional(
      v.pipe(
        v.picklist(["block", "pass"]),
        v.description("What a gate failure does: block (fail closed, the default) or pass (fail open)."),
      ),
      "block",
    ),
    input: v.optional(Rules("the prompt (every message's text, before the backend is called)"), []),
    output: v.optional(Rules("the generated text (every streamed chunk, before it reaches the client)"), []),
    reasoning: v.optional(Rules("the model's reasoning (upstream reasoning_content), when it should differ from output; default: the output rules")),
    tools: v.optional(
      v.pipe(
        v.strictObject({
          allow: v.optional(v.pipe(
            v.array(ToolName),
            v.maxLength(1024),
            v.description("Only these tools may be called (a call to any other is blocked). Omitted: any tool the request declares."),
          )),
          deny: v.optional(v.pipe(
            v.array(ToolName),
            v.maxLength(1024),
            v.description("These tools may never be called: a call is blocked before any of its bytes."),
          ), []),
          arguments: v.optional(v.pipe(
            v.array(v.strictObject({
              tool: v.pipe(ToolName, v.description("The tool whose call arguments the rule reads.")),
              path: v.pipe(
                v.string(),
                v.check((path) => typeof parseJsonPath(path) !== "string", (issue) => `invalid JSON path: ${parseJsonPath(String(issue.input))}`),
                v.description("JSONPath subset: $, .name, ['name'], [*] (any child), [n] (array index), e.g. $.to[*]. The rule reads every string and number value the path selects, and every one inside an object or array it selects."),
              ),
              rule: GateRuleSchema,
            })),
            v.maxLength(1024),
            v.check((entries) => new Set(entries.map((e) => e.rule.id)).size === entries.length, "rule ids must be unique within tools.arguments"),
            v.description("Rules for values inside a tool call's arguments, addressed by JSON path; applied with the output rules, with the same bounded hold-back, on every backend and on streamed and non-streamed responses."),
          ), []),
        }),
        v.description("Which tools a model may call, and argument rules by JSON path; tool-call arguments always pass the output rules."),
      ),
      { deny: [], arguments: [] },
    ),
    tokens: v.optional(
      v.pipe(
        v.strictObject({
          ban: v.optional(
            v.pipe(
              v.array(v.pipe(v.string(), v.minLength(1))),
              v.maxLength(4096),
              v.description("Token texts (exact pieces, e.g. \"<|im_start|>\") that can never be sampled."),
            ),
            [],
          ),
          bias: v.optional(
            v.pipe(
              v.record(v.pipe(v.string(), v.minLength(1)), v.pipe(v.number(), v.finite(), v.minValue(-100), v.maxValue(100))),
              v.description("Token text → logit bias added at every step (-100 bans, like OpenAI's logit_bias)."),
            ),
            {},
          ),
        }),
        v.description("Local backend only: token bans and biases applied to the logits before the grammar mask and sampler; a request's logit_bias cannot lift a ban."),
      ),
      { ban: [], bias: {} },
    ),
    audit: v.optional(
      v.pipe(
        v.strictObject({
          matches: v.optional(
            v.pipe(
              v.boolean(),
              v.description("Record each finding's matched text in the audit log (raw PII: off by default; the log then needs the protection of the data it holds)."),
            ),
            false,
          ),
        }),
        v.description("What this policy's findings write to the audit log (RSK_AUDIT_LOG)."),
      ),
      { matches: false },
    ),
  }),
  v.title("rsk policy"),
  v.description("A streaming safety policy for the rsk gateway."),
);

/** A policy file after validation. */
export type PolicyFile = v.InferOutput<typeof PolicySchema>;

/** A policy's token bans and biases, by token text. */
export type TokenRules = PolicyFile["tokens"];
