/** Errors in Anthropic's shape, for every error of the Messages route (loaded before the door itself). */
import type { ApiError } from "./errors.ts";

/** Anthropic's error type for an HTTP status. */
function errorType(status: number): string {
  if (status === 400 || status === 415 || status === 422) return "invalid_request_error";
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 413) return "request_too_large";
  if (status === 429) return "rate_limit_error";
  if (status === 503 || status === 529) return "overloaded_error";
  return "api_error";
}

/** `{"type":"error","error":{"type","message"}}`, with rsk's stable code beside them. */
export function messagesErrorBody(error: ApiError): object {
  return { type: "error", error: { type: errorType(error.status), message: error.message, ...(error.code ? { code: error.code } : {}) } };
}
