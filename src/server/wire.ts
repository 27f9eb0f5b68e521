/** OpenAI wire types for requests, as valibot schemas: the single definition of what a client may send. */
import * as v from "valibot";

/** Limits applied while validating, from the gateway's configuration. */
export interface WireLimits {
  /** Largest `n` (choices per request) accepted. */
  maxChoices: number;
  /** Largest `max_tokens` accepted. */
  maxTokens: number;
}

const finite = () => v.pipe(v.number(), v.finite());
const intIn = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));
const numIn = (min: number, max: number) => v.pipe(finite(), v.minValue(min), v.maxValue(max));
const rejectTrue = (why: string) => v.optional(v.pipe(v.boolean(), v.value(false, why)));

const Stop = v.optional(v.nullable(v.union([
  v.pipe(v.string(), v.minLength(1)),
  v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.maxLength(4, "at most 4 stop sequences")),
])));

const ResponseFormat = v.optional(v.variant("type", [
  v.strictObject({ type: v.literal("text") }),
  v.strictObject({ type: v.literal("json_object") }),
  v.strictObject({
    type: v.literal("json_schema"),
    json_schema: v.strictObject({
      name: v.pipe(v.string(), v.regex(/^[\w-]{1,64}$/, "name must be 1-64 letters, digits, _ or -")),
      description: v.optional(v.string()),
      schema: v.optional(v.record(v.string(), v.unknown())),
      strict: v.optional(v.nullable(v.boolean())),
    }),
  }),
]));

/** Sampling fields shared by both endpoints (OpenAI's plus the llama.cpp/vLLM extensions rsk's local sampler runs). */
const samplingEntries = (limits: WireLimits) => ({
  model: v.pipe(v.string(), v.minLength(1, "model must be a non-empty string")),
  stream: v.optional(v.nullable(v.boolean())),
  stream_options: v.optional(v.nullable(v.strictObject({ include_usage: v.optional(v.boolean()) }))),
  max_tokens: v.optional(v.nullable(intIn(1, limits.maxTokens))),
  n: v.optional(v.nullable(intIn(1, limits.maxChoices))),
  temperature: v.optional(v.nullable(numIn(0, 2))),
  top_p: v.optional(v.nullable(numIn(0, 1))),
  top_k: v.optional(v.nullable(intIn(-1, 1 << 20))),
  min_p: v.optional(v.nullable(numIn(0, 1))),
  typical_p: v.optional(v.nullable(numIn(0, 1))),
  presence_penalty: v.optional(v.nullable(numIn(-2, 2))),
  frequency_penalty: v.optional(v.nullable(numIn(-2, 2))),
  repeat_penalty: v.optional(v.nullable(numIn(0, 10))),
  repeat_last_n: v.optional(v.nullable(intIn(0, 1 << 16))),
  mirostat: v.optional(v.nullable(v.picklist([0, 2], "mirostat must be 0 (off) or 2 (Mirostat 2.0)"))),
  mirostat_tau: v.optional(v.nullable(numIn(0, 100))),
  mirostat_eta: v.optional(v.nullable(numIn(0, 10))),
  logit_bias: v.optional(v.nullable(v.pipe(
    v.record(v.pipe(v.string(), v.regex(/^\d{1,9}$/, "logit_bias keys are token ids")), numIn(-100, 100)),
    v.check((o) => Object.keys(o).length <= 1024, "at most 1024 logit_bias entries"),
  ))),
  seed: v.optional(v.nullable(v.pipe(v.number(), v.safeInteger()))),
  stop: Stop,
  user: v.optional(v.pipe(v.string(), v.maxLength(256))),
  logprobs: v.optional(v.nullable(v.union([
    v.pipe(v.boolean(), v.value(false, "logprobs are not returned: token text in logprobs would bypass the output gates")),
    v.pipe(v.number(), v.value(0, "logprobs are not returned: token text in logprobs would bypass the output gates")),
  ]))),
  response_format: ResponseFormat,
  /** rsk extension: a loaded kernel pack's sampler kernel, `pack/kernel` (local backend; checked in src/sampler/config.ts). */
  sampler_kernel: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(129, "sampler_kernel must be \"pack/kernel\"")))),
  /** rsk extension: GBNF grammar the completion must match (src/grammar). */
  grammar: v.optional(v.nullable(v.pipe(v.string(), v.minLength(1, "grammar must not be empty"), v.maxLength(1 << 18)))),
  /** rsk extension: regex the whole completion must match. */
  regex: v.optional(v.nullable(v.pipe(v.string(), v.minLength(1, "regex must not be empty"), v.maxLength(1 << 14)))),
  /** rsk extension: `lenient` drops unenforceable schema keywords (listed in x-rsk-grammar-warnings, as are ignored ones with `report_ignored`); whitespace cap between JSON tokens; `any_order` accepts listed properties in any order. */
  grammar_options: v.optional(v.nullable(v.strictObject({ lenient: v.optional(v.boolean()), max_whitespace: v.optional(intIn(0, 64)), report_ignored: v.optional(v.boolean()), any_order: v.optional(v.boolean()) }))),
});

const TextPart = v.strictObject({ type: v.literal("text"), text: v.string() });
const ImagePart = v.strictObject({
  type: v.literal("image_url"),
  image_url: v.strictObject({ url: v.string(), detail: v.optional(v.picklist(["auto", "low", "high"])) }),
});

const Content = v.union([v.string(), v.pipe(v.array(v.variant("type", [TextPart, ImagePart])), v.minLength(1))], "content must be a string or an array of content parts");
const Name = v.pipe(v.string(), v.regex(/^[\w-]{1,64}$/, "name must be 1-64 letters, digits, _ or -"));
/** Ids that travel between clients, rsk and upstreams (tool call ids, `x-request-id`): short and plain. */
export const WIRE_ID = /^[\w.:-]{1,128}$/;
/** A tool call id as OpenAI-compatible servers write them. */
const CallId = v.pipe(v.string(), v.regex(WIRE_ID, "tool call ids are 1-128 letters, digits, _ . : or -"));

/** An assistant's earlier tool call, as a client sends it back in the history. */
const ToolCall = v.strictObject({
  id: CallId,
  type: v.literal("function"),
  function: v.strictObject({ name: Name, arguments: v.pipe(v.string(), v.maxLength(1 << 20)) }),
});

const Message = v.variant("role", [
  v.strictObject({ role: v.picklist(["system", "developer", "user"]), content: Content, name: v.optional(Name) }),
  v.strictObject({
    role: v.literal("assistant"),
    content: v.optional(v.nullable(Content)),
    name: v.optional(Name),
    refusal: v.optional(v.nullable(v.string())),
    tool_calls: v.optional(v.pipe(v.array(ToolCall), v.maxLength(128))),
  }),
  v.strictObject({ role: v.literal("tool"), content: Content, tool_call_id: CallId }),
], "role must be system, developer, user, assistant or tool");

/** A function tool the model may call. */
const Tool = v.strictObject({
  type: v.literal("function"),
  function: v.strictObject({
    name: Name,
    description: v.optional(v.pipe(v.string(), v.maxLength(8192))),
    parameters: v.optional(v.pipe(
      v.record(v.string(), v.unknown()),
      v.check((s) => s.type === undefined || s.type === "object", "a tool's parameters must be an object schema (type: object)"),
    )),
    strict: v.optional(v.nullable(v.boolean())),
  }),
});

const ToolChoice = v.optional(v.nullable(v.union([
  v.picklist(["none", "auto", "required"]),
  v.strictObject({ type: v.literal("function"), function: v.strictObject({ name: Name }) }),
], "tool_choice must be none, auto, required or {type: function, function: {name}}")));

/**
 * A request schema built once per set of limits: a schema is a tree of objects, and building it for every request cost
 * more than validating the request.
 */
export function perLimits<T>(build: (limits: WireLimits) => T): (limits: WireLimits) => T {
  const built = new Map<string, T>();
  return (limits) => {
    const key = `${limits.maxTokens}/${limits.maxChoices}`;
    let schema = built.get(key);
    if (schema === undefined) built.set(key, (schema = build(limits)));
    return schema;
  };
}

/** `POST /v1/chat/completions` body. */
export const chatRequest = perLimits((limits: WireLimits) =>
  v.pipe(v.strictObject({
    ...samplingEntries(limits),
    messages: v.pipe(v.array(Message), v.minLength(1, "messages must not be empty"), v.maxLength(4096)),
    max_completion_tokens: v.optional(v.nullable(intIn(1, limits.maxTokens))),
    top_logprobs: v.optional(v.nullable(v.pipe(v.number(), v.value(0, "top_logprobs are not returned: they would bypass the output gates")))),
    tools: v.optional(v.nullable(v.pipe(
      v.array(Tool),
      v.maxLength(128, "at most 128 tools"),
      v.check((tools) => new Set(tools.map((t) => t.function.name)).size === tools.length, "tool names must be unique"),
    ))),
    tool_choice: ToolChoice,
    parallel_tool_calls: v.optional(v.nullable(v.boolean())),
    metadata: v.optional(v.nullable(v.record(v.string(), v.string()))),
    store: v.optional(v.nullable(v.boolean())),
    // Passed through to the upstream, type-checked: none of them carries text a client would see ungated.
    reasoning_effort: v.optional(v.nullable(v.picklist(["none", "minimal", "low", "medium", "high"]))),
    service_tier: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(64)))),
    verbosity: v.optional(v.nullable(v.picklist(["low", "medium", "high"]))),
    prediction: v.optional(v.nullable(v.strictObject({ type: v.literal("content"), content: Content }))),
    chat_template_kwargs: v.optional(v.nullable(v.record(v.string(), v.unknown()))),
    repetition_penalty: v.optional(v.nullable(numIn(0, 10))),
  }), v.forward(
    v.partialCheck([["tools"], ["tool_choice"]], (r) => {
      const choice = r.tool_choice;
      if (choice === undefined || choice === null || choice === "none" || choice === "auto") return true;
      const names = (r.tools ?? []).map((t) => t.function.name);
      return choice === "required" ? names.length > 0 : names.includes(choice.function.name);
    }, "tool_choice names a tool that is not in tools (or is required with no tools)"),
    ["tool_choice"],
  )));

/** `POST /v1/completions` body (legacy text completions). */
export const completionRequest = perLimits((limits: WireLimits) =>
  v.strictObject({
    ...samplingEntries(limits),
    prompt: v.union([
      v.string(),
      v.pipe(v.array(v.string()), v.length(1, "prompt arrays must hold exactly one string (use n for several choices)")),
    ], "prompt must be a string"),
    echo: rejectTrue("echo is not supported"),
    suffix: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(0, "suffix is not supported")))),
    best_of: v.optional(v.nullable(v.pipe(v.number(), v.value(1, "best_of must be 1")))),
  }));

/** A validated chat completion request. */
export type ChatRequest = v.InferOutput<ReturnType<typeof chatRequest>>;
/** A validated text completion request. */
export type CompletionRequest = v.InferOutput<ReturnType<typeof completionRequest>>;
/** One chat message as validated. */
export type ChatMessage = v.InferOutput<typeof Message>;
