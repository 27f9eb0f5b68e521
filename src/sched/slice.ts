/**
 * Fair sharing of the one JavaScript thread between streams: a stream whose upstream data is already buffered
 * can be processed entirely in microtasks, starving every other request's I/O (new connections, their first
 * tokens) until it ends — the convoy effect. A TimeSlice makes such a stream step aside after SLICE_MS of
 * uninterrupted work, so a burst of long streams cannot hold short requests hostage.
 */

/** Runs `f` after pending I/O: setImmediate where the host has it (Bun, Node, Deno), else a zero timeout (workerd). */
export const afterIo: (f: () => void) => unknown = typeof globalThis.setImmediate === "function" ? globalThis.setImmediate : (f) => setTimeout(f, 0);

/** Uninterrupted work, in ms, a stream may do before yielding to the event loop's I/O phase. */
export const SLICE_MS = 0.5;

/** Per-stream clock of uninterrupted work. */
export class TimeSlice {
  #start = performance.now();
  #last = this.#start;

  /** True when the stream has run SLICE_MS without a pause (a gap since its last event resets the clock). */
  due(): boolean {
    const now = performance.now();
    if (now - this.#last > SLICE_MS) this.#start = now;
    this.#last = now;
    return now - this.#start > SLICE_MS;
  }

  /** Lets pending I/O callbacks of other requests run, then starts a new slice. */
  async yield(): Promise<void> {
    await new Promise<void>((resolve) => afterIo(resolve));
    this.#start = this.#last = performance.now();
  }
}
