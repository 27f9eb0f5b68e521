/**
 * The Messages door's side of the one exit: guard decisions written as Anthropic Messages responses — the SSE event
 * sequence (`message_start`, `content_block_start` / `_delta` / `_stop` with text, thinking and `tool_use` blocks,
 * `message_delta`, `message_stop`, `error`) and the non-streamed message — and errors in Anthropic's shape.
 */
import type { FinishReason } from "../backends/types.ts";
import { ApiError } from "./errors.ts";
import { messagesErrorBody } from "./messages-error.ts";
import { EventCollector, EventWriter, type Progress, ResponseEnd } from "./writer.ts";

/** Anthropic's stop reasons for the pipeline's finish reasons. */
const STOP_REASON: Record<string, string> = { stop: "end_turn", length: "max_tokens", tool_calls: "tool_use", content_filter: "refusal" };
const stopReason = (finish: FinishReason | undefined) => (finish === undefined ? "end_turn" : STOP_REASON[finish] ?? "end_turn");

/** The kinds of content block a message holds. */
type BlockKind = "text" | "thinking" | "tool_use";

/** Writes decisions as the Messages SSE event sequence; a block or failure ends it with an `error` event. */
export class MessagesWriter extends EventWriter {
  readonly #end = new ResponseEnd();
  #started = false;
  #open: { index: number; kind: BlockKind; call?: number } | undefined;
  #blocks = 0;

  protected async progress(v: Progress): Promise<void> {
    switch (v.kind) {
      case "release": {
        const kind = v.channel === "reasoning" ? "thinking" : "text";
        await this.#into(kind, kind === "thinking" ? { type: "thinking", thinking: "" } : { type: "text", text: "" });
        const delta = kind === "thinking" ? { type: "thinking_delta", thinking: v.text } : { type: "text_delta", text: v.text };
        return this.#event("content_block_delta", { index: this.#open!.index, delta });
      }
      case "tool": {
        const { call, id, name, arguments: args } = v.piece;
        if (name !== undefined || this.#open?.call !== call) await this.#into("tool_use", { type: "tool_use", id, name, input: {} }, call);
        if (args) await this.#event("content_block_delta", { index: this.#open!.index, delta: { type: "input_json_delta", partial_json: args } });
        return;
      }
      default:
        return this.#end.take(v);
    }
  }

  protected error(error: ApiError): Promise<void> {
    return this.out.push(`event: error\ndata: ${JSON.stringify(messagesErrorBody(error))}\n\n`);
  }

  /** Closes the open block, then `message_delta` (stop reason, usage) and `message_stop`. */
  protected async end(): Promise<void> {
    await this.#start();
    await this.#close();
    const { input, output } = this.#end.tokens;
    await this.#event("message_delta", { delta: { stop_reason: stopReason(this.#end.finish), stop_sequence: null }, usage: { input_tokens: input, output_tokens: output } });
    await this.#event("message_stop", {});
  }

  /** Makes a block of `kind` (and tool call `call`) the open one, closing another first. */
  async #into(kind: BlockKind, block: object, call?: number): Promise<void> {
    if (this.#open?.kind === kind && this.#open.call === call) return;
    await this.#start();
    await this.#close();
    this.#open = { index: this.#blocks++, kind, call };
    await this.#event("content_block_start", { index: this.#open.index, content_block: block });
  }

  async #close(): Promise<void> {
    if (!this.#open) return;
    await this.#event("content_block_stop", { index: this.#open.index });
    this.#open = undefined;
  }

  async #start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const { id, model } = this.shape;
    const message = { id, type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } };
    await this.#event("message_start", { message });
  }

  #event(type: string, fields: object): Promise<void> {
    return this.out.push(`event: ${type}\ndata: ${JSON.stringify({ type, ...fields })}\n\n`);
  }
}

/** Collects decisions into one Messages response; a block or failure throws its error instead. */
export class MessagesCollector extends EventCollector {
  readonly #content: ({ type: "text"; text: string } | { type: "thinking"; thinking: string } | { type: "tool_use"; id: string; name: string; input: string; call: number })[] = [];
  readonly #end = new ResponseEnd();

  protected take(v: Progress): void {
    const last = this.#content.at(-1);
    switch (v.kind) {
      case "release":
        if (v.channel === "reasoning") {
          if (last?.type === "thinking") last.thinking += v.text;
          else this.#content.push({ type: "thinking", thinking: v.text });
        } else if (last?.type === "text") last.text += v.text;
        else this.#content.push({ type: "text", text: v.text });
        return;
      case "tool":
        if (v.piece.name !== undefined) this.#content.push({ type: "tool_use", id: v.piece.id!, name: v.piece.name, input: v.piece.arguments, call: v.piece.call });
        else {
          const call = this.#content.findLast((b) => b.type === "tool_use" && b.call === v.piece.call);
          if (call?.type === "tool_use") call.input += v.piece.arguments;
        }
        return;
      default:
        this.#end.take(v);
    }
  }

  /** The message. */
  body(): object {
    const content = this.#content.map((b) => (b.type === "tool_use" ? { type: "tool_use", id: b.id, name: b.name, input: toolInput(b.name, b.input) } : b));
    const { input, output } = this.#end.tokens;
    return {
      id: this.shape.id,
      type: "message",
      role: "assistant",
      model: this.shape.model,
      content,
      stop_reason: stopReason(this.#end.finish),
      stop_sequence: null,
      usage: { input_tokens: input, output_tokens: output },
    };
  }
}

/** A tool call's arguments as the object a `tool_use` block holds (a model's broken JSON is the upstream's fault). */
function toolInput(name: string, args: string): unknown {
  try {
    const input = JSON.parse(args === "" ? "{}" : args);
    if (input !== null && typeof input === "object" && !Array.isArray(input)) return input;
  } catch {
    // reported below
  }
  throw new ApiError(502, `the upstream's arguments for tool "${name}" are not a JSON object`, { type: "upstream_error", code: "upstream_malformed" });
}
