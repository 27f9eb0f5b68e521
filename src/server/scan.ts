/**
 * `POST /v1/rsk/scan`: a policy's gates on text a caller supplies, without a model — for the playground and for
 * testing policies. A whole `text` gets its findings (rule, action, offsets), the text as it would be released, and
 * the block if any; `chunks` are also run as a stream, each step showing what was released and what is held back.
 * The caller's own text is not echoed in findings (offsets only); nothing is counted as traffic or audited.
 */
import type { Context } from "hono";
import * as v from "valibot";
import type { Finding, GateSet } from "../gates/mod.ts";
import { type CompletionDeps, POLICY_HEADER, selectPolicy } from "./completions.ts";
import { parseJsonBody, validate } from "./validate.ts";

const scanRequest = v.pipe(
  v.strictObject({
    text: v.optional(v.pipe(v.string(), v.maxLength(1 << 18))),
    chunks: v.optional(v.pipe(v.array(v.pipe(v.string(), v.maxLength(1 << 16))), v.maxLength(4096, "at most 4096 chunks"))),
    stage: v.optional(v.picklist(["input", "output", "reasoning"], "stage must be input, output or reasoning"), "output"),
  }),
  v.check((b) => (b.text === undefined) !== (b.chunks === undefined), "give text or chunks (one of them)"),
);

const span = (f: Finding) => ({ rule: f.rule, type: f.type, ...(f.detector ? { detector: f.detector } : {}), action: f.action, start: f.start, end: f.end });

/** The `/v1/rsk/scan` handler. */
export function scanHandler(deps: CompletionDeps) {
  return async (c: Context): Promise<Response> => {
    const body = validate(scanRequest, parseJsonBody(await c.req.arrayBuffer()));
    const policy = selectPolicy(deps.policies, c.req.header(POLICY_HEADER));
    const gates: GateSet = policy[body.stage];
    const head = { policy: policy.name, version: policy.version, stage: body.stage };
    if (body.text !== undefined) {
      const step = gates.scan(body.text);
      return c.json({ ...head, text: step.text, findings: step.findings.map(span), blocked: step.blocked ? span(step.blocked) : null });
    }
    const stream = gates.open();
    const steps: { released: string; held: number }[] = [];
    const findings: Finding[] = [];
    let blocked: Finding | undefined;
    for (const chunk of body.chunks!) {
      const step = stream.push(chunk);
      steps.push({ released: step.text, held: stream.held });
      findings.push(...step.findings);
      blocked = step.blocked;
      if (blocked) break;
    }
    if (!blocked) {
      const end = stream.end();
      steps.push({ released: end.text, held: 0 });
      findings.push(...end.findings);
      blocked = end.blocked;
    }
    gates.recycle?.(stream);
    return c.json({ ...head, steps, text: steps.map((s) => s.released).join(""), findings: findings.map(span), blocked: blocked ? span(blocked) : null });
  };
}
