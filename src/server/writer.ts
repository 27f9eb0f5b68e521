/**
 * What every door's writer shares, so each door only says how its events look: decisions are the only input (the
 * one exit), a block or failure ends the response with the door's error and nothing after it, released text and
 * tool calls are timed (TTFT, inter-token), and streamed events go out coalesced.
 */
import type { SSEStreamingApi } from "hono/streaming";
import type { FinishReason, Usage } from "../backends/types.ts";
import { GuardDecision, type Verdict } from "../guard/guard.ts";
import { blockedError } from "../guard/input.ts";
import type { GatewayMetrics } from "../metrics/gateway.ts";
import type { ApiError } from "./errors.ts";
import type { ResponseShape } from "./respond.ts";
import { SseOut } from "./sse-out.ts";

/** The verdict of a guard decision; anything else is refused (the one exit). */
export function verdictOf(decision: GuardDecision): Verdict {
  if (!(decision instanceof GuardDecision)) throw new TypeError("response writers accept only guard decisions");
  return decision.verdict;
}

/** The error a block or failure verdict ends a response with. */
export function endError(v: Extract<Verdict, { kind: "block" | "fail" }>): ApiError {
  return v.kind === "block" ? blockedError(v.policy, v.rule, "completion") : v.error;
}

/** A one-choice response's end as the guard reports it (Messages, Responses): its finish reason and usage. */
export class ResponseEnd {
  finish: FinishReason | undefined;
  usage: Usage | undefined;

  /** Takes a finish or usage verdict. */
  take(v: Extract<Verdict, { kind: "finish" | "usage" }>): void {
    if (v.kind === "finish") this.finish = v.reason;
    else this.usage = v.usage;
  }

  /** Prompt and completion tokens (0 when the backend reported none). */
  get tokens(): { input: number; output: number } {
    return { input: this.usage?.prompt_tokens ?? 0, output: this.usage?.completion_tokens ?? 0 };
  }
}

/** Records time to first token and inter-token gaps of released text. */
export class LatencyClock {
  #last: number | undefined;
  /** The inter-token series, resolved once: it is recorded on every release. */
  readonly #gap: { observe(seconds: number): void };
  constructor(private readonly metrics: GatewayMetrics, private readonly shape: ResponseShape) {
    this.#gap = metrics.interToken.series({ route: shape.kind });
  }
  tick(): void {
    const now = performance.now();
    if (this.#last === undefined) this.metrics.ttft.observe((now - this.shape.startedAt) / 1000, { route: this.shape.kind });
    else this.#gap.observe((now - this.#last) / 1000);
    this.#last = now;
  }
}

/** A verdict that does not end the response. */
export type Progress = Exclude<Verdict, { kind: "block" | "fail" }>;

/** Writes a door's streamed response from guard decisions. */
export interface DecisionWriter {
  /** Writes one decision. */
  write(decision: GuardDecision): Promise<void>;
  /** True after a block or failure (or the end) was written: nothing else may follow. */
  readonly ended: boolean;
  /** Ends a stream that was not blocked or failed. */
  done(): Promise<void>;
}

/** Builds a door's non-streamed response from guard decisions; a block or failure throws its error. */
export interface DecisionCollector {
  /** Adds one decision. */
  add(decision: GuardDecision): void;
  /** The response body. */
  body(): object;
}

/** A door's SSE writer: subclasses write its events for progress, its error event and its end. */
export abstract class EventWriter implements DecisionWriter {
  protected readonly out: SseOut;
  readonly #clock: LatencyClock;
  #ended = false;

  constructor(sse: SSEStreamingApi, protected readonly shape: ResponseShape, metrics: GatewayMetrics) {
    this.out = new SseOut(sse);
    this.#clock = new LatencyClock(metrics, shape);
  }

  /** True after a block, a failure or the end was written. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Writes one decision. */
  async write(decision: GuardDecision): Promise<void> {
    const v = verdictOf(decision);
    if (this.#ended) return;
    if (v.kind === "block" || v.kind === "fail") {
      this.#ended = true;
      await this.error(endError(v));
      return this.out.flush();
    }
    if (v.kind === "release" || v.kind === "tool") this.#clock.tick();
    return this.progress(v);
  }

  /** Ends a stream that was not blocked or failed. */
  async done(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    await this.end();
    await this.out.flush();
  }

  /** The door's events for a verdict that does not end the response. */
  protected abstract progress(v: Progress): Promise<void>;
  /** The door's error event. */
  protected abstract error(error: ApiError): Promise<void>;
  /** The door's successful end. */
  protected abstract end(): Promise<void>;
}

/** A door's non-streamed response: subclasses take progress and build the body. */
export abstract class EventCollector implements DecisionCollector {
  readonly #clock: LatencyClock;

  constructor(protected readonly shape: ResponseShape, metrics: GatewayMetrics) {
    this.#clock = new LatencyClock(metrics, shape);
  }

  /** Adds one decision; a block or failure throws its error. */
  add(decision: GuardDecision): void {
    const v = verdictOf(decision);
    if (v.kind === "block" || v.kind === "fail") throw endError(v);
    if (v.kind === "release" || v.kind === "tool") this.#clock.tick();
    this.take(v);
  }

  /** Takes a verdict that does not end the response. */
  protected abstract take(v: Progress): void;
  /** The response body. */
  abstract body(): object;
}
