/** Request-level failures of the local backend, as data the server maps to HTTP statuses. */

/** The prompt does not fit the per-sequence context (maps to HTTP 400, OpenAI code `context_length_exceeded`). */
export class PromptTooLongError extends Error {
  /** OpenAI's error code for this case. */
  readonly code = "context_length_exceeded";
  constructor(
    /** Tokens in the prompt. */
    readonly promptTokens: number,
    /** Most prompt tokens a sequence can take (its KV cells minus one for the first generated token). */
    readonly limit: number,
  ) {
    super(`the prompt has ${promptTokens} tokens but this model's context allows at most ${limit}`);
    this.name = "PromptTooLongError";
  }
}

/** The request itself is unusable (empty prompt, token id outside the vocabulary...): also a 400. */
export class InvalidGenerationError extends Error {
  /** OpenAI-style error code. */
  readonly code = "invalid_request";
  constructor(message: string) {
    super(message);
    this.name = "InvalidGenerationError";
  }
}

/** llama_decode failed mid-generation (a server-side 500: nothing the client sent caused it). */
export class DecodeError extends Error {
  constructor(
    /** llama_decode's status. */
    readonly status: number,
    /** llama.cpp's last logged error. */
    detail: string,
  ) {
    super(`llama_decode failed with status ${status}${detail ? `: ${detail}` : ""}`);
    this.name = "DecodeError";
  }
}
