/** Request bodies: strict UTF-8 and JSON decoding, then valibot validation with every issue named by its path. */
import * as v from "valibot";
import { ApiError } from "./errors.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes a request body as strict UTF-8 JSON; invalid bytes, lone surrogates or bad JSON are a 400. */
export function parseJsonBody(bytes: ArrayBuffer): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ApiError(400, "request body is not valid UTF-8", { code: "invalid_encoding" });
  }
  try {
    return JSON.parse(text, rejectLoneSurrogates);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new ApiError(400, `request body is not valid JSON: ${why}`, { code: "invalid_json" });
  }
}

function rejectLoneSurrogates(key: string, value: unknown): unknown {
  if (!key.isWellFormed() || (typeof value === "string" && !value.isWellFormed())) {
    throw new ApiError(400, `request body has a string with a lone UTF-16 surrogate${key ? ` (at "${key.slice(0, 64)}")` : ""}`, {
      code: "invalid_encoding",
      param: key.isWellFormed() && key ? key : null,
    });
  }
  return value;
}

/** Validates `input` against `schema`; on failure a 400 whose message lists every issue and whose param is the first. */
export function validate<S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const issues = result.issues.map((issue) => ({ path: v.getDotPath(issue), message: describe(issue) }));
  const message = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
  throw new ApiError(400, message, { param: issues[0]?.path ?? null, code: "invalid_request" });
}

function describe(issue: v.BaseIssue<unknown>): string {
  if (issue.type === "strict_object" && issue.path?.at(-1)?.type === "object") {
    return `unknown field "${String(issue.path.at(-1)?.key).slice(0, 64)}"`;
  }
  return issue.message;
}
