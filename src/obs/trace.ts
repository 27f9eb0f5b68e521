/**
 * Traces of `/v1` requests through `@opentelemetry/api` alone: no-ops until a host registers a tracer provider (the
 * server hosts do when OTEL_* asks for it). W3C trace context is read and written here, not by a registered
 * propagator, so an incoming `traceparent` continues its trace (a malformed one is ignored: a new trace) and the
 * upstream call carries it on whatever the host registered. Gate decisions become span events with rule, action
 * and stage: never the matched text.
 */
import {
  type Attributes,
  type Context,
  createTraceState,
  isSpanContextValid,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import type { DecisionObserver, GateDecision } from "../audit/trail.ts";
import type { BackendEvent, BackendRequest } from "../backends/types.ts";
import type { RequestRecord } from "./request-log.ts";

/** Longest `traceparent` / `tracestate` read (the W3C limits are 55 and 512 characters). */
const MAX_HEADER = 512;
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** GenAI operation of each completion door (OpenTelemetry GenAI semantic conventions). */
const OPERATIONS: Record<string, string> = {
  "/v1/chat/completions": "chat",
  "/v1/completions": "text_completion",
  "/v1/messages": "chat",
};

/** The remote parent a well-formed W3C `traceparent` (and its `tracestate`) names; undefined when malformed. */
export function parseTraceparent(value: string | null | undefined, state?: string | null): SpanContext | undefined {
  if (!value || value.length > MAX_HEADER) return undefined;
  const m = TRACEPARENT.exec(value.trim());
  // Version ff is invalid; version 00 has exactly four fields (later versions may append some).
  if (!m || m[1] === "ff" || (m[1] === "00" && m[5] !== undefined)) return undefined;
  const context: SpanContext = { traceId: m[2]!, spanId: m[3]!, traceFlags: parseInt(m[4]!, 16) & 1, isRemote: true };
  if (!isSpanContextValid(context)) return undefined; // all-zero ids
  if (state && state.length <= MAX_HEADER) context.traceState = createTraceState(state);
  return context;
}

/** `traceparent` (and `tracestate`) headers naming `span` as the parent; none for an invalid (no-trace) span. */
export function traceHeaders(span: Span): Record<string, string> {
  const c = span.spanContext();
  if (!isSpanContextValid(c)) return {};
  const headers: Record<string, string> = { traceparent: `00-${c.traceId}-${c.spanId}-0${c.traceFlags & 1}` };
  const state = c.traceState?.serialize();
  if (state) headers.tracestate = state;
  return headers;
}

const tracer = () => trace.getTracer("rsk");

/** One request's server span and its children (admission, generation, the upstream call). */
export class RequestSpan {
  /** The server span (`chat {model}` once the model is known). */
  readonly span: Span;
  readonly #context: Context;
  readonly #finishReasons = new Set<string>();

  constructor(method: string, door: string, headers: Headers) {
    const parent = parseTraceparent(headers.get("traceparent"), headers.get("tracestate"));
    const context = parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
    this.span = tracer().startSpan(`${method} ${door}`, {
      kind: SpanKind.SERVER,
      attributes: defined({ "http.request.method": method, "url.path": door, "gen_ai.operation.name": OPERATIONS[door] }),
    }, context);
    this.#context = trace.setSpan(context, this.span);
  }

  /** A child span of this request. */
  child(name: string, kind: SpanKind, attributes: Attributes = {}): Span {
    return tracer().startSpan(name, { kind, attributes }, this.#context);
  }

  /** `wait` (admission to a backend slot) as the `rsk.admission` span. */
  async admission<T>(wait: Promise<T>): Promise<T> {
    const span = this.child("rsk.admission", SpanKind.INTERNAL);
    try {
      return await wait;
    } catch (err) {
      failed(span, err);
      throw err;
    } finally {
      span.end();
    }
  }

  /** A backend's events as the `rsk.generate` span (local decode, or the upstream call and its stream). */
  async *generation(request: BackendRequest, events: AsyncIterable<BackendEvent>): AsyncGenerator<BackendEvent> {
    const span = this.child("rsk.generate", SpanKind.INTERNAL);
    CALLS.set(request.signal, { request: this, parent: trace.setSpan(this.#context, span) });
    try {
      yield* events;
    } catch (err) {
      failed(span, err);
      throw err;
    } finally {
      span.end();
    }
  }

  /** `trail`, also recording each gate decision as a `rsk.gate` event (rule, action, stage; never the match). */
  observe(trail: DecisionObserver): DecisionObserver {
    return {
      decided: (policy, d) => {
        this.decision(d);
        trail.decided(policy, d);
      },
      released: (chars) => trail.released(chars),
    };
  }

  /** A gate decision as a span event. */
  decision(d: GateDecision): void {
    this.span.addEvent("rsk.gate", defined({ "rsk.gate.decision": d.kind, "rsk.gate.stage": d.stage, "rsk.gate.rule": d.rule, "rsk.gate.action": d.action, "rsk.gate.choice": d.choice }));
  }

  /** A choice's finish reason. */
  finished(reason: string): void {
    this.#finishReasons.add(reason);
  }

  /** Ends the span with the request's record (called once, at the request's real end). */
  end(record: RequestRecord): void {
    const span = this.span;
    if (span.isRecording()) {
      const operation = OPERATIONS[record.door];
      if (operation && record.model) span.updateName(`${operation} ${record.model}`);
      const failure = record.status >= 500 || record.end === "failed";
      span.setAttributes(defined({
        "http.response.status_code": record.status,
        "gen_ai.request.model": record.model,
        "gen_ai.usage.input_tokens": record.promptTokens,
        "gen_ai.usage.output_tokens": record.completionTokens,
        "gen_ai.response.finish_reasons": this.#finishReasons.size ? [...this.#finishReasons] : undefined,
        "rsk.request_id": record.id,
        "rsk.policy": record.policy,
        "rsk.policy.version": record.version,
        "rsk.end_reason": record.end,
        "rsk.tenant": record.tenant ?? undefined,
        "rsk.ttft_ms": record.ttftMs,
        "error.type": failure ? record.error ?? String(record.status) : undefined,
      }));
      if (failure) span.setStatus({ code: SpanStatusCode.ERROR, message: record.error });
    }
    span.end();
  }
}

/**
 * The span of each backend request being generated, for the upstream call's span. Keyed by the request's abort
 * signal, which a router's copies of the request (`{ ...request, body }`) keep.
 */
const CALLS = new WeakMap<AbortSignal, { request: RequestSpan; parent: Context }>();

/** The upstream HTTP call of a backend request, as a client span. */
export interface UpstreamCall {
  /** `traceparent` (and `tracestate`) to send upstream. */
  readonly headers: Record<string, string>;
  /** The upstream answered with `status`. */
  status(status: number): void;
  /** The call failed with `err`; returns it. */
  failed<E>(err: E): E;
  /** Ends the span, with the model the upstream says answered (`gen_ai.response.model`) when it named one. */
  end(responseModel?: string): void;
}

/**
 * The client span of `request`'s upstream call to `url` (`chat {model}` with `server.address`), a child of its
 * generation span; also stamps `server.address` on the request's server span. A request generated outside a traced
 * `/v1` request (a backend used directly) gets a no-op call and no headers.
 */
export function upstreamCall(request: BackendRequest, url: string): UpstreamCall {
  const at = CALLS.get(request.signal);
  if (!at) return { headers: {}, status: () => {}, failed: (err) => err, end: () => {} };
  const { hostname, port, protocol } = new URL(url);
  const address = { "server.address": hostname.replace(/^\[|\]$/g, ""), "server.port": Number(port) || (protocol === "https:" ? 443 : 80) };
  at.request.span.setAttributes(address);
  const operation = request.kind === "chat" ? "chat" : "text_completion";
  const model = request.body.model;
  const span = tracer().startSpan(`${operation} ${model}`, {
    kind: SpanKind.CLIENT,
    attributes: { ...address, "gen_ai.operation.name": operation, "gen_ai.request.model": model, "http.request.method": "POST" },
  }, at.parent);
  return {
    headers: traceHeaders(span),
    status: (status) => {
      span.setAttribute("http.response.status_code", status);
      if (status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
    },
    failed: (err) => {
      failed(span, err);
      return err;
    },
    end: (responseModel) => {
      if (responseModel !== undefined) span.setAttribute("gen_ai.response.model", responseModel);
      span.end();
    },
  };
}

/** Marks `span` failed by `err`: its code (an ApiError's) or name, never its message (it may quote an upstream). */
function failed(span: Span, err: unknown): void {
  const type = (err as { code?: unknown })?.code ?? (err as { name?: unknown })?.name;
  span.setAttribute("error.type", typeof type === "string" && type ? type : "error");
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/** `attributes` without the undefined ones. */
function defined(attributes: Record<string, Attributes[string]>): Attributes {
  return Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined));
}
