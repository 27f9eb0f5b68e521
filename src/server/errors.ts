/** OpenAI-shaped errors: the one way a failure is described to a client, in JSON bodies and SSE error events. */

/** The body OpenAI clients parse: `{error:{message,type,param,code}}`. */
export interface ErrorBody {
  /** Wire shape expected by every OpenAI SDK. */
  error: {
    /** Human-readable, names the offending field or rule, never the matched sensitive text. */
    message: string;
    /** OpenAI error family, e.g. `invalid_request_error`. */
    type: string;
    /** The request field at fault (dotted path), or null. */
    param: string | null;
    /** Machine-readable reason, stable across releases. */
    code: string | null;
  };
}

/** A failure with an HTTP status and an OpenAI error body; thrown anywhere, rendered by the app's error handler. */
export class ApiError extends Error {
  /** Status sent when nothing has been streamed yet. */
  readonly status: number;
  /** OpenAI error family. */
  readonly type: string;
  /** Dotted path of the request field at fault. */
  readonly param: string | null;
  /** Stable machine-readable reason. */
  readonly code: string | null;
  /** Extra response headers, e.g. `Retry-After`. */
  readonly headers: Record<string, string>;
  /**
   * Text from outside rsk (an upstream's error message, ≤ 500 characters): never part of `message`, never sent raw.
   * The output guard gates it and appends what its policy releases (`withDetail`).
   */
  readonly detail: string | undefined;

  constructor(
    status: number,
    message: string,
    init: { type?: string; param?: string | null; code?: string | null; headers?: Record<string, string>; cause?: unknown; detail?: string } = {},
  ) {
    super(message, { cause: init.cause });
    this.name = "ApiError";
    this.status = status;
    this.type = init.type ?? typeFor(status);
    this.param = init.param ?? null;
    this.code = init.code ?? null;
    this.headers = init.headers ?? {};
    this.detail = init.detail ? init.detail.slice(0, MAX_DETAIL_CHARS) : undefined;
  }

  /** This error as a client sees it once its detail was gated: appended, or noted as withheld (`undefined`). */
  withDetail(gated: string | undefined): ApiError {
    const message = gated === undefined ? `${this.message} (its message was withheld by the policy)` : gated ? `${this.message}: ${gated}` : this.message;
    return new ApiError(this.status, message, { type: this.type, param: this.param, code: this.code, headers: this.headers, cause: this.cause });
  }

  /** The JSON body for this error. */
  toBody(): ErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** Any thrown value as an ApiError; unknown failures become a 500 that does not leak internals. */
export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(500, "internal error", { type: "server_error", code: "internal_error", cause: err });
}

/** The first line of an error's message, for logs that must stay one line per event. */
export function oneLine(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.split("\n", 1)[0]!.slice(0, 200);
}

/** Most outside text an error carries (the rest is dropped). */
const MAX_DETAIL_CHARS = 500;

function typeFor(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}
