/** A backend the test steers: each generation sends one piece, then waits for `release()` (or its abort). */
import type { Backend, BackendEvent, BackendRequest, ModelCard } from "../../src/backends/types.ts";

/** Counts starts and stops so tests can see the backend stop working for a cancelled request. */
export class HeldBackend implements Backend {
  /** Generations begun. */
  started = 0;
  /** Generations whose iterator has ended, for whatever reason. */
  stopped = 0;
  /** Generations that saw their abort signal. */
  aborted = 0;
  #release!: () => void;
  #released = this.#reset();

  constructor(readonly slots?: number) {}

  models(): Promise<ModelCard[]> {
    return Promise.resolve([]);
  }

  /** Lets every waiting generation (and later ones) finish. */
  release(): void {
    this.#release();
  }

  async *generate(request: BackendRequest): AsyncIterable<BackendEvent> {
    this.started++;
    try {
      // Ends in punctuation: a word and a space stays held (it may be `jane [at] example [dot] com`).
      yield { type: "text", choice: 0, text: "first, " };
      const aborted = new Promise<"abort">((resolve) => {
        if (request.signal.aborted) resolve("abort");
        request.signal.addEventListener("abort", () => resolve("abort"), { once: true });
      });
      if ((await Promise.race([this.#released, aborted])) === "abort") {
        this.aborted++;
        return;
      }
      yield { type: "text", choice: 0, text: "second" };
      yield { type: "finish", choice: 0, reason: "stop" };
    } finally {
      this.stopped++;
    }
  }

  #reset(): Promise<"released"> {
    return new Promise((resolve) => (this.#release = () => resolve("released")));
  }
}
