/** The input gate: every prompt text goes through the policy's input rules before any backend sees it. */
import type { DecisionObserver } from "../audit/trail.ts";
import type { GateStep } from "../gates/mod.ts";
import type { GatewayMetrics } from "../metrics/gateway.ts";
import type { Policy } from "../policy/compile.ts";
import { ApiError } from "../server/errors.ts";
import type { ChatMessage } from "../server/wire.ts";
import { GATE_ERROR_RULE } from "./guard.ts";
import { gateJsonText } from "./json-stream.ts";

/** The error a blocked prompt or response gets: names policy and rule, never the matched text. */
export function blockedError(policy: string, rule: string, where: "prompt" | "completion"): ApiError {
  return new ApiError(400, `the ${where} was blocked by policy "${policy}" (rule "${rule}")`, {
    code: "content_blocked",
    param: where === "prompt" ? "messages" : null,
  });
}

/** Applies the input rules to one text; returns it redacted/masked, or throws a 400 when a rule blocks. */
export function gateText(policy: Policy, text: string, metrics: GatewayMetrics, observer?: DecisionObserver): string {
  return gated(policy, text, (t) => policy.input.scan(t), metrics, observer);
}

/**
 * Applies the input rules to the strings inside a JSON text (an earlier tool call's arguments): the result stays
 * valid JSON. Arguments that are not JSON are gated as plain text.
 */
export function gateArguments(policy: Policy, args: string, metrics: GatewayMetrics, observer?: DecisionObserver): string {
  return gated(policy, args, (t) => {
    const step = gateJsonText(policy.input, t);
    return step.error === undefined ? step : policy.input.scan(t);
  }, metrics, observer);
}

function gated(policy: Policy, text: string, scan: (text: string) => GateStep, metrics: GatewayMetrics, observer?: DecisionObserver): string {
  const t0 = performance.now();
  let step: GateStep;
  try {
    step = scan(text);
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

/**
 * Chat messages with every text a model will read through the input gate: contents (tool results included), an
 * assistant's earlier refusal, and the string values inside its earlier tool calls' arguments (JSON kept valid).
 */
export function gateMessages(policy: Policy, messages: readonly ChatMessage[], metrics: GatewayMetrics, observer?: DecisionObserver): ChatMessage[] {
  const text = (t: string) => gateText(policy, t, metrics, observer);
  return messages.map((m): ChatMessage => {
    const content = m.content === undefined || m.content === null || typeof m.content === "string"
      ? m.content && text(m.content)
      : m.content.map((part) => (part.type === "text" ? { ...part, text: text(part.text) } : part));
    if (m.role !== "assistant") return { ...m, content: content! };
    return {
      ...m,
      content,
      ...(m.refusal ? { refusal: text(m.refusal) } : {}),
      ...(m.tool_calls ? { tool_calls: m.tool_calls.map((c) => ({ ...c, function: { ...c.function, arguments: gateArguments(policy, c.function.arguments, metrics, observer) } })) } : {}),
    };
  });
}
