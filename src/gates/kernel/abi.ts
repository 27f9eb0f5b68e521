/**
 * The gate kernel ABI (version 1): how rsk calls a user-written text detector compiled to WebAssembly.
 *
 * A module exports `memory` and, with no imports:
 *   rsk_gate_abi() -> i32                      1
 *   rsk_gate_input() -> i32                    address of a buffer of `capacity` UTF-16 code units
 *   rsk_gate_capacity() -> i32                 units the buffer holds (≥ 2 × maxLength + 2)
 *   rsk_gate_result() -> i32                   address of three i32: live, match start, match end
 *   rsk_gate_scan(len, prev, at_end) -> i32    scan input[0, len): 1 = a final match in result[1..2];
 *                                              0 = none yet, result[0] = earliest offset a match could still
 *                                              start if more text came (len: none); < 0 = kernel error
 * `prev` is the code unit before input[0] (-1: start of the stream); `at_end` is 1 when no text follows.
 * Text is UTF-16, the gates' folded view (NFKC, look-alikes folded, ignorables dropped): the units the built-in
 * detectors read, copied in without transcoding; offsets are unit offsets. A kernel keeps no state between calls.
 */

import { FuelTank } from "../../packs/fuel.ts";

/** The ABI version this rsk speaks; a pack declaring another is refused. */
export const GATE_ABI_VERSION = 1;

/** The exports a gate kernel must have. */
interface GateExports {
  readonly memory: WebAssembly.Memory;
  rsk_gate_abi(): number;
  rsk_gate_input(): number;
  rsk_gate_capacity(): number;
  rsk_gate_result(): number;
  rsk_gate_scan(len: number, prev: number, atEnd: number): number;
}

const REQUIRED = ["memory", "rsk_gate_abi", "rsk_gate_input", "rsk_gate_capacity", "rsk_gate_result", "rsk_gate_scan"] as const;

/** What one scan call found: a final match, or where a match could still start (relative to the window). */
export type ScanResult = { readonly match: true; readonly start: number; readonly end: number } | { readonly match: false; readonly live: number };

/** One instantiated gate kernel: a window goes in, a `ScanResult` comes out. */
export class WasmGateModule {
  /** Units one call may scan. */
  readonly capacity: number;
  readonly #x: GateExports;
  /** Loop fuel of each call (the module was metered at load: src/packs/fuel.ts). */
  readonly #tank: FuelTank;
  readonly #input: number;
  readonly #result: number;
  #inputView: Uint16Array<ArrayBufferLike> = new Uint16Array(0);
  #resultView: Int32Array<ArrayBufferLike> = new Int32Array(0);

  private constructor(x: GateExports, tank: FuelTank) {
    this.#x = x;
    this.#tank = tank;
    this.capacity = x.rsk_gate_capacity();
    this.#input = x.rsk_gate_input();
    this.#result = x.rsk_gate_result();
    const size = x.memory.buffer.byteLength;
    if (!(this.capacity > 0) || this.#input < 0 || this.#input + 2 * this.capacity > size || this.#result < 0 || this.#result + 12 > size) {
      throw new Error(`its input buffer (${this.capacity} units at ${this.#input}) or result (at ${this.#result}) lies outside its memory`);
    }
  }

  /**
   * Instantiates a metered `module` (meterLoops) whose calls may each spend `fuel` (loop iterations and calls), refusing one that
   * imports anything, lacks an export, is not metered or speaks another ABI.
   */
  static async instantiate(module: WebAssembly.Module, fuel: number): Promise<WasmGateModule> {
    const imports = WebAssembly.Module.imports(module);
    if (imports.length > 0) throw new Error(`it imports ${imports.map((i) => `${i.module}.${i.name}`).join(", ")} (gate kernels get no imports)`);
    const names = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
    const missing = REQUIRED.filter((n) => !names.has(n));
    if (missing.length > 0) throw new Error(`it lacks the exports ${missing.join(", ")}`);
    const instance = await WebAssembly.instantiate(module, {});
    const x = instance.exports as unknown as GateExports;
    const abi = x.rsk_gate_abi();
    if (abi !== GATE_ABI_VERSION) throw new Error(`rsk_gate_abi() is ${abi}, this rsk speaks gate ABI ${GATE_ABI_VERSION}`);
    const gate = new WasmGateModule(x, FuelTank.of(instance.exports, fuel));
    // One untimed call on an empty window: engines compile a function on its first call (Bun 1.4 / Deno 2.9), which
    // must not count against the first timed call's budget.
    gate.load(new Uint16Array(0));
    gate.result(gate.run(0, -1, true), 0);
    return gate;
  }

  /**
   * Views on the kernel's memory, re-taken after it grew: growing detaches the old buffer, and a view on a detached
   * buffer has byteLength 0 (cheaper to test than reading `memory.buffer` twice per call).
   */
  #views(): void {
    if (this.#resultView.byteLength !== 0) return;
    const buffer = this.#x.memory.buffer;
    this.#inputView = new Uint16Array(buffer, this.#input, this.capacity);
    this.#resultView = new Int32Array(buffer, this.#result, 3);
  }

  /** Copies a window (at most `capacity` units) into the kernel's input buffer. */
  load(units: Uint16Array): void {
    this.#views();
    this.#inputView.set(units);
  }

  /**
   * The scan call itself (nothing allocated around it, so a timer around it measures the kernel); returns its status.
   * A call that runs out of fuel traps and throws (the kernel may never have returned).
   */
  run(len: number, prev: number, atEnd: boolean): number {
    this.#tank.fill();
    try {
      return this.#x.rsk_gate_scan(len, prev, atEnd ? 1 : 0);
    } catch (err) {
      throw this.#tank.explain(err);
    }
  }

  /** What a `run` on `len` units found; throws on a kernel error or an answer outside the window. */
  result(status: number, len: number): ScanResult {
    this.#views();
    const result = this.#resultView;
    if (status === 1) {
      const start = result[1]!, end = result[2]!;
      if (!(start >= 0 && start < end && end <= len)) throw new Error(`rsk_gate_scan reported the match ${start}..${end} outside the window 0..${len}`);
      return { match: true, start, end };
    }
    if (status === 0) {
      const live = result[0]!;
      if (!(live >= 0 && live <= len)) throw new Error(`rsk_gate_scan reported live offset ${live} outside the window 0..${len}`);
      return { match: false, live };
    }
    throw new Error(`rsk_gate_scan returned the error status ${status}`);
  }
}
