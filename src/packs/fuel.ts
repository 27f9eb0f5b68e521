/**
 * A fuel meter for pack kernels: a WASM bytecode rewrite applied at load (after the signature and hash checks) that
 * gives the module a mutable i32 global, exported as `rsk_fuel`, and spends one unit of it at the head of every loop
 * and at the entry of every function, trapping (`unreachable`) when it is 0. Between two such points a kernel runs
 * straight-line code or returns (each return matches an entry), and bulk memory ops are bounded by the memory, so a
 * call the host starts with F units returns or traps after at most about 2F straight-line stretches: a kernel that
 * would never return (an endless loop, or recursion that fans out without any loop) is cut off on the JS thread,
 * without a Worker. Hand-written: no maintained JS library rewrites WASM instruction streams (binaryen.js is 10 MB
 * and an optimizer, not a meter); this one only decodes immediates to find instruction boundaries and refuses any
 * opcode it does not know (fail closed), so a module it cannot meter is not loaded.
 */

/** Name of the exported fuel global of a metered module. */
export const FUEL_EXPORT = "rsk_fuel";

/**
 * Fuel units (loop iterations, function entries) a call may spend per millisecond of its budget. The tightest metered
 * loop costs ~2–5 ns an iteration
 * here (tests/packs/budget.test.ts prints it), so F = budget × 2^22 / ms cuts a call off after several times its
 * budget or later: never reached by a kernel within budget (the timer judges those), only by one that would not return.
 */
export const FUEL_PER_MS = 2 ** 22;

/** Fuel for one call of a kernel with this budget (an i32: at most 2^31 - 1). */
export function fuelFor(budgetMs: number): number {
  return Math.min(2 ** 31 - 1, Math.max(1, Math.ceil(budgetMs * FUEL_PER_MS)));
}

/** A module the meter refuses, with the reason (an opcode it does not know, a malformed section). */
export class FuelMeterError extends Error {
  constructor(reason: string) {
    super(`cannot meter its loops: ${reason}`);
    this.name = "FuelMeterError";
  }
}

/** Bytes of a module being read, with LEB128 helpers. */
class Reader {
  at = 0;
  constructor(readonly bytes: Uint8Array, readonly end = bytes.length) {}
  byte(): number {
    if (this.at >= this.end) throw new FuelMeterError(`unexpected end at byte ${this.at}`);
    return this.bytes[this.at++]!;
  }
  /** An unsigned or signed LEB128 of at most `bits` bits; only its length matters here, the value for u32s. */
  leb(bits = 32): number {
    let value = 0, shift = 0, b: number;
    do {
      if (shift >= bits + 7) throw new FuelMeterError(`an over-long LEB128 at byte ${this.at}`);
      b = this.byte();
      if (shift < 32) value += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return value;
  }
  skip(n: number): void {
    if (this.at + n > this.end) throw new FuelMeterError(`unexpected end at byte ${this.at}`);
    this.at += n;
  }
}

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

const VALTYPES = new Set([0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f]);

function blockType(r: Reader): void {
  const b = r.bytes[r.at]!;
  if (b === 0x40 || VALTYPES.has(b)) r.at++;
  else r.leb(33); // a type index, as a signed LEB128
}

function memarg(r: Reader): void {
  r.leb();
  r.leb(64);
}

/** Skips the immediates of a 0xFC-prefixed instruction (saturating truncations, bulk memory, tables). */
function prefixedFC(r: Reader): void {
  const op = r.leb();
  if (op <= 7) return;
  if (op === 8 || op === 10 || op === 12 || op === 14) return void (r.leb(), r.leb());
  if (op === 9 || op === 11 || op === 13 || (op >= 15 && op <= 17)) return void r.leb();
  throw new FuelMeterError(`unknown instruction 0xfc ${op}`);
}

/** Skips the immediates of a 0xFD-prefixed (SIMD) instruction. */
function prefixedFD(r: Reader): void {
  const op = r.leb();
  if (op <= 11 || op === 92 || op === 93) return memarg(r); // loads, store, load*_zero
  if (op === 12 || op === 13) return r.skip(16); // v128.const, i8x16.shuffle
  if (op >= 21 && op <= 34) return r.skip(1); // extract / replace lane
  if (op >= 84 && op <= 91) return void (memarg(r), r.skip(1)); // load / store lane
  if (op <= 0x113) return; // every other SIMD (and relaxed SIMD) instruction has no immediate
  throw new FuelMeterError(`unknown instruction 0xfd ${op}`);
}

/** Skips one instruction's immediates after its opcode `op`. */
function immediates(r: Reader, op: number): void {
  if (op === 0x02 || op === 0x03 || op === 0x04) return blockType(r);
  if (op <= 0x01 || op === 0x05 || op === 0x0b || op === 0x0f || op === 0x1a || op === 0x1b || op === 0xd1) return;
  if (op === 0x0c || op === 0x0d || op === 0x10 || op === 0x12 || op === 0xd2) return void r.leb();
  if (op === 0x0e) {
    for (let n = r.leb(); n >= 0; n--) r.leb(); // n targets and the default
    return;
  }
  if (op === 0x11 || op === 0x13) return void (r.leb(), r.leb());
  if (op === 0x1c) return r.skip(r.leb());
  if (op >= 0x20 && op <= 0x26) return void r.leb();
  if (op >= 0x28 && op <= 0x3e) return memarg(r);
  if (op === 0x3f || op === 0x40) return void r.leb();
  if (op === 0x41) return void r.leb(32);
  if (op === 0x42) return void r.leb(64);
  if (op === 0x43) return r.skip(4);
  if (op === 0x44) return r.skip(8);
  if (op >= 0x45 && op <= 0xc4) return;
  if (op === 0xd0) return r.skip(1);
  if (op === 0xfc) return prefixedFC(r);
  if (op === 0xfd) return prefixedFD(r);
  throw new FuelMeterError(`unknown opcode 0x${op.toString(16)}`);
}

/** Growing output bytes (pushed in slices: a spread of a whole section could pass the engine's argument limit). */
class Sink {
  #parts: Uint8Array[] = [];
  length = 0;
  push(part: Uint8Array | readonly number[]): void {
    const bytes = part instanceof Uint8Array ? part : Uint8Array.from(part);
    this.#parts.push(bytes);
    this.length += bytes.length;
  }
  bytes(): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const part of this.#parts) out.set(part, at), (at += part.length);
    return out;
  }
}

/** `if fuel == 0 { unreachable }; fuel -= 1`, for the global `g`. */
function meter(g: number[]): number[] {
  return [0x23, ...g, 0x45, 0x04, 0x40, 0x00, 0x0b, 0x23, ...g, 0x41, 0x01, 0x6b, 0x24, ...g];
}

/** One function body with the meter at its entry and after every loop's block type. */
function meterBody(bytes: Uint8Array, start: number, end: number, check: readonly number[]): Uint8Array {
  const r = new Reader(bytes, end);
  r.at = start;
  for (let groups = r.leb(); groups > 0; groups--) r.leb(), r.byte(); // locals: count, type
  const out = new Sink();
  out.push(bytes.subarray(start, r.at));
  out.push(check);
  let copied = r.at;
  while (r.at < end) {
    const op = r.byte();
    immediates(r, op);
    if (op === 0x03) {
      out.push(bytes.subarray(copied, r.at));
      out.push(check);
      copied = r.at;
    }
  }
  out.push(bytes.subarray(copied, end));
  return out.bytes();
}

/** Imported globals (they come first in the global index space). */
function importedGlobals(r: Reader): number {
  let globals = 0;
  for (let n = r.leb(); n > 0; n--) {
    r.skip(r.leb());
    r.skip(r.leb());
    const kind = r.byte();
    if (kind === 0) r.leb(); // function: type index
    else if (kind === 4) r.byte(), r.leb(); // tag: attribute, type index
    else if (kind === 1 || kind === 2) {
      if (kind === 1) r.byte(); // table: reference type
      const flags = r.byte();
      r.leb(64);
      if (flags & 1) r.leb(64);
    } else if (kind === 3) r.skip(2), globals++; // global: value type, mutability
    else throw new FuelMeterError(`unknown import kind ${kind}`);
  }
  if (r.at !== r.end) throw new FuelMeterError("malformed import section");
  return globals;
}

/** Section ids in the order a module must have them (custom sections, id 0, may sit anywhere). */
const ORDER = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/**
 * Fuel a metered instance starts with: what its start function and calls made before any `FuelTank.fill` (ABI version,
 * buffer addresses) may spend.
 */
export const INITIAL_FUEL = 2 ** 22;

/** A non-negative i32 as a signed LEB128 (i32.const's immediate). */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if (n === 0 && (b & 0x40) === 0) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** The module with every loop and function entry metered and its fuel global exported as FUEL_EXPORT (INITIAL_FUEL to start). */
export function meterLoops(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  if (bytes.length < 8 || HEADER.some((b, i) => bytes[i] !== b)) throw new FuelMeterError("not a WebAssembly 1 module");
  const r = new Reader(bytes);
  r.at = 8;
  const sections: { id: number; start: number; end: number }[] = [];
  while (r.at < bytes.length) {
    const id = r.byte(), size = r.leb(), start = r.at;
    r.skip(size);
    if (id !== 0 && !ORDER.includes(id)) throw new FuelMeterError(`unknown section ${id}`);
    sections.push({ id, start, end: r.at });
  }
  const reader = (s: { start: number; end: number }): Reader => {
    const sr = new Reader(bytes, s.end);
    sr.at = s.start;
    return sr;
  };
  let imported = 0, defined = 0;
  for (const s of sections) {
    if (s.id === 2) imported = importedGlobals(reader(s));
    if (s.id === 6) defined = reader(s).leb();
  }
  const g = uleb(imported + defined), check = meter(g);
  const fuelGlobal = [0x7f, 0x01, 0x41, ...sleb(INITIAL_FUEL), 0x0b]; // mutable i32: what calls made before any fill spend
  const fuelExport = [...uleb(FUEL_EXPORT.length), ...new TextEncoder().encode(FUEL_EXPORT), 0x03, ...g];
  const out = new Sink();
  out.push(HEADER);
  const emit = (id: number, body: Sink): void => {
    out.push([id, ...uleb(body.length)]);
    out.push(body.bytes());
  };
  const sink = (...parts: (Uint8Array | readonly number[])[]): Sink => {
    const s = new Sink();
    for (const part of parts) s.push(part);
    return s;
  };
  let globals = false, exports = false;
  /** Emits the new global / export sections a section of id `next` must follow, when the module has none. */
  const before = (next: number): void => {
    const rank = ORDER.indexOf(next);
    if (!globals && rank > ORDER.indexOf(6)) emit(6, sink(uleb(1), fuelGlobal)), (globals = true);
    if (!exports && rank > ORDER.indexOf(7)) emit(7, sink(uleb(1), fuelExport)), (exports = true);
  };
  for (const s of sections) {
    const sr = reader(s);
    if (s.id !== 0) before(s.id);
    if (s.id === 6) {
      const n = sr.leb();
      emit(6, sink(uleb(n + 1), bytes.subarray(sr.at, s.end), fuelGlobal));
      globals = true;
    } else if (s.id === 7) {
      const n = sr.leb(), entries = sr.at;
      for (let i = 0; i < n; i++) {
        const len = sr.leb();
        if (new TextDecoder().decode(bytes.subarray(sr.at, sr.at + len)) === FUEL_EXPORT) throw new FuelMeterError(`it already exports ${FUEL_EXPORT}`);
        sr.skip(len);
        sr.byte();
        sr.leb();
      }
      emit(7, sink(uleb(n + 1), bytes.subarray(entries, s.end), fuelExport));
      exports = true;
    } else if (s.id === 10) {
      const body = new Sink();
      const n = sr.leb();
      body.push(uleb(n));
      for (let i = 0; i < n; i++) {
        const size = sr.leb(), start = sr.at;
        sr.skip(size);
        const metered = meterBody(bytes, start, sr.at, check);
        body.push(uleb(metered.length));
        body.push(metered);
      }
      emit(10, body);
    } else {
      emit(s.id, sink(bytes.subarray(s.start, s.end)));
    }
  }
  before(11);
  return out.bytes();
}

/** A metered instance's fuel: filled before each call; a trap with the tank empty is reported as running out. */
export class FuelTank {
  #filled: number;

  private constructor(
    private readonly global: WebAssembly.Global,
    /** Fuel one call may spend unless `fill` is told otherwise. */
    readonly perCall: number,
  ) {
    this.#filled = perCall;
  }

  /** The tank of an instance of a module from meterLoops; throws if it has none (the module was not metered). */
  static of(exports: WebAssembly.Exports, perCall: number): FuelTank {
    const global = exports[FUEL_EXPORT];
    if (!(global instanceof WebAssembly.Global)) throw new Error(`it is not metered (no ${FUEL_EXPORT} global export)`);
    return new FuelTank(global, perCall);
  }

  /** Refills it for the next call (`units`: e.g. a batch's rows × perCall, capped at the i32 maximum). */
  fill(units = this.perCall): void {
    this.#filled = Math.min(2 ** 31 - 1, units);
    this.global.value = this.#filled;
  }

  /** What a call that threw `err` should report: running out of fuel is named as such. */
  explain(err: unknown): unknown {
    return this.global.value === 0 ? new Error(`ran out of fuel: over ${this.#filled} loop iterations and calls in one call (a kernel that may never return)`) : err;
  }
}
