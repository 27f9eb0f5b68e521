/**
 * `POST /v1/messages`, the Anthropic Messages API, as a door: its request (system, messages with text, tool_use and
 * tool_result blocks, tools, tool_choice) validated with its own field names and translated to the OpenAI chat
 * request the pipeline gates and runs; its response written by `messages-respond.ts`.
 */
import * as v from "valibot";
import type { Door } from "./door.ts";
import { messagesErrorBody } from "./messages-error.ts";
import { MessagesCollector, MessagesWriter } from "./messages-respond.ts";
import { validate } from "./validate.ts";
import { type ChatMessage, chatRequest, perLimits, type WireLimits } from "./wire.ts";

const CacheControl = v.optional(v.nullable(v.object({ type: v.string() })));
const Text = v.strictObject({ type: v.literal("text"), text: v.string(), cache_control: CacheControl, citations: v.optional(v.nullable(v.array(v.unknown()))) });
const ToolUse = v.strictObject({
  type: v.literal("tool_use"),
  id: v.pipe(v.string(), v.minLength(1)),
  name: v.pipe(v.string(), v.minLength(1)),
  input: v.record(v.string(), v.unknown()),
  cache_control: CacheControl,
});
const ToolResult = v.strictObject({
  type: v.literal("tool_result"),
  tool_use_id: v.pipe(v.string(), v.minLength(1)),
  content: v.optional(v.union([v.string(), v.array(Text)], "tool_result content must be a string or text blocks (images are not supported)")),
  is_error: v.optional(v.boolean()),
  cache_control: CacheControl,
});
/** Earlier reasoning an assistant turn carries: kept out of the upstream request (OpenAI chat has no place for it). */
const Thinking = v.object({ type: v.picklist(["thinking", "redacted_thinking"]) });
const Block = v.variant("type", [Text, ToolUse, ToolResult, Thinking], "content blocks must be text, tool_use, tool_result or thinking (images and documents are not supported)");

const Message = v.strictObject({
  role: v.picklist(["user", "assistant"], "role must be user or assistant"),
  content: v.union([v.string(), v.pipe(v.array(Block), v.maxLength(1024))], "content must be a string or an array of text, tool_use, tool_result or thinking blocks (images and documents are not supported)"),
});

const Tool = v.strictObject({
  type: v.optional(v.literal("custom", "only custom (function) tools are supported")),
  name: v.pipe(v.string(), v.regex(/^[\w-]{1,64}$/, "name must be 1-64 letters, digits, _ or -")),
  description: v.optional(v.pipe(v.string(), v.maxLength(8192))),
  input_schema: v.pipe(v.record(v.string(), v.unknown()), v.check((s) => s.type === "object", "input_schema must be an object schema (type: object)")),
  cache_control: CacheControl,
});

const ToolChoice = v.variant("type", [
  v.strictObject({ type: v.picklist(["auto", "any", "none"]), disable_parallel_tool_use: v.optional(v.boolean()) }),
  v.strictObject({ type: v.literal("tool"), name: v.string(), disable_parallel_tool_use: v.optional(v.boolean()) }),
], "tool_choice must be {type: auto | any | none | tool}");

/** `POST /v1/messages` body. */
const messagesRequest = perLimits((limits: WireLimits) =>
  v.strictObject({
    model: v.pipe(v.string(), v.minLength(1, "model must be a non-empty string")),
    max_tokens: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(limits.maxTokens)),
    messages: v.pipe(v.array(Message), v.minLength(1, "messages must not be empty"), v.maxLength(4096)),
    system: v.optional(v.union([v.string(), v.array(Text)], "system must be a string or text blocks")),
    stop_sequences: v.optional(v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.maxLength(4, "at most 4 stop sequences"))),
    stream: v.optional(v.boolean()),
    temperature: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1))),
    top_p: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1))),
    top_k: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
    tools: v.optional(v.pipe(v.array(Tool), v.maxLength(128, "at most 128 tools"))),
    tool_choice: v.optional(ToolChoice),
    metadata: v.optional(v.strictObject({ user_id: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(256)))) })),
    thinking: v.optional(v.unknown()),
    service_tier: v.optional(v.pipe(v.string(), v.maxLength(64))),
  }));

type MessagesRequest = v.InferOutput<ReturnType<typeof messagesRequest>>;
type Block = v.InferOutput<typeof Block>;

const textOf = (blocks: readonly { text: string }[]) => blocks.map((b) => b.text).join("");

/** One Anthropic turn as OpenAI chat messages: tool results become `tool` messages, tool uses `tool_calls`. */
function translateTurn(turn: MessagesRequest["messages"][number]): ChatMessage[] {
  if (typeof turn.content === "string") return [{ role: turn.role, content: turn.content }];
  const blocks = turn.content as Block[];
  const texts = blocks.filter((b): b is v.InferOutput<typeof Text> => b.type === "text");
  if (turn.role === "assistant") {
    const calls = blocks.filter((b): b is v.InferOutput<typeof ToolUse> => b.type === "tool_use")
      .map((b) => ({ id: b.id, type: "function" as const, function: { name: b.name, arguments: JSON.stringify(b.input) } }));
    return [{ role: "assistant", content: texts.length > 0 ? textOf(texts) : null, ...(calls.length > 0 ? { tool_calls: calls } : {}) }];
  }
  const out: ChatMessage[] = [];
  for (const b of blocks) {
    if (b.type !== "tool_result") continue;
    const content = typeof b.content === "string" ? b.content : textOf(b.content ?? []);
    out.push({ role: "tool", tool_call_id: b.tool_use_id, content: b.is_error ? `[tool error] ${content}` : content });
  }
  if (texts.length > 0) out.push({ role: "user", content: texts.map((t) => ({ type: "text" as const, text: t.text })) });
  return out;
}

const TOOL_CHOICE = { auto: "auto", any: "required", none: "none" } as const;

/** The Anthropic Messages door. */
export const MESSAGES_DOOR: Door = {
  name: "messages",
  parse(json, limits) {
    const body = validate(messagesRequest(limits), json);
    const system = body.system === undefined ? [] : [{ role: "system" as const, content: typeof body.system === "string" ? body.system : textOf(body.system) }];
    const choice = body.tool_choice;
    const chat = {
      model: body.model,
      max_tokens: body.max_tokens,
      messages: [...system, ...body.messages.flatMap(translateTurn)],
      stream: body.stream ?? false,
      // Usage comes last in an OpenAI stream; the Messages door reports it in message_delta.
      ...(body.stream ? { stream_options: { include_usage: true } } : {}),
      ...(body.stop_sequences ? { stop: body.stop_sequences } : {}),
      ...(body.temperature !== undefined ? { temperature: body.temperature } : {}),
      ...(body.top_p !== undefined ? { top_p: body.top_p } : {}),
      ...(body.top_k !== undefined ? { top_k: body.top_k } : {}),
      ...(body.metadata?.user_id ? { user: body.metadata.user_id } : {}),
      ...(body.tools ? { tools: body.tools.map((t) => ({ type: "function", function: { name: t.name, description: t.description, parameters: t.input_schema } })) } : {}),
      ...(choice ? { tool_choice: choice.type === "tool" ? { type: "function", function: { name: choice.name } } : TOOL_CHOICE[choice.type] } : {}),
      ...(choice?.disable_parallel_tool_use ? { parallel_tool_calls: false } : {}),
    };
    // Checked again as a chat request: every invariant of the pipeline holds whatever the door.
    return { kind: "chat", body: validate(chatRequest(limits), chat) };
  },
  responseId: () => `msg_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`,
  writer: (sse, shape, metrics) => new MessagesWriter(sse, shape, metrics),
  collector: (shape, metrics) => new MessagesCollector(shape, metrics),
  errorBody: messagesErrorBody,
};
