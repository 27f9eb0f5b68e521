/**
 * A circuit breaker per upstream: closed until `failures` requests fail in a row, then open (no requests) for
 * `openMs`, then half-open: one probe request; its success closes the breaker, its failure opens it again.
 */

/** Where a breaker stands. */
export type BreakerState = "closed" | "open" | "half_open";

/** One upstream's breaker. */
export class CircuitBreaker {
  #state: BreakerState = "closed";
  #failures = 0;
  #openedAt = 0;
  #probing = false;

  constructor(
    private readonly failures: number,
    private readonly openMs: number,
    /** Called on every change of state. */
    private readonly onChange: (state: BreakerState) => void = () => {},
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The state now (an open breaker whose time is up reads half-open). */
  get state(): BreakerState {
    if (this.#state === "open" && this.now() - this.#openedAt >= this.openMs) this.#set("half_open");
    return this.#state;
  }

  /** Whether a request may go now; in half-open, only the one probe may. */
  allow(): boolean {
    const state = this.state;
    if (state === "closed") return true;
    if (state === "open" || this.#probing) return false;
    this.#probing = true;
    return true;
  }

  /** The request went through. */
  succeeded(): void {
    this.#failures = 0;
    this.#probing = false;
    if (this.#state !== "closed") this.#set("closed");
  }

  /** The request ended in a way that says nothing about the upstream (the client's own error, an abort). */
  released(): void {
    this.#probing = false;
  }

  /** The request failed in a way that counts against the upstream. */
  failed(): void {
    this.#probing = false;
    if (this.#state === "half_open" || ++this.#failures >= this.failures) {
      this.#openedAt = this.now();
      this.#failures = 0;
      this.#set("open");
    }
  }

  #set(state: BreakerState): void {
    this.#state = state;
    this.onChange(state);
  }
}
