/**
 * The guard: turns ungated backend events into sealed decisions, the only values the response writers accept.
 * A decision can be minted only in this module (its constructor demands a module-private token), so no code
 * path can hand a writer text that did not pass the policy's output gates.
 */
import type { BackendEvent, FinishReason, Usage } from "../backends/types.ts";
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
  #blocked = false;

  constructor(
    /** The policy snapshot this response was admitted under. */
    readonly policy: Policy,
    /** Where findings and gate latency are recorded. */
    private readonly metrics: GatewayMetrics,
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
    const t0 = performance.now();
    let step: GateStep;
    try {
      step = run(stream);
    } catch {
      this.metrics.decisions.inc({ policy: this.policy.name, rule: GATE_ERROR_RULE, action: this.policy.onError });
      if (this.policy.onError === "pass") return raw ? [seal({ kind: "release", choice, text: raw })] : [];
      return [this.#block(choice, GATE_ERROR_RULE)];
    } finally {
      this.metrics.gateLatency.observe((performance.now() - t0) / 1000, { stage: "output" });
    }
    this.#record(step.findings);
    if (step.blocked) return [this.#block(choice, step.blocked.rule)];
    return step.text ? [seal({ kind: "release", choice, text: step.text })] : [];
  }

  #block(choice: number, rule: string): GuardDecision {
    this.#blocked = true;
    return seal({ kind: "block", choice, policy: this.policy.name, rule });
  }

  #record(findings: readonly Finding[]): void {
    for (const f of findings) this.metrics.decisions.inc({ policy: this.policy.name, rule: f.rule, action: f.action });
  }
}
