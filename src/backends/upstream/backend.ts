/** The upstream backend: any OpenAI-compatible server, always streamed so every chunk can be gated as it arrives. */
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { upstreamCall } from "../../obs/trace.ts";
import type { Backend, BackendEvent, BackendRequest, ModelCard } from "../types.ts";
import { ANTHROPIC_VERSION, anthropicRequest, AnthropicStream } from "./anthropic.ts";
import { chunkEvents, type EventShape } from "./events.ts";
import { readBody, statusFailure, transportFailure, UpstreamError, type UpstreamFailureKind, UpstreamTimeout } from "./failures.ts";

/** Where and how to reach the upstream. */
export interface UpstreamOptions {
  /** Base URL including the version prefix, e.g. `http://127.0.0.1:8000/v1`. */
  url: string;
  /** Sent as `Authorization: Bearer …` (`x-api-key` to an Anthropic upstream); the client's own is never forwarded. */
  apiKey?: string;
  /** The upstream's API: OpenAI-compatible (default) or the Anthropic Messages API (`…/v1/messages`). */
  dialect?: "openai" | "anthropic";
  /** Limit for the response headers and first event to arrive. */
  firstByteTimeoutMs: number;
  /** Limit for silence between two reads mid-stream. */
  idleTimeoutMs: number;
  /** Most bytes of one response: a non-stream body, or the text of all choices of a stream (default 16 MiB). */
  maxResponseBytes?: number;
  /** Called once per failure, for metrics. */
  onFailure?: (kind: UpstreamFailureKind) => void;
  /** Called once per response that held SSE lines the spec does not define (comments excluded), with their count. */
  onUnknownLines?: (count: number, sample: string) => void;
}

/** Largest SSE line or event buffered from an upstream before it is called malformed. */
const MAX_EVENT_CHARS = 1 << 20;
/** Default of `maxResponseBytes`. */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 << 20;
/** How long a readiness probe's answer is reused. */
const READY_CACHE_MS = 5000;
/** Unknown SSE lines tolerated in one response (a stream of nothing else is a broken upstream, not a slow one). */
const MAX_UNKNOWN_LINES = 1000;

/** Forwards validated, input-gated requests upstream and turns its SSE into backend events. */
export class UpstreamBackend implements Backend {
  readonly #base: string;
  /** The last readiness probe's answer and time. */
  #probe: { at: number; ok: Promise<boolean> } | undefined;
  constructor(readonly options: UpstreamOptions) {
    this.#base = options.url.replace(/\/+$/, "");
  }

  /**
   * Reachable: any HTTP answer to `GET /models` within the first-byte limit (a 401 still proves the server is up).
   * Probed at most every 5 s, and concurrent checks share one probe, so load balancers cost the upstream nothing.
   * The probe is the gateway's own (never tied to one caller's request).
   */
  ready(): Promise<boolean> {
    if (this.#probe && performance.now() - this.#probe.at < READY_CACHE_MS) return this.#probe.ok;
    const ctl = new TimedController(new AbortController().signal, this.options.firstByteTimeoutMs);
    const ok = fetch(`${this.#base}/models`, { headers: this.#headers(), signal: ctl.signal })
      .then((res) => res.body?.cancel().catch(() => {}))
      .then(() => true, () => false)
      .finally(() => ctl.dispose());
    this.#probe = { at: performance.now(), ok };
    return ok;
  }

  /** The upstream's model list, passed through. */
  async models(signal: AbortSignal): Promise<ModelCard[]> {
    const ctl = new TimedController(signal, this.options.firstByteTimeoutMs);
    try {
      const res = await fetch(`${this.#base}/models`, { headers: this.#headers(), signal: ctl.signal });
      if (!res.ok) throw await statusFailure(res);
      const body = (await res.json()) as { data?: ModelCard[] };
      return Array.isArray(body.data) ? body.data : [];
    } catch (err) {
      throw this.#failed(err instanceof UpstreamError ? err : transportFailure(err, ctl.signal, false));
    } finally {
      ctl.dispose();
    }
  }

  /** `POST /embeddings` with the gated body; the answer is bounded by `maxResponseBytes` and must be JSON. */
  async embed(body: Record<string, unknown>, signal: AbortSignal): Promise<unknown> {
    const ctl = new TimedController(signal, this.options.firstByteTimeoutMs);
    try {
      const res = await fetch(`${this.#base}/embeddings`, {
        method: "POST",
        headers: { ...this.#headers(), "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: ctl.signal,
      });
      if (!res.ok) throw await statusFailure(res);
      const { text } = await readBody(res, this.options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
      try {
        return JSON.parse(text);
      } catch {
        throw new UpstreamError("malformed", 502, "upstream embeddings answer is not JSON");
      }
    } catch (err) {
      throw this.#failed(err instanceof UpstreamError ? err : transportFailure(err, ctl.signal, false));
    } finally {
      ctl.dispose();
    }
  }

  /** Streams one completion; returning early (block, client gone) aborts the upstream request at once. */
  async *generate(request: BackendRequest): AsyncIterable<BackendEvent> {
    const anthropic = this.options.dialect === "anthropic";
    const path = anthropic ? "/messages" : request.kind === "chat" ? "/chat/completions" : "/completions";
    // rsk's grammar extensions are enforced here (src/grammar/stream.ts), not sent: OpenAI-compatible servers refuse unknown fields
    // (sampler_kernel picks the local backend's sampler; an upstream samples with its own).
    const { grammar: _grammar, regex: _regex, grammar_options: _options, sampler_kernel: _kernel, ...forwarded } = request.body;
    const body = anthropic ? anthropicRequest(request) : { ...forwarded, stream: true, stream_options: { include_usage: true } };
    const shape: EventShape = { kind: request.kind, choices: request.body.n ?? 1 };
    const messages = anthropic ? new AnthropicStream() : undefined;
    const decode = (e: EventSourceMessage) =>
      messages ? messages.decode(e.event, e.data) : e.data === "[DONE]" ? { events: [], done: true } : { events: chunkEvents(e.data, shape), done: false };
    const limit = this.options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const ctl = new TimedController(request.signal, this.options.firstByteTimeoutMs);
    const call = upstreamCall(request, this.#base);
    let started = false;
    try {
      let res: Response;
      try {
        res = await fetch(`${this.#base}${path}`, {
          method: "POST",
          headers: { ...this.#headers(), "content-type": "application/json", accept: "text/event-stream", ...(request.requestId ? { "x-request-id": request.requestId } : {}), ...call.headers },
          body: JSON.stringify(body),
          signal: ctl.signal,
        });
      } catch (err) {
        if (request.signal.aborted) return;
        throw transportFailure(err, ctl.signal, false);
      }
      call.status(res.status);
      if (!res.ok) throw await statusFailure(res);
      started = true;
      if (!(res.headers.get("content-type") ?? "").includes("text/event-stream")) {
        if (anthropic) throw new UpstreamError("malformed", 502, "the Anthropic upstream answered without an event stream");
        yield* chunkEvents((await readBody(res, limit)).text, shape);
        return;
      }
      yield* this.#events(res, decode, ctl, limit);
    } catch (err) {
      if (request.signal.aborted) return;
      throw call.failed(this.#failed(err instanceof UpstreamError ? err : transportFailure(err, ctl.signal, started)));
    } finally {
      ctl.dispose();
      call.end(shape.model ?? messages?.model);
    }
  }

  /**
   * The SSE body as events. Per the SSE spec, comments (`: …`) are ignored and lines with unknown fields are
   * skipped; those are counted (reported once per response) and bounded. Only new text counts as progress: a stream
   * of comments or empty deltas still meets the idle deadline.
   */
  async *#events(res: Response, decode: (e: EventSourceMessage) => { events: BackendEvent[]; done: boolean }, ctl: TimedController, limit: number): AsyncIterable<BackendEvent> {
    const pending: EventSourceMessage[] = [];
    let malformed: string | undefined;
    let unknown = 0, sample = "", size = 0;
    const parser = createParser({
      onEvent: (e) => pending.push(e),
      onComment: () => {},
      onError: (e) => {
        if (e.type === "max-buffer-size-exceeded") malformed = `upstream SSE event larger than ${MAX_EVENT_CHARS} characters`;
        else if (e.type === "unknown-field" && ++unknown === 1) sample = (e.line ?? "").slice(0, 64);
      },
      maxBufferSize: MAX_EVENT_CHARS,
    });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let done = false;
    try {
      ctl.arm(this.options.idleTimeoutMs);
      while (!done) {
        ctl.resume();
        const read = await reader.read();
        ctl.pause();
        if (read.done) break;
        parser.feed(read.value);
        if (malformed) throw new UpstreamError("malformed", 502, malformed);
        if (unknown > MAX_UNKNOWN_LINES) throw new UpstreamError("malformed", 502, `upstream sent more than ${MAX_UNKNOWN_LINES} lines that are not SSE fields`);
        const before = size;
        for (const e of pending.splice(0)) {
          const decoded = decode(e);
          for (const event of decoded.events) {
            // The text of all choices (answer, reasoning, tool arguments) is bounded, however it is chunked.
            size += event.type === "text" ? event.text.length : event.type === "tool" ? (event.arguments?.length ?? 0) : 0;
            if (size > limit) throw new UpstreamError("too_large", 502, `upstream response text is longer than ${limit} characters`);
            yield event;
          }
          if (decoded.done) {
            done = true;
            break;
          }
        }
        // Only new text is progress: comments, empty deltas, repeated finishes or usage alone still meet the deadline.
        if (size > before) ctl.arm(this.options.idleTimeoutMs);
      }
      if (!done) throw new UpstreamError("reset", 502, "upstream closed the stream before its end marker");
    } finally {
      if (unknown > 0) this.options.onUnknownLines?.(unknown, sample);
      reader.cancel().catch(() => {});
    }
  }

  #headers(): Record<string, string> {
    if (this.options.dialect === "anthropic") return { "anthropic-version": ANTHROPIC_VERSION, ...(this.options.apiKey ? { "x-api-key": this.options.apiKey } : {}) };
    return this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {};
  }

  #failed(err: UpstreamError): UpstreamError {
    this.options.onFailure?.(err.kind);
    return err;
  }
}

/** An AbortController tied to the client's signal, with a re-armable deadline that aborts with UpstreamTimeout. */
class TimedController {
  readonly #ctl = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #remaining = 0;
  #startedAt = 0;
  readonly #onParentAbort = () => this.#ctl.abort(this.parent.reason);

  constructor(private readonly parent: AbortSignal, firstByteMs: number) {
    if (parent.aborted) this.#ctl.abort(parent.reason);
    else parent.addEventListener("abort", this.#onParentAbort, { once: true });
    this.#set("first byte", firstByteMs);
  }

  /** The signal passed to fetch and body reads. */
  get signal(): AbortSignal {
    return this.#ctl.signal;
  }

  /** Restarts the deadline as an idle (mid-stream) timeout of `ms` (the upstream made progress). */
  arm(ms: number): void {
    this.#remaining = ms;
  }

  /** Runs the idle clock again with what is left of it. */
  resume(): void {
    this.#startedAt = performance.now();
    this.#set("idle", this.#remaining);
  }

  /** Stops the clock while the consumer works (a slow client is backpressure, not a stalled upstream). */
  pause(): void {
    clearTimeout(this.#timer);
    this.#remaining = Math.max(0, this.#remaining - (performance.now() - this.#startedAt));
  }

  /** Clears the timer and aborts the request if it is still open (early return, block, error). */
  dispose(): void {
    clearTimeout(this.#timer);
    this.parent.removeEventListener("abort", this.#onParentAbort);
    this.#ctl.abort(new Error("upstream request finished"));
  }

  #set(phase: UpstreamTimeout["phase"], ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#ctl.abort(new UpstreamTimeout(phase, ms)), ms);
  }
}
