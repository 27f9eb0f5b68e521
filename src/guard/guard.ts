/**
 * The guard: turns ungated backend events into sealed decisions, the only values the response writers accept.
 * A decision can be minted only in this module (its constructor demands a module-private token), so no code
 * path can hand a writer text that did not pass the policy's output gates.
 */
import type { BackendEvent, Channel, FinishReason, Usage } from "../backends/types.ts";
import type { DecisionObserver } from "../audit/trail.ts";
import type { Finding, GateStep, TextStream } from "../gates/mod.ts";
import type { GatewayMetrics } from "../metrics/gateway.ts";
import type { Policy } from "../policy/compile.ts";
import { ApiError } from "../server/errors.ts";
import { type ToolCallPiece, ToolCallGates, type ToolStep } from "./tools.ts";

const MINT: unique symbol = Symbol("guard-decision");

/** What the guard decided for one piece of a response. */
export type Verdict =
  | { kind: "release"; choice: number; text: string; channel: Channel }
  | { kind: "tool"; choice: number; piece: ToolCallPiece }
  | { kind: "finish"; choice: number; reason: FinishReason }
  | { kind: "usage"; usage: Usage }
  | { kind: "block"; choice: number; policy: string; rule: string }
  | { kind: "fail"; error: ApiError };

/** A verdict sealed by the guard. */
export class GuardDecision {
  /** The verdict itself. */
  readonly verdict: Verdict;
  /** Only this module holds the token; constructing one anywhere else throws. */
  constructor(token: typeof MINT, verdict: Verdict) {
    if (token !== MINT) throw new TypeError("GuardDecision can only be created by the guard");
    this.verdict = verdict;
  }
}

const seal = (verdict: Verdict) => new GuardDecision(MINT, verdict);

/** Rule name reported when a gate itself throws and the policy fails closed. */
export const GATE_ERROR_RULE = "gate_error";

/**
 * Per-response output guard: one gate stream per choice and channel (answer, reasoning, refusal), fail closed unless
 * the policy says otherwise. A choice's channel is one stream from its first byte to the response's real end: a backend's finish (and usage) event is
 * only remembered (held text is resolved, finishes and usage released by `drain()`), so nothing an upstream says
 * in between restarts a gate; text for a choice after its finish is refused.
 */
export class OutputGuard {
  /** Open gate streams by choice, then channel (in the order they opened). */
  readonly #streams = new Map<number, Map<Channel, TextStream>>();
  readonly #tokens = new Map<number, number>();
  readonly #finished = new Map<number, FinishReason>();
  readonly #tools: ToolCallGates;
  /** Output gate latency, resolved once: it is recorded on every push. */
  readonly #gateLatency: { observe(seconds: number): void };
  #usage: Usage | undefined;
  #blocked = false;
  #failed = false;

  constructor(
    /** The policy snapshot this response was admitted under. */
    readonly policy: Policy,
    /** Where findings and gate latency are recorded. */
    private readonly metrics: GatewayMetrics,
    /** Audit and token metering for this request (optional: tests and plugins may omit it). */
    private readonly observer?: DecisionObserver,
    /** Names of the tools the request declared: a call to any other is blocked. */
    declaredTools: ReadonlySet<string> = new Set(),
  ) {
    this.#tools = new ToolCallGates(policy.output, declaredTools, policy.tools);
    this.#gateLatency = metrics.gateLatency.series({ stage: "output" });
  }

  /** True once any choice was blocked: the response must end. */
  get blocked(): boolean {
    return this.#blocked;
  }

  /** True once the response was blocked or failed: nothing more may be written. */
  get ended(): boolean {
    return this.#blocked || this.#failed;
  }

  /** Decisions for one backend event (none, some released text, a block, or a failure). */
  admit(event: BackendEvent): GuardDecision[] {
    if (this.ended) return [];
    switch (event.type) {
      case "usage":
        // Released after the finishes, where OpenAI's own streams put it.
        this.#usage = event.usage;
        return [];
      case "text":
        if (this.#finished.has(event.choice)) return [this.#afterFinish(event.choice)];
        return this.#step(event.choice, event.channel ?? "content", (s) => s.push(event.text), event.text);
      case "tool":
        if (this.#finished.has(event.choice)) return [this.#afterFinish(event.choice)];
        return this.#toolStep(event.choice, () => this.#tools.push(event.choice, event.call, event.id, event.name, event.arguments));
      case "finish":
        // The first reason stands; the stream stays open (and its held text held) until the response ends.
        if (!this.#finished.has(event.choice)) this.#finished.set(event.choice, event.reason);
        return [];
    }
  }

  /** The response's real end: resolves what every choice still holds, then releases each choice's finish. */
  drain(): GuardDecision[] {
    const out: GuardDecision[] = [];
    const choices = [...new Set([...this.#streams.keys(), ...this.#finished.keys(), ...this.#tools.choices()])].sort((a, b) => a - b);
    for (const choice of choices) {
      if (this.ended) break;
      for (const channel of this.#streams.get(choice)?.keys() ?? []) {
        if (!this.ended) out.push(...this.#step(choice, channel, (s) => s.end(), ""));
      }
      for (const call of this.#tools.callsOf(choice)) {
        if (!this.ended) out.push(...this.#toolStep(choice, () => this.#tools.end(choice, call)));
      }
      const reason = this.#finished.get(choice) ?? (this.#tools.callsOf(choice).length > 0 ? "tool_calls" : "stop");
      if (!this.ended) out.push(seal({ kind: "finish", choice, reason }));
    }
    // The response is over: its streams go back to their sets for later responses (restarted, nothing held).
    for (const channels of this.#streams.values()) {
      for (const [channel, stream] of channels) (channel === "reasoning" ? this.policy.reasoning : this.policy.output).recycle?.(stream);
    }
    this.#streams.clear();
    if (this.#usage && !this.ended) out.push(seal({ kind: "usage", usage: this.#usage }));
    return out;
  }

  /**
   * A transport or backend failure, sealed so the writer can end the response with it. Upstream-supplied text in
   * it is model output: it goes through this policy's output gates, and is withheld if they block or fail.
   */
  fail(error: ApiError): GuardDecision {
    this.#failed = true;
    if (error.detail !== undefined) error = error.withDetail(this.#gatedDetail(error.detail));
    return seal({ kind: "fail", error });
  }

  /** An upstream's error text through a fresh output stream: the released text, or undefined when it may not be shown. */
  #gatedDetail(detail: string): string | undefined {
    try {
      const step = this.policy.output.scan(detail);
      this.#record(step.findings, -1, 0);
      return step.blocked ? undefined : step.text;
    } catch {
      return undefined;
    }
  }

  #afterFinish(choice: number): GuardDecision {
    return this.fail(new ApiError(502, `upstream sent more for choice ${choice} after its finish_reason`, { type: "upstream_error", code: "upstream_malformed" }));
  }

  /** One tool step through the same accounting as text: findings recorded, a block or a broken call ends the response. */
  #toolStep(choice: number, run: () => ToolStep): GuardDecision[] {
    const t0 = performance.now();
    let step: ToolStep;
    try {
      step = run();
    } catch {
      // No fail-open for tool calls: arguments a gate could not read are never released raw.
      this.metrics.decisions.inc({ policy: this.policy.name, rule: GATE_ERROR_RULE, action: "block" });
      return [this.#block(choice, GATE_ERROR_RULE, 0)];
    } finally {
      this.#gateLatency.observe((performance.now() - t0) / 1000);
    }
    this.#record(step.findings, choice, 0);
    if (step.error) return [this.fail(new ApiError(502, `upstream sent a broken tool call: ${step.error}`, { type: "upstream_error", code: "upstream_malformed" }))];
    if (step.blocked) return [this.#block(choice, step.blocked.rule, 0)];
    return step.piece ? [seal({ kind: "tool", choice, piece: step.piece })] : [];
  }

  #step(choice: number, channel: Channel, run: (s: TextStream) => GateStep, raw: string): GuardDecision[] {
    let channels = this.#streams.get(choice);
    if (!channels) this.#streams.set(choice, (channels = new Map()));
    let stream = channels.get(channel);
    if (!stream) channels.set(channel, (stream = (channel === "reasoning" ? this.policy.reasoning : this.policy.output).open()));
    const token = this.#tokens.get(choice) ?? 0;
    if (raw) this.#tokens.set(choice, token + 1);
    const t0 = performance.now();
    let step: GateStep;
    try {
      step = run(stream);
    } catch {
      this.metrics.decisions.inc({ policy: this.policy.name, rule: GATE_ERROR_RULE, action: this.policy.onError });
      this.observer?.decided(this.policy, { kind: "finding", stage: "output", rule: GATE_ERROR_RULE, action: this.policy.onError, choice, token });
      if (this.policy.onError === "pass") return raw ? [this.#release(choice, channel, raw)] : [];
      return [this.#block(choice, GATE_ERROR_RULE, token)];
    } finally {
      this.#gateLatency.observe((performance.now() - t0) / 1000);
    }
    this.#record(step.findings, choice, token);
    if (step.blocked) return [this.#block(choice, step.blocked.rule, token)];
    return step.text ? [this.#release(choice, channel, step.text)] : [];
  }

  #release(choice: number, channel: Channel, text: string): GuardDecision {
    this.observer?.released(text.length);
    return seal({ kind: "release", choice, text, channel });
  }

  #block(choice: number, rule: string, token: number): GuardDecision {
    this.#blocked = true;
    this.observer?.decided(this.policy, { kind: "block", stage: "output", rule, action: "block", choice, token });
    return seal({ kind: "block", choice, policy: this.policy.name, rule });
  }

  #record(findings: readonly Finding[], choice: number, token: number): void {
    for (const f of findings) {
      this.metrics.decisions.inc({ policy: this.policy.name, rule: f.rule, action: f.action });
      this.observer?.decided(this.policy, { kind: "finding", stage: "output", rule: f.rule, action: f.action, choice, token, offset: f.start, match: f.match });
    }
  }
}
