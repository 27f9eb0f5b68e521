/** KernelScanner: the RuleScanner contract over a stateless WASM gate kernel, window by window. */
import type { HeldText, RuleScanner } from "../scanner.ts";
import { type GateKernel, KernelGateError } from "./kernel.ts";

/**
 * Each advance hands the kernel the text from the earliest place a match could still start (its last `live`
 * answer) to the end received, so the kernel needs no state; the hold-back is bounded by clamping `live` to at
 * most `maxLength` units before the window's end, and a longer match is refused as a kernel error.
 */
export class KernelScanner implements RuleScanner {
  /** Earliest offset where the next match could start. */
  liveStart = Infinity;
  /** Match can no longer change. */
  final = false;
  /** Match start. */
  matchStart = Infinity;
  /** Match end. */
  matchEnd = -1;
  #scanFrom = 0;
  #resetFrom = 0;
  #prev = -1;

  constructor(
    /** The kernel this stream uses from start to end (undefined: its pack is not loaded; `label` names it). */
    private readonly kernel: GateKernel | undefined,
    private readonly label: string,
    /** Longest match, from the rule (or the kernel's manifest when compiled). */
    private readonly maxLength: number,
  ) {}

  /** Start a fresh search at `from`. */
  reset(from: number, prev: number): void {
    this.#scanFrom = this.#resetFrom = from;
    this.#prev = prev;
    this.final = false;
    this.matchStart = Infinity;
    this.matchEnd = -1;
    this.liveStart = from;
  }

  /** Scan what arrived up to `end`. */
  advance(text: HeldText, end: number): void {
    this.#run(text, end, false);
  }

  /** The stream is over: the kernel resolves what it held. */
  finish(text: HeldText, end: number): void {
    this.#run(text, end, true);
  }

  #run(text: HeldText, end: number, atEnd: boolean): void {
    if (this.final) return;
    const kernel = this.kernel;
    if (!kernel) throw new KernelGateError(this.label, "is not loaded (its pack was refused, removed or never configured)");
    // A window longer than maxLength always moves the next one forward (capacity ≥ 2 × maxLength + 2 at load).
    const window = kernel.capacity;
    for (;;) {
      const from = this.#scanFrom, to = Math.min(end, from + window);
      if (to === from) {
        this.liveStart = Infinity;
        return;
      }
      const prev = from - 1 >= text.base ? text.codes[from - 1 - text.base]! : from === this.#resetFrom ? this.#prev : -1;
      const last = atEnd && to === end;
      const result = kernel.scan(text.codes.subarray(from - text.base, to - text.base), prev, last);
      if (result.match) {
        const length = result.end - result.start;
        if (length > kernel.spec.maxLength) {
          kernel.quarantine(`reported a match of ${length} units, longer than the maxLength ${kernel.spec.maxLength} its manifest declares`);
          throw new KernelGateError(kernel.label, `quarantined: ${kernel.quarantined}`);
        }
        if (length > this.maxLength) {
          throw new KernelGateError(kernel.label, `a match of ${length} units is longer than the ${this.maxLength} the policy was compiled with (reload it for this pack version)`);
        }
        this.final = true;
        this.matchStart = this.liveStart = from + result.start;
        this.matchEnd = from + result.end;
        return;
      }
      // A candidate is at most maxLength long: one starting further back than that is over, whatever the kernel says.
      this.#scanFrom = Math.max(from + result.live, to - this.maxLength);
      if (to === end) {
        this.liveStart = last || this.#scanFrom >= end ? Infinity : this.#scanFrom;
        return;
      }
    }
  }
}
