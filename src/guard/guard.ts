/**
 * The guard: turns ungated backend events into sealed decisions, the only values the response writers accept.
 * A decision can be minted only in this module (its constructor demands a module-private token), so no code
 * path can hand a writer text that did not pass the policy's output gates.
 */
import type { BackendEvent, FinishReason, Usage } from "../backends/types.ts";
import type { DecisionObserver } from "../audit/trail.ts";
import type { Finding, GateStep, TextStream } from "../gates/mod.ts";
import type { GatewayMetrics } from "../metrics/gateway.ts";
import type { Policy } from "../policy/load.ts";
import type { ApiError } from "../server/errors.ts";

const MINT: unique symbol = Symbol("guard-decision");

/** What the guard decided for one piece of a response. */
export type Verdict =
  | { kind: "release"; choice: number; text: string }
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

/** Per-response output guard: one gate stream per choice, fail closed unless the policy says otherwise. */
export class OutputGuard {
  readonly #streams = new Map<number, TextStream>();
  readonly #tokens = new Map<number, number>();
  #blocked = false;

  constructor(
    /** The policy snapshot this response was admitted under. */
    readonly policy: Policy,
    /** Where findings and gate latency are recorded. */
    private readonly metrics: GatewayMetrics,
    /** Audit and token metering for this request (optional: tests and plugins may omit it). */
    private readonly observer?: DecisionObserver,
  ) {}

  /** True once any choice was blocked: the response must end. */
  get blocked(): boolean {
    return this.#blocked;
  }

  /** Decisions for one backend event (none, some released text, a finish, or a block). */
  admit(event: BackendEvent): GuardDecision[] {
    if (this.#blocked) return [];
    switch (event.type) {
      case "usage":
        return [seal({ kind: "usage", usage: event.usage })];
      case "text":
        return this.#step(event.choice, (s) => s.push(event.text), event.text);
      case "finish": {
        const out = this.#step(event.choice, (s) => s.end(), "");
        this.#streams.delete(event.choice);
        if (!this.#blocked) out.push(seal({ kind: "finish", choice: event.choice, reason: event.reason }));
        return out;
      }
    }
  }

  /** Releases whatever every open choice still holds (backend ended without finish events). */
  drain(): GuardDecision[] {
    const out: GuardDecision[] = [];
    for (const choice of [...this.#streams.keys()]) out.push(...this.admit({ type: "finish", choice, reason: "stop" }));
    return out;
  }

  /** A transport or backend failure, sealed so the writer can end the response with it. */
  fail(error: ApiError): GuardDecision {
    return seal({ kind: "fail", error });
  }

  #step(choice: number, run: (s: TextStream) => GateStep, raw: string): GuardDecision[] {
    let stream = this.#streams.get(choice);
    if (!stream) this.#streams.set(choice, (stream = this.policy.output.open()));
    const token = this.#tokens.get(choice) ?? 0;
    if (raw) this.#tokens.set(choice, token + 1);
    const t0 = performance.now();
    let step: GateStep;
    try {
      step = run(stream);
    } catch {
      this.metrics.decisions.inc({ policy: this.policy.name, rule: GATE_ERROR_RULE, action: this.policy.onError });
      this.observer?.decided(this.policy, { kind: "finding", stage: "output", rule: GATE_ERROR_RULE, action: this.policy.onError, choice, token });
      if (this.policy.onError === "pass") return raw ? [this.#release(choice, raw)] : [];
      return [this.#block(choice, GATE_ERROR_RULE, token)];
    } finally {
      this.metrics.gateLatency.observe((performance.now() - t0) / 1000, { stage: "output" });
    }
    this.#record(step.findings, choice, token);
    if (step.blocked) return [this.#block(choice, step.blocked.rule, token)];
    return step.text ? [this.#release(choice, step.text)] : [];
  }

  #release(choice: number, text: string): GuardDecision {
    this.observer?.released(text.length);
    return seal({ kind: "release", choice, text });
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
