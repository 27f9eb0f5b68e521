/** One request's view of the audit log and its token meter: what the input gate and the output guard report to. */
import type { Policy } from "../policy/compile.ts";
import type { AuditSink } from "./sink.ts";
import type { AuditEvent } from "./record.ts";

/** One gate decision as the gates see it (policy comes separately). */
export interface GateDecision {
  /** finding: a rule matched (any action); block: the prompt or response was ended by `rule`. */
  kind: "finding" | "block";
  /** Prompt or generated text. */
  stage: "input" | "output";
  /** Rule id (or gate_error). */
  rule: string;
  /** Action taken. */
  action: string;
  /** Choice index (output only). */
  choice?: number;
  /** Backend text event index within the choice (output only). */
  token?: number;
  /** Offset of the match. */
  offset?: number;
  /** The matched text (recorded only when the policy sets `audit.matches`). */
  match?: string;
}

/** What the guard and the input gate notify; implemented by RequestTrail, optional everywhere (tests, plugins). */
export interface DecisionObserver {
  /** A gate decided something. */
  decided(policy: Policy, decision: GateDecision): void;
  /** The guard released `chars` characters to the client (token metering). */
  released(chars: number): void;
}

/** Per-request observer: audit records carry the request id, caller and latency; released text feeds the meter. */
export class RequestTrail implements DecisionObserver {
  constructor(
    /** The log, or undefined when auditing is off. */
    private readonly log: AuditSink | undefined,
    /** Request id, caller id and tenant stamped on every record. */
    private readonly who: { request: string; key: string; tenant: string | null },
    /** Counts released characters against the caller's token limit. */
    private readonly meter?: { add(chars: number): void },
    /** When the request arrived (performance.now()). */
    private readonly startedAt = performance.now(),
    /** Also told of every decision (the request log's counts). */
    private readonly onDecision?: (decision: GateDecision) => void,
  ) {}

  /** Records a decision; the matched text only when the policy opts in to it. */
  decided(policy: Policy, d: GateDecision): void {
    this.onDecision?.(d);
    const { match, ...decision } = withoutKind(d);
    const event: AuditEvent = { event: d.kind === "block" ? "block" : "decision", policy: policy.name, version: policy.version, ...decision };
    if (policy.audit.matches && match !== undefined) event.match = match;
    this.record(event);
  }

  /** Counts released text. */
  released(chars: number): void {
    this.meter?.add(chars);
  }

  /** Records a refusal or any other event for this request. */
  record(event: AuditEvent): void {
    this.log?.append({ ...event, ...this.who, latencyMs: Math.round((performance.now() - this.startedAt) * 1000) / 1000 });
  }
}

function withoutKind({ kind: _, ...rest }: GateDecision): Omit<GateDecision, "kind"> {
  return rest;
}
