/** `POST /v1/chat/completions` and `POST /v1/completions`: validate, gate the prompt, generate, guard, write. */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { Backend, BackendEvent, BackendRequest } from "../backends/types.ts";
import { type GuardDecision, OutputGuard } from "../guard/guard.ts";
import { gateMessages, gateText } from "../guard/input.ts";
import type { GatewayMetrics } from "../metrics/gateway.ts";
import type { RequestEnd, RequestSummary } from "../obs/request-log.ts";
import type { Policy } from "../policy/compile.ts";
import type { PolicySource } from "../policy/source.ts";
import { admit, clientGone, DEFAULT_TENANT, timedOut } from "../sched/admission.ts";
import type { Scheduler, Ticket } from "../sched/scheduler.ts";
import { TimeSlice } from "../sched/slice.ts";
import type { Drain } from "./drain.ts";
import { ApiError, asApiError } from "./errors.ts";
import { GRAMMAR_WARNINGS_HEADER, grammarChecks } from "./grammar-checks.ts";
import { DEFAULT_SSE_HEARTBEAT_MS, SseHeartbeat } from "./heartbeat.ts";
import type { Door } from "./door.ts";
import type { ResponseShape } from "./respond.ts";
import type { DecisionCollector } from "./writer.ts";
import { parseJsonBody } from "./validate.ts";
import type { ChatRequest, CompletionRequest, WireLimits } from "./wire.ts";

/** What the completion routes need from the gateway. */
export interface CompletionDeps {
  /** Source of generated text. */
  backend: Backend;
  /** Live policies. */
  policies: PolicySource;
  /** Metric families. */
  metrics: GatewayMetrics;
  /** Validation limits. */
  limits: WireLimits;
  /** Admission queue and backend slots every completion passes through. */
  scheduler: Scheduler;
  /** Drain state: in-flight requests are tracked so a shutdown can end them. */
  drain: Drain;
  /**
   * A stream whose first event has not come within this many ms gets its SSE headers anyway (the first event, even a
   * failure, then arrives as an event). For hosts that report a client that goes away only by cancelling the
   * response body (workerd without `enable_request_signal`, proxies): no response, no cancel. Default: one SSE
   * heartbeat, so a backend that fails before its first byte within it gets a plain JSON error with its status.
   */
  sseHeadersAfterMs?: number;
}

/** Header that selects a policy per request. */
export const POLICY_HEADER = "x-rsk-policy";

/** The handler of one door (or of a door loaded on first use): validate, gate the prompt, generate, guard, write. */
export function completionHandler(doorOf: Door | (() => Promise<Door>), deps: CompletionDeps) {
  return async (c: Context): Promise<Response> => {
    const startedAt = performance.now();
    const door = typeof doorOf === "function" ? await doorOf() : doorOf;
    const bytes = await c.req.arrayBuffer();
    const { kind, body } = door.parse(parseJsonBody(bytes), deps.limits);
    const grammar = await grammarChecks(body);
    if (grammar?.warnings.length) c.header(GRAMMAR_WARNINGS_HEADER, grammar.warnings.join("; ").replace(/[^\x20-\x7e]/g, "?").slice(0, 4096));
    const policy = selectPolicy(deps.policies, c.req.header(POLICY_HEADER));
    const caller = c.get("caller");
    await caller.admitPrompt(bytes.byteLength);
    c.header("x-rsk-policy", policy.name);
    c.header("x-rsk-policy-version", policy.version);
    const summary = c.get("summary") as RequestSummary | undefined;
    if (summary) Object.assign(summary.record, { policy: policy.name, version: policy.version, model: body.model.slice(0, 128) });
    const span = summary?.span;
    const trail = span ? span.observe(caller.trail) : caller.trail;

    const abort = new AbortController();
    c.req.raw.signal.addEventListener("abort", () => abort.abort(), { once: true });
    const request: BackendRequest = "messages" in body
      ? { kind: "chat", body: { ...body, messages: gateMessages(policy, body.messages, deps.metrics, trail) }, signal: abort.signal, tokens: policy.tokens, requestId: caller.requestId }
      : { kind: "completion", body: { ...body, prompt: gateText(policy, [body.prompt].flat()[0]!, deps.metrics, trail) }, signal: abort.signal, tokens: policy.tokens, requestId: caller.requestId };
    const shape: ResponseShape = {
      id: door.responseId(),
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      kind,
      includeUsage: body.stream_options?.include_usage === true,
      startedAt,
    };
    const waiting = admit(deps.scheduler, caller.fairnessKey ?? DEFAULT_TENANT, c.req.raw.signal, abort);
    const ticket = await (span ? span.admission(waiting) : waiting);
    const tracked = deps.drain.track(abort);
    const generated = span ? span.generation(request, deps.backend.generate(request)) : deps.backend.generate(request);
    const decisions = guarded(grammar ? grammar.check(generated) : generated, new OutputGuard(policy, deps.metrics, trail, callableTools(body)), deps.scheduler, ticket, summary, abort.signal, tracked);
    if (!body.stream) return c.json(await collect(decisions, door.collector(shape, deps.metrics)));
    return stream(c, decisions, shape, abort, deps, summary, door);
  };
}

/** The tools a response may call: those the request declared, none when `tool_choice` is "none". */
function callableTools(body: ChatRequest | CompletionRequest): Set<string> {
  if (!("messages" in body) || !body.tools || body.tool_choice === "none") return new Set();
  return new Set(body.tools.map((t) => t.function.name));
}

/** The policy a request names in its header (or the default); 400 naming the loaded ones when unknown. */
export function selectPolicy(store: PolicySource, name: string | undefined): Policy {
  const policy = store.resolve(name);
  if (policy) return policy;
  const known = [...store.current.byName.keys()].join(", ");
  throw new ApiError(400, `unknown policy "${String(name).slice(0, 64)}" in ${POLICY_HEADER}; loaded policies: ${known}`, {
    param: POLICY_HEADER,
    code: "unknown_policy",
  });
}

/**
 * Backend events through the guard; errors become a sealed failure; stops (aborting the backend) on a block.
 * Drives the request's lifecycle: the slot is freed as soon as the backend is done, before the last writes.
 */
async function* guarded(
  events: AsyncIterable<BackendEvent>,
  guard: OutputGuard,
  scheduler: Scheduler,
  ticket: Ticket,
  summary: RequestSummary | undefined,
  signal: AbortSignal,
  tracked: { done(): void },
): AsyncGenerator<GuardDecision> {
  try {
    scheduler.fire(ticket, "start");
    const slice = new TimeSlice();
    for await (const event of events) {
      if (slice.due()) await slice.yield();
      if (event.type === "text") scheduler.fire(ticket, "token");
      const out = guard.admit(event);
      if (guard.ended) scheduler.fire(ticket, guard.blocked ? "block" : "fail");
      if (summary) observe(summary, guard, out);
      yield* out;
      if (guard.ended) return;
    }
    // A deadline (request timeout, drain) stopped the backend early: that is no completion.
    const late = timedOut(ticket, scheduler) ?? (signal.reason instanceof ApiError ? signal.reason : undefined);
    if (late) throw late;
    const tail = guard.drain();
    scheduler.fire(ticket, guard.blocked ? "block" : "complete");
    if (summary) observe(summary, guard, tail);
    yield* tail;
  } catch (err) {
    scheduler.fire(ticket, "fail");
    summary?.fail(asApiError(err));
    yield guard.fail(asApiError(err));
  } finally {
    scheduler.fire(ticket, "cancel");
    tracked.done();
  }
}

/** What the request log learns from a batch of decisions: first output, usage, a block or failure. */
function observe(summary: RequestSummary, guard: OutputGuard, decisions: readonly GuardDecision[]): void {
  for (const { verdict: v } of decisions) {
    if (v.kind === "release" || v.kind === "tool") summary.released();
    else if (v.kind === "usage") summary.usage(v.usage.prompt_tokens, v.usage.completion_tokens);
    else if (v.kind === "finish") summary.span.finished(v.reason);
    else if (v.kind === "fail") summary.fail(v.error);
  }
  if (guard.ended) summary.outcome = guard.blocked ? "blocked" : "failed";
}

async function collect(decisions: AsyncIterable<GuardDecision>, out: DecisionCollector): Promise<object> {
  for await (const d of decisions) out.add(d);
  return out.body();
}

async function stream(
  c: Context,
  decisions: AsyncGenerator<GuardDecision>,
  shape: ResponseShape,
  abort: AbortController,
  { metrics, sseHeadersAfterMs }: CompletionDeps,
  summary: RequestSummary | undefined,
  door: Door,
): Promise<Response> {
  // Wait for the first decision so a backend that fails before sending anything gets a plain 502/504 JSON error; but no
  // longer than one heartbeat: a stream the gates hold back (or a slow first token) then gets its headers and keep-alives.
  const heartbeatMs = c.get("sseHeartbeatMs") ?? DEFAULT_SSE_HEARTBEAT_MS;
  const next = decisions.next();
  const early = await firstOrTimeout(next, sseHeadersAfterMs ?? heartbeatMs);
  if (early && !early.done && early.value.verdict.kind === "fail") {
    // Closed before the throw, so the request stops counting as in flight (a drain would wait for it otherwise).
    await decisions.return(undefined);
    throw early.value.verdict.error;
  }
  metrics.activeStreams++;
  if (summary) summary.streaming = true;
  return streamSSE(c, async (sse) => {
    sse.onAbort(() => abort.abort());
    const writer = door.writer(sse, shape, metrics);
    // A silent backend (prefill, a slow upstream) still moves bytes, so idle timeouts never cut a live stream.
    const heartbeat = new SseHeartbeat(sse, heartbeatMs);
    let reason: RequestEnd = "completed";
    try {
      const first = early ?? await next;
      if (!first.done) await writer.write(first.value);
      heartbeat.touch();
      for await (const d of decisions) {
        if (clientGone(abort.signal)) break;
        await writer.write(d);
        heartbeat.touch();
        if (writer.ended) {
          reason = d.verdict.kind === "block" ? "blocked" : "failed";
          break;
        }
      }
      if (clientGone(abort.signal)) reason = "aborted";
      else await writer.done();
    } finally {
      heartbeat.stop();
      await decisions.return(undefined);
      metrics.activeStreams--;
      metrics.streamEnds.inc({ reason });
      summary?.finish(200, reason);
    }
  });
}

/** `next`'s result, or undefined when `ms` passes first (never, when `ms` is undefined). */
async function firstOrTimeout<T>(next: Promise<T>, ms: number | undefined): Promise<T | undefined> {
  if (ms === undefined) return next;
  let cancel = () => {};
  try {
    return await Promise.race([next, new Promise<undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), ms);
      cancel = () => clearTimeout(timer);
    })]);
  } finally {
    cancel();
  }
}
