/**
 * A compiled NFA program as plain data (number arrays, stored as JSON in a generated source file) and back. A
 * detector with a large pattern (street addresses: thousands of states from its word lists) ships its program
 * precompiled, because parsing, factoring and compiling it cold costs tens of milliseconds on the first request of
 * every edge isolate. Number arrays rather than a packed binary string: JSON.parse reads them natively, while a
 * byte-by-byte decoder runs in the still-cold interpreter (a varint decoder of this program took 15–30 ms in a fresh
 * Node 20; this one ~1 ms). Successors are stored as deltas (mostly -1), arguments only where an instruction has one.
 */
import { OP_ASSERT, OP_SET, OP_SPLIT, type Program } from "./program.ts";

/** Bumped when the layout changes: data of another version is refused, not misread. */
const FORMAT = 1;

/** A program as data (see the file comment). */
export interface EncodedProgram {
  /** Layout version. */
  readonly format: number;
  /** Entry instruction. */
  readonly start: number;
  /** Program.caseless. */
  readonly caseless: boolean;
  /** Program.firstNonAscii. */
  readonly firstNonAscii: boolean;
  /** Runs `[from, to)` of ASCII code units set in Program.firstAscii, flattened. */
  readonly firstAscii: readonly number[];
  /** Per set: its complement flag. */
  readonly negated: readonly boolean[];
  /** Per set: its normalised ranges. */
  readonly ranges: readonly (readonly number[])[];
  /** Per set: runs `[from, to)` of ASCII code units in its table, flattened. */
  readonly ascii: readonly (readonly number[])[];
  /** Opcode per instruction. */
  readonly op: readonly number[];
  /** `next - pc` per instruction. */
  readonly next: readonly number[];
  /** `arg` of each OP_SET and OP_ASSERT instruction, in order (0 elsewhere). */
  readonly arg: readonly number[];
  /** `alt - pc` of each OP_SPLIT instruction, in order (-1 elsewhere). */
  readonly alt: readonly number[];
  /** `assertSet` of each OP_ASSERT instruction, in order (-1 elsewhere). */
  readonly assertSet: readonly number[];
}

/** Runs of 1s in a 0/1 table, as flattened `[from, to)` pairs. */
function runs(table: Uint8Array): number[] {
  const out: number[] = [];
  for (let c = 0; c < table.length; c++) {
    if (table[c] && (c === 0 || !table[c - 1])) out.push(c);
    if (table[c] && (c === table.length - 1 || !table[c + 1])) out.push(c + 1);
  }
  return out;
}

function fillRuns(table: Uint8Array, list: readonly number[]): void {
  for (let i = 0; i < list.length; i += 2) table.fill(1, list[i], list[i + 1]);
}

/** The program as data; throws RangeError if an instruction has a field its opcode does not use. */
export function encodeProgram(program: Program): EncodedProgram {
  const arg: number[] = [], alt: number[] = [], assertSet: number[] = [], next: number[] = [];
  for (let pc = 0; pc < program.op.length; pc++) {
    const op = program.op[pc]!;
    next.push(program.next[pc]! - pc);
    if (op === OP_SET || op === OP_ASSERT) arg.push(program.arg[pc]!);
    else if (program.arg[pc] !== 0) throw new RangeError(`instruction ${pc} (op ${op}) has an argument`);
    if (op === OP_SPLIT) alt.push(program.alt[pc]! - pc);
    else if (program.alt[pc] !== -1) throw new RangeError(`instruction ${pc} (op ${op}) has a second successor`);
    if (op === OP_ASSERT) assertSet.push(program.assertSet[pc]!);
    else if (program.assertSet[pc] !== -1) throw new RangeError(`instruction ${pc} (op ${op}) has an assertion set`);
  }
  return {
    format: FORMAT, start: program.start, caseless: program.caseless, firstNonAscii: program.firstNonAscii,
    firstAscii: runs(program.firstAscii), negated: [...program.negated], ranges: program.ranges.map((r) => [...r]),
    ascii: program.ranges.map((_, s) => runs(program.asciiSets.subarray(s * 128, s * 128 + 128))),
    op: [...program.op], next, arg, alt, assertSet,
  };
}

/** The program encodeProgram described; throws RangeError on data of another format or damaged data. */
export function decodeProgram(data: EncodedProgram): Program {
  if (data.format !== FORMAT) throw new RangeError(`encoded program has format ${data.format}, expected ${FORMAT}`);
  const size = data.op.length, sets = data.ranges.length;
  if (data.next.length !== size || data.negated.length !== sets || data.ascii.length !== sets || data.start >= size) {
    throw new RangeError("encoded program is damaged: its arrays disagree in length");
  }
  const firstAscii = new Uint8Array(128), asciiSets = new Uint8Array(sets * 128);
  fillRuns(firstAscii, data.firstAscii);
  for (let s = 0; s < sets; s++) fillRuns(asciiSets.subarray(s * 128, s * 128 + 128), data.ascii[s]!);
  const op = Uint8Array.from(data.op), next = Int32Array.from(data.next), arg = new Int32Array(size);
  const alt = new Int32Array(size).fill(-1), assertSet = new Int32Array(size).fill(-1);
  let a = 0, b = 0, c = 0;
  for (let pc = 0; pc < size; pc++) {
    const o = op[pc]!;
    next[pc] += pc;
    if (o === OP_SET || o === OP_ASSERT) arg[pc] = data.arg[a++]!;
    if (o === OP_SPLIT) alt[pc] = pc + data.alt[b++]!;
    if (o === OP_ASSERT) assertSet[pc] = data.assertSet[c++]!;
  }
  if (a !== data.arg.length || b !== data.alt.length || c !== data.assertSet.length) {
    throw new RangeError("encoded program is damaged: argument lists do not match its instructions");
  }
  return {
    op, arg, assertSet, next, alt, start: data.start, asciiSets, ranges: data.ranges.map((r) => Int32Array.from(r)),
    negated: [...data.negated], caseless: data.caseless, firstAscii, firstNonAscii: data.firstNonAscii,
  };
}
