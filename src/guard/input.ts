/** The input gate: every prompt text goes through the policy's input rules before any backend sees it. */
import type { DecisionObserver } from "../audit/trail.ts";
import type { GateStep } from "../gates/mod.ts";
import type { GatewayMetrics } from "../metrics/gateway.ts";
import type { Policy } from "../policy/load.ts";
import { ApiError } from "../server/errors.ts";
import type { ChatMessage } from "../server/wire.ts";
import { GATE_ERROR_RULE } from "./guard.ts";

/** The error a blocked prompt or response gets: names policy and rule, never the matched text. */
export function blockedError(policy: string, rule: string, where: "prompt" | "completion"): ApiError {
  return new ApiError(400, `the ${where} was blocked by policy "${policy}" (rule "${rule}")`, {
    code: "content_blocked",
    param: where === "prompt" ? "messages" : null,
  });
}

/** Applies the input rules to one text; returns it redacted/masked, or throws a 400 when a rule blocks. */
export function gateText(policy: Policy, text: string, metrics: GatewayMetrics, observer?: DecisionObserver): string {
  const t0 = performance.now();
  let step: GateStep;
  try {
    step = policy.input.scan(text);
  } catch {
    metrics.decisions.inc({ policy: policy.name, rule: GATE_ERROR_RULE, action: policy.onError });
    observer?.decided(policy, { kind: "finding", stage: "input", rule: GATE_ERROR_RULE, action: policy.onError });
    if (policy.onError === "pass") return text;
    throw blockedError(policy.name, GATE_ERROR_RULE, "prompt");
  } finally {
    metrics.gateLatency.observe((performance.now() - t0) / 1000, { stage: "input" });
  }
  for (const f of step.findings) {
    metrics.decisions.inc({ policy: policy.name, rule: f.rule, action: f.action });
    observer?.decided(policy, { kind: "finding", stage: "input", rule: f.rule, action: f.action, offset: f.start, match: f.match });
  }
  if (step.blocked) {
    observer?.decided(policy, { kind: "block", stage: "input", rule: step.blocked.rule, action: "block" });
    throw blockedError(policy.name, step.blocked.rule, "prompt");
  }
  return step.text;
}

/** Chat messages with every text part through the input gate. */
export function gateMessages(policy: Policy, messages: readonly ChatMessage[], metrics: GatewayMetrics, observer?: DecisionObserver): ChatMessage[] {
  return messages.map((m) => ({
    ...m,
    content: typeof m.content === "string"
      ? gateText(policy, m.content, metrics, observer)
      : m.content.map((part) => (part.type === "text" ? { ...part, text: gateText(policy, part.text, metrics, observer) } : part)),
  }));
}
