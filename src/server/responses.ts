/**
 * `POST /v1/responses`, the OpenAI Responses API, as a door (stateless: `store: false` semantics). Its request —
 * `input` as text or items (messages, `function_call`, `function_call_output`), `instructions`, `text.format`,
 * function `tools` — validated with its own field names and translated to the chat request the pipeline runs; its
 * typed stream and response object written by `responses-respond.ts`.
 */
import * as v from "valibot";
import { ApiError } from "./errors.ts";
import type { Door } from "./door.ts";
import { ResponsesCollector, ResponsesWriter, responsesErrorBody } from "./responses-respond.ts";
import { validate } from "./validate.ts";
import { type ChatMessage, chatRequest, perLimits, type WireLimits } from "./wire.ts";

const Name = v.pipe(v.string(), v.regex(/^[\w-]{1,64}$/, "name must be 1-64 letters, digits, _ or -"));
const TextPart = v.strictObject({ type: v.picklist(["input_text", "output_text"]), text: v.string(), annotations: v.optional(v.array(v.unknown())) });
const Content = v.union([v.string(), v.pipe(v.array(TextPart), v.maxLength(1024))], "content must be a string or input_text parts (images and files are not supported)");

const MessageItem = v.strictObject({
  type: v.optional(v.literal("message")),
  id: v.optional(v.string()),
  status: v.optional(v.string()),
  role: v.picklist(["user", "system", "developer", "assistant"], "role must be user, system, developer or assistant"),
  content: Content,
});
const FunctionCall = v.strictObject({
  type: v.literal("function_call"),
  id: v.optional(v.string()),
  status: v.optional(v.string()),
  call_id: v.pipe(v.string(), v.minLength(1)),
  name: Name,
  arguments: v.pipe(v.string(), v.maxLength(1 << 20)),
});
const FunctionCallOutput = v.strictObject({
  type: v.literal("function_call_output"),
  id: v.optional(v.string()),
  status: v.optional(v.string()),
  call_id: v.pipe(v.string(), v.minLength(1)),
  output: v.union([v.string(), v.array(TextPart)], "output must be a string or text parts"),
});
/** Earlier reasoning: kept out of the upstream request (chat has no place for it). */
const Reasoning = v.object({ type: v.literal("reasoning") });
const Item = v.union([FunctionCall, FunctionCallOutput, Reasoning, MessageItem], "input items must be messages, function_call, function_call_output or reasoning");

const Format = v.variant("type", [
  v.strictObject({ type: v.literal("text") }),
  v.strictObject({ type: v.literal("json_object") }),
  v.strictObject({
    type: v.literal("json_schema"),
    name: v.pipe(v.string(), v.regex(/^[\w-]{1,64}$/, "name must be 1-64 letters, digits, _ or -")),
    description: v.optional(v.string()),
    schema: v.record(v.string(), v.unknown()),
    strict: v.optional(v.nullable(v.boolean())),
  }),
], "text.format.type must be text, json_object or json_schema");

const Tool = v.strictObject({
  type: v.literal("function", "only function tools are supported"),
  name: Name,
  description: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(8192)))),
  parameters: v.optional(v.nullable(v.record(v.string(), v.unknown()))),
  strict: v.optional(v.nullable(v.boolean())),
});

const responsesRequest = perLimits((limits: WireLimits) =>
  v.strictObject({
    model: v.pipe(v.string(), v.minLength(1, "model must be a non-empty string")),
    input: v.union([v.string(), v.pipe(v.array(Item), v.minLength(1, "input must not be empty"), v.maxLength(4096))], "input must be a string or an array of items"),
    instructions: v.optional(v.nullable(v.string())),
    text: v.optional(v.nullable(v.strictObject({ format: v.optional(Format), verbosity: v.optional(v.picklist(["low", "medium", "high"])) }))),
    tools: v.optional(v.nullable(v.pipe(v.array(Tool), v.maxLength(128, "at most 128 tools")))),
    tool_choice: v.optional(v.nullable(v.union([
      v.picklist(["none", "auto", "required"]),
      v.strictObject({ type: v.literal("function"), name: Name }),
    ], "tool_choice must be none, auto, required or {type: function, name}"))),
    parallel_tool_calls: v.optional(v.nullable(v.boolean())),
    stream: v.optional(v.nullable(v.boolean())),
    max_output_tokens: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(limits.maxTokens)))),
    temperature: v.optional(v.nullable(v.pipe(v.number(), v.minValue(0), v.maxValue(2)))),
    top_p: v.optional(v.nullable(v.pipe(v.number(), v.minValue(0), v.maxValue(1)))),
    store: v.optional(v.nullable(v.boolean())),
    previous_response_id: v.optional(v.nullable(v.string())),
    reasoning: v.optional(v.nullable(v.strictObject({ effort: v.optional(v.nullable(v.picklist(["none", "minimal", "low", "medium", "high"]))), summary: v.optional(v.nullable(v.string())) }))),
    metadata: v.optional(v.nullable(v.record(v.string(), v.string()))),
    user: v.optional(v.pipe(v.string(), v.maxLength(256))),
    service_tier: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(64)))),
    truncation: v.optional(v.nullable(v.picklist(["auto", "disabled"]))),
    include: v.optional(v.nullable(v.array(v.string()))),
  }));

type ResponsesRequest = v.InferOutput<ReturnType<typeof responsesRequest>>;
type Item = v.InferOutput<typeof Item>;

const textOf = (content: string | readonly { text: string }[]) => (typeof content === "string" ? content : content.map((p) => p.text).join(""));

/** Input items as chat messages: consecutive function calls become one assistant turn, outputs `tool` messages. */
function translateInput(input: ResponsesRequest["input"]): ChatMessage[] {
  if (typeof input === "string") return [{ role: "user", content: input }];
  const out: ChatMessage[] = [];
  for (const item of input as Item[]) {
    if (item.type === "reasoning") continue;
    if (item.type === "function_call") {
      const call = { id: item.call_id, type: "function" as const, function: { name: item.name, arguments: item.arguments } };
      const last = out.at(-1);
      if (last?.role === "assistant" && last.tool_calls && !last.content) last.tool_calls.push(call);
      else out.push({ role: "assistant", content: null, tool_calls: [call] });
    } else if (item.type === "function_call_output") out.push({ role: "tool", tool_call_id: item.call_id, content: textOf(item.output) });
    else if (item.role === "assistant") out.push({ role: "assistant", content: textOf(item.content) });
    else out.push({ role: item.role, content: textOf(item.content) });
  }
  return out;
}

/** The OpenAI Responses door. */
export const RESPONSES_DOOR: Door = {
  name: "responses",
  parse(json, limits) {
    const body = validate(responsesRequest(limits), json);
    if (body.previous_response_id) {
      throw new ApiError(400, "previous_response_id needs stored responses, which this gateway does not keep: send the whole conversation in input", {
        param: "previous_response_id",
        code: "unsupported_parameter",
      });
    }
    const format = body.text?.format;
    const chat = {
      model: body.model,
      messages: [...(body.instructions ? [{ role: "system" as const, content: body.instructions }] : []), ...translateInput(body.input)],
      stream: body.stream ?? false,
      ...(body.stream ? { stream_options: { include_usage: true } } : {}),
      ...(body.max_output_tokens ? { max_tokens: body.max_output_tokens } : {}),
      ...(body.temperature != null ? { temperature: body.temperature } : {}),
      ...(body.top_p != null ? { top_p: body.top_p } : {}),
      ...(body.user ? { user: body.user } : {}),
      ...(body.reasoning?.effort ? { reasoning_effort: body.reasoning.effort } : {}),
      ...(format && format.type !== "text"
        ? { response_format: format.type === "json_object" ? { type: "json_object" } : { type: "json_schema", json_schema: { name: format.name, description: format.description, schema: format.schema, strict: format.strict } } }
        : {}),
      ...(body.tools?.length ? { tools: body.tools.map((t) => ({ type: "function", function: { name: t.name, description: t.description ?? undefined, parameters: t.parameters ?? undefined, strict: t.strict } })) } : {}),
      ...(body.tool_choice ? { tool_choice: typeof body.tool_choice === "string" ? body.tool_choice : { type: "function", function: { name: body.tool_choice.name } } } : {}),
      ...(body.parallel_tool_calls != null ? { parallel_tool_calls: body.parallel_tool_calls } : {}),
    };
    return { kind: "chat", body: validate(chatRequest(limits), chat) };
  },
  responseId: () => `resp_${crypto.randomUUID().replaceAll("-", "")}`,
  writer: (sse, shape, metrics) => new ResponsesWriter(sse, shape, metrics),
  collector: (shape, metrics) => new ResponsesCollector(shape, metrics),
  errorBody: responsesErrorBody,
};
