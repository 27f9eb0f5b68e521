/**
 * The Responses door's side of the one exit: guard decisions written as the Responses API's typed stream
 * (`response.created`, `response.output_item.added`, `response.output_text.delta`,
 * `response.function_call_arguments.delta` / `.done`, …, `response.completed` or `response.incomplete`; a block or
 * failure as `response.failed` then `error`) and as its response object.
 */
import type { SSEStreamingApi } from "hono/streaming";
import type { Verdict } from "../guard/guard.ts";
import type { GatewayMetrics } from "../metrics/gateway.ts";
import type { ApiError } from "./errors.ts";
import type { ResponseShape } from "./respond.ts";
import { EventCollector, EventWriter, type Progress, ResponseEnd } from "./writer.ts";

/** The Responses API's errors have OpenAI's shape. */
export const responsesErrorBody = (error: ApiError): object => error.toBody();

const itemId = (prefix: string) => `${prefix}_${crypto.randomUUID().replaceAll("-", "")}`;

/** One output item as it grows. */
type OutputItem =
  | { type: "message"; id: string; text: string }
  | { type: "reasoning"; id: string; text: string }
  | { type: "function_call"; id: string; call: number; call_id: string; name: string; arguments: string };

/** The output items of a response and its end, built from guard decisions (shared by the stream and the object). */
class ResponseOutput extends ResponseEnd {
  readonly items: OutputItem[] = [];

  constructor(readonly shape: ResponseShape) {
    super();
  }

  /** Applies a text or tool verdict; returns the item it went to and whether that item is new. */
  apply(v: Extract<Verdict, { kind: "release" | "tool" }>): { item: OutputItem; added: boolean; delta: string } {
    const last = this.items.at(-1);
    if (v.kind === "tool") {
      const { call, id, name, arguments: args } = v.piece;
      if (name === undefined && last?.type === "function_call" && last.call === call) {
        last.arguments += args;
        return { item: last, added: false, delta: args };
      }
      const item: OutputItem = { type: "function_call", id: itemId("fc"), call, call_id: id ?? itemId("call"), name: name ?? "", arguments: args };
      this.items.push(item);
      return { item, added: true, delta: args };
    }
    const type = v.channel === "reasoning" ? "reasoning" : "message";
    if (last?.type === type) {
      last.text += v.text;
      return { item: last, added: false, delta: v.text };
    }
    const item: OutputItem = { type, id: itemId(type === "message" ? "msg" : "rs"), text: v.text };
    this.items.push(item);
    return { item, added: true, delta: v.text };
  }

  /** `completed`, or `incomplete` when the output was cut at the token limit. */
  get status(): "completed" | "incomplete" {
    return this.finish === "length" ? "incomplete" : "completed";
  }

  /** An item as the API shows it (`status` in progress until the item is done). */
  static view(item: OutputItem, done: boolean): object {
    const status = done ? "completed" : "in_progress";
    switch (item.type) {
      case "message":
        return { id: item.id, type: "message", status, role: "assistant", content: done ? [{ type: "output_text", text: item.text, annotations: [] }] : [] };
      case "reasoning":
        return { id: item.id, type: "reasoning", summary: [], content: done ? [{ type: "reasoning_text", text: item.text }] : [] };
      case "function_call":
        return { id: item.id, type: "function_call", status, call_id: item.call_id, name: item.name, arguments: done ? item.arguments : "" };
    }
  }

  /** The response object in `status`. */
  object(status: string, error: ApiError | null = null): object {
    const done = status !== "in_progress";
    return {
      id: this.shape.id,
      object: "response",
      created_at: this.shape.created,
      status,
      model: this.shape.model,
      output: done ? this.items.map((i) => ResponseOutput.view(i, true)) : [],
      error: error && { code: error.code ?? error.type, message: error.message },
      incomplete_details: status === "incomplete" ? { reason: "max_output_tokens" } : null,
      usage: done && this.usage
        ? { input_tokens: this.tokens.input, output_tokens: this.tokens.output, total_tokens: this.tokens.input + this.tokens.output, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } }
        : null,
      store: false,
      metadata: {},
    };
  }
}

/** Writes decisions as the Responses API's typed event stream. */
export class ResponsesWriter extends EventWriter {
  readonly #output: ResponseOutput;
  #open: OutputItem | undefined;
  #sequence = 0;
  #started = false;

  constructor(sse: SSEStreamingApi, shape: ResponseShape, metrics: GatewayMetrics) {
    super(sse, shape, metrics);
    this.#output = new ResponseOutput(shape);
  }

  protected async progress(v: Progress): Promise<void> {
    if (v.kind !== "release" && v.kind !== "tool") return this.#output.take(v);
    await this.#start();
    const { item, added, delta } = this.#output.apply(v);
    if (added) await this.#add(item);
    if (delta) await this.#delta(item, delta);
  }

  /** Closes the open item, then `response.completed` (or `response.incomplete`). */
  protected async end(): Promise<void> {
    await this.#start();
    await this.#closeOpen();
    const status = this.#output.status;
    await this.#event(`response.${status}`, { response: this.#output.object(status) });
  }

  /** `response.failed`, then an `error` event that carries `error` too, so SDKs that throw on one (openai's) do. */
  protected async error(error: ApiError): Promise<void> {
    await this.#start();
    await this.#event("response.failed", { response: this.#output.object("failed", error) });
    const { error: body } = error.toBody();
    await this.#event("error", { code: body.code ?? body.type, message: body.message, param: body.param, error: body });
  }

  async #start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const response = this.#output.object("in_progress");
    await this.#event("response.created", { response });
    await this.#event("response.in_progress", { response });
  }

  async #add(item: OutputItem): Promise<void> {
    await this.#closeOpen();
    this.#open = item;
    const output_index = this.#output.items.indexOf(item);
    await this.#event("response.output_item.added", { output_index, item: ResponseOutput.view(item, false) });
    if (item.type === "message") {
      await this.#event("response.content_part.added", { item_id: item.id, output_index, content_index: 0, part: { type: "output_text", text: "", annotations: [] } });
    }
  }

  #delta(item: OutputItem, delta: string): Promise<void> {
    const at = { item_id: item.id, output_index: this.#output.items.indexOf(item) };
    if (item.type === "function_call") return this.#event("response.function_call_arguments.delta", { ...at, delta });
    if (item.type === "reasoning") return this.#event("response.reasoning_text.delta", { ...at, content_index: 0, delta });
    return this.#event("response.output_text.delta", { ...at, content_index: 0, delta, logprobs: [] });
  }

  async #closeOpen(): Promise<void> {
    const item = this.#open;
    if (!item) return;
    this.#open = undefined;
    const at = { item_id: item.id, output_index: this.#output.items.indexOf(item) };
    if (item.type === "function_call") await this.#event("response.function_call_arguments.done", { ...at, arguments: item.arguments });
    else if (item.type === "reasoning") await this.#event("response.reasoning_text.done", { ...at, content_index: 0, text: item.text });
    else {
      await this.#event("response.output_text.done", { ...at, content_index: 0, text: item.text, logprobs: [] });
      await this.#event("response.content_part.done", { ...at, content_index: 0, part: { type: "output_text", text: item.text, annotations: [] } });
    }
    await this.#event("response.output_item.done", { output_index: at.output_index, item: ResponseOutput.view(item, true) });
  }

  #event(type: string, fields: object): Promise<void> {
    return this.out.push(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: this.#sequence++, ...fields })}\n\n`);
  }
}

/** Collects decisions into one response object; a block or failure throws its error instead. */
export class ResponsesCollector extends EventCollector {
  readonly #output: ResponseOutput;

  constructor(shape: ResponseShape, metrics: GatewayMetrics) {
    super(shape, metrics);
    this.#output = new ResponseOutput(shape);
  }

  protected take(v: Progress): void {
    if (v.kind === "release" || v.kind === "tool") this.#output.apply(v);
    else this.#output.take(v);
  }

  /** The response object. */
  body(): object {
    return this.#output.object(this.#output.status);
  }
}
