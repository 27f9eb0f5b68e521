/**
 * Per-caller rate limits: a requests/s bucket and a tokens/min bucket. Tokens are estimated as characters / 4
 * (request body bytes / 4 up front, released completion text / 4 as the guard releases it), so the limit needs no
 * tokenizer and works the same for every backend. Completion tokens are charged after they were sent: a caller who
 * overdraws waits (429) until the debt is refilled.
 */
import { ApiError } from "../server/errors.ts";
import type { Principal } from "./authenticator.ts";
import type { BucketSpec, BucketStore, TakeResult } from "./bucket.ts";

/** Characters per estimated token (OpenAI's rule of thumb for English text). */
export const CHARS_PER_TOKEN = 4;

/** Completion characters a meter gathers before charging them (one store round trip per batch). */
const METER_BATCH_CHARS = 256;
/** Longest a smaller remainder waits before it is charged (so a response's tail is charged without an end hook). */
const METER_LINGER_MS = 50;

/** Estimated tokens in `chars` characters. */
export const estimateTokens = (chars: number) => Math.ceil(chars / CHARS_PER_TOKEN);

/** Which limit a 429 came from, for audit and metrics. */
export type LimitKind = "requests" | "tokens";

/** A 429 with `Retry-After` (whole seconds, at least 1) naming the limit that was hit. */
export class RateLimited extends ApiError {
  constructor(readonly limit: LimitKind, retryAfterMs: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    super(429, `rate limit exceeded (${limit === "requests" ? "requests per second" : "tokens per minute"}); retry after ${seconds} s`, {
      code: `rate_limit_${limit}`,
      headers: { "retry-after": String(seconds) },
    });
  }
}

/** Applies each principal's limits against a bucket store (memory or Redis). */
export class RateLimiter {
  constructor(readonly store: BucketStore) {}

  /** Charges one request; throws RateLimited when the requests/s bucket is empty. */
  async admitRequest(p: Principal): Promise<void> {
    const rps = p.limits?.requestsPerSecond;
    if (rps === undefined) return;
    const spec: BucketSpec = { capacity: p.limits?.burst ?? Math.max(1, rps), perMs: rps / 1000 };
    check("requests", await this.store.take(`${p.id}:req`, spec, { cost: 1, need: 1 }));
  }

  /** Charges a prompt estimate; throws RateLimited while the tokens/min bucket is empty or in debt. */
  async admitPrompt(p: Principal, bodyBytes: number): Promise<void> {
    const spec = tokenSpec(p);
    if (spec) check("tokens", await this.store.take(`${p.id}:tok`, spec, { cost: estimateTokens(bodyBytes), need: 1 }));
  }

  /** A meter for one response's released text, or undefined when the caller has no token limit. */
  meter(p: Principal, onError: (err: unknown) => void): CompletionMeter | undefined {
    const spec = tokenSpec(p);
    return spec && new CompletionMeter((chars) => {
      this.store.take(`${p.id}:tok`, spec, { cost: estimateTokens(chars), need: -Infinity }).catch(onError);
    });
  }
}

/** Gathers released completion text and charges it in batches, the remainder shortly after the last release. */
export class CompletionMeter {
  #chars = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  constructor(private readonly charge: (chars: number) => void) {}

  /** Counts text the guard released. */
  add(chars: number): void {
    this.#chars += chars;
    if (this.#chars >= METER_BATCH_CHARS) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), METER_LINGER_MS);
  }

  /** Charges what is pending. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#chars > 0) this.charge(this.#chars);
    this.#chars = 0;
  }
}

function tokenSpec(p: Principal): BucketSpec | undefined {
  const tpm = p.limits?.tokensPerMinute;
  return tpm === undefined ? undefined : { capacity: tpm, perMs: tpm / 60_000 };
}

function check(limit: LimitKind, result: TakeResult): void {
  if (!result.ok) throw new RateLimited(limit, result.retryAfterMs);
}
