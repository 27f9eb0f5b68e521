/**
 * `POST /v1/embeddings`: every input text passes the policy's input gates (a redaction is what gets embedded, a
 * block is a 400) before the backend sees it. Token-id inputs are refused: ids cannot be gated.
 */
import type { Context } from "hono";
import * as v from "valibot";
import { gateText } from "../guard/input.ts";
import { ApiError } from "./errors.ts";
import { type CompletionDeps, POLICY_HEADER, selectPolicy } from "./completions.ts";
import { parseJsonBody, validate } from "./validate.ts";

const Text = v.pipe(v.string(), v.minLength(1, "input texts must not be empty"));

const embeddingsRequest = v.strictObject({
  model: v.pipe(v.string(), v.minLength(1, "model must be a non-empty string")),
  input: v.union([Text, v.pipe(v.array(Text), v.minLength(1), v.maxLength(2048, "at most 2048 inputs"))], "input must be a string or an array of strings (token-id arrays cannot be gated)"),
  encoding_format: v.optional(v.picklist(["float", "base64"])),
  dimensions: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1 << 16))),
  user: v.optional(v.pipe(v.string(), v.maxLength(256))),
});

/** The `/v1/embeddings` handler. */
export function embeddingsHandler(deps: CompletionDeps) {
  return async (c: Context): Promise<Response> => {
    const bytes = await c.req.arrayBuffer();
    const body = validate(embeddingsRequest, parseJsonBody(bytes));
    const embed = deps.backend.embed?.bind(deps.backend);
    if (!embed) throw new ApiError(400, "this gateway's backend has no embeddings (the local backend generates text only)", { code: "unsupported_endpoint" });
    const policy = selectPolicy(deps.policies, c.req.header(POLICY_HEADER));
    const caller = c.get("caller");
    await caller.admitPrompt(bytes.byteLength);
    const gate = (text: string) => gateText(policy, text, deps.metrics, caller.trail);
    const input = typeof body.input === "string" ? gate(body.input) : body.input.map(gate);
    c.header("x-rsk-policy", policy.name);
    c.header("x-rsk-policy-version", policy.version);
    return c.json(await embed({ ...body, input }, c.req.raw.signal) as object);
  };
}
