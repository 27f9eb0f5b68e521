/**
 * Reads chosen string values (the chat templates) from a GGUF file's metadata (spec: ggml/docs/gguf.md). A model
 * file is untrusted input: every count, length and nesting depth is bounded, and the scan stops at the first key
 * that breaks a bound. Hand-written because @huggingface/gguf is async, materialises every value (the 100k-entry
 * token and merge lists) to answer for two strings, and is a dev dependency only.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/** Random access to a file's bytes (a file, or bytes in memory for tests). */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Copies bytes at `offset` into `into`; returns how many were read. */
  read(into: Uint8Array, offset: number): number;
}

/** Bounds on what one GGUF header may declare. */
export interface GgufLimits {
  /** Most metadata key/value pairs. */
  readonly maxKeys: number;
  /** Longest key in bytes (the spec caps keys at 65535). */
  readonly maxKeyBytes: number;
  /** Longest string value returned (a chat template). */
  readonly maxValueBytes: number;
  /** Most array elements visited over the whole header (bounds the time a scan takes). */
  readonly maxElements: number;
}

/** Defaults: far above real models (~50 keys, templates of ~20 KB, ~300k vocabulary entries). */
export const GGUF_LIMITS: GgufLimits = { maxKeys: 1 << 16, maxKeyBytes: 65535, maxValueBytes: 1 << 20, maxElements: 1 << 24 };

/** A GGUF header rsk cannot or will not read; the message names the file, the key and the bound. */
export class GgufError extends Error {}

const MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const STRING = 8, ARRAY = 9;
/** Byte size of each scalar value type by type id (0 = u8 ... 12 = f64); strings and arrays are variable. */
const SCALAR_BYTES = [1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8] as const;
const WINDOW = 1 << 20;

/** A forward cursor over a ByteSource through a window buffer. */
class Cursor {
  #buffer = new Uint8Array(WINDOW);
  #start = 0;
  #end = 0;
  /** Absolute offset of the next byte. */
  position = 0;

  constructor(private readonly source: ByteSource, private readonly what: string) {}

  /** Ensures `n` bytes from `position` are in the window; throws when the file ends first. */
  #need(n: number): number {
    if (this.position + n > this.source.size) throw new GgufError(`${this.what}: the file ends inside its metadata (offset ${this.position})`);
    if (this.position >= this.#start && this.position + n <= this.#end) return this.position - this.#start;
    if (n > this.#buffer.length) this.#buffer = new Uint8Array(n);
    this.#start = this.position;
    this.#end = this.#start + this.source.read(this.#buffer.subarray(0, Math.min(this.#buffer.length, this.source.size - this.#start)), this.#start);
    if (this.position + n > this.#end) throw new GgufError(`${this.what}: short read at offset ${this.position}`);
    return 0;
  }

  u32(): number {
    const at = this.#need(4);
    this.position += 4;
    const b = this.#buffer;
    return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
  }

  /** A u64 as a number; values beyond 2^53 are refused (no file is that large). */
  u64(field: string): number {
    const low = this.u32(), high = this.u32();
    if (high >= 0x200000) throw new GgufError(`${this.what}: ${field} ${high}·2^32 is beyond any file size`);
    return high * 0x100000000 + low;
  }

  bytes(n: number): Uint8Array {
    const at = this.#need(n);
    this.position += n;
    return this.#buffer.subarray(at, at + n);
  }

  skip(n: number): void {
    if (this.position + n > this.source.size) throw new GgufError(`${this.what}: the file ends inside its metadata (offset ${this.position})`);
    this.position += n;
  }

  /** Bytes left in the file: no declared length may exceed it. */
  get left(): number {
    return this.source.size - this.position;
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The string values of `keys` found in the metadata of the GGUF in `source` (absent keys are absent from the map). */
export function ggufStrings(source: ByteSource, keys: readonly string[], what = "GGUF", limits: GgufLimits = GGUF_LIMITS): Map<string, string> {
  const cursor = new Cursor(source, what);
  if (cursor.u32() !== MAGIC) throw new GgufError(`${what}: not a GGUF file (no "GGUF" magic)`);
  const version = cursor.u32();
  if (version !== 2 && version !== 3) throw new GgufError(`${what}: GGUF version ${version} is not supported (2 or 3)`);
  cursor.u64("tensor count");
  const count = cursor.u64("metadata key count");
  if (count > limits.maxKeys) throw new GgufError(`${what}: ${count} metadata keys (at most ${limits.maxKeys})`);
  const wanted = new Set(keys);
  const found = new Map<string, string>();
  let elements = 0;
  const length = (field: string, max: number): number => {
    const n = cursor.u64(field);
    if (n > max) throw new GgufError(`${what}: ${field} of ${n} bytes (at most ${max})`);
    return n;
  };
  const skipValue = (type: number, key: string, depth: number): void => {
    if (type < SCALAR_BYTES.length && SCALAR_BYTES[type]! > 0) return cursor.skip(SCALAR_BYTES[type]!);
    if (type === STRING) return cursor.skip(length(`a string in "${key}"`, cursor.left));
    if (type !== ARRAY) throw new GgufError(`${what}: metadata key "${key}" has unknown value type ${type}`);
    if (depth >= 2) throw new GgufError(`${what}: metadata key "${key}" nests arrays deeper than 2`);
    const inner = cursor.u32();
    const n = cursor.u64(`array length of "${key}"`);
    if (n > cursor.left) throw new GgufError(`${what}: array "${key}" declares ${n} elements, more than the file's remaining bytes`);
    elements += n;
    if (elements > limits.maxElements) throw new GgufError(`${what}: metadata arrays hold more than ${limits.maxElements} elements`);
    const size = inner < SCALAR_BYTES.length ? SCALAR_BYTES[inner]! : 0;
    if (size > 0) return cursor.skip(n * size);
    for (let i = 0; i < n; i++) skipValue(inner, key, depth + 1);
  };
  for (let i = 0; i < count && found.size < wanted.size; i++) {
    let key: string;
    try {
      key = utf8.decode(cursor.bytes(length(`metadata key ${i}`, limits.maxKeyBytes)));
    } catch (err) {
      if (err instanceof GgufError) throw err;
      throw new GgufError(`${what}: metadata key ${i} is not UTF-8`, { cause: err });
    }
    const type = cursor.u32();
    if (!wanted.has(key) || type !== STRING) {
      skipValue(type, key, 0);
      continue;
    }
    const bytes = cursor.bytes(length(`"${key}"`, limits.maxValueBytes));
    try {
      found.set(key, utf8.decode(bytes));
    } catch (err) {
      throw new GgufError(`${what}: "${key}" is not UTF-8`, { cause: err });
    }
  }
  return found;
}

/** `ggufStrings` over a file, read in 1 MiB windows. */
export function readGgufStrings(path: string, keys: readonly string[], what = path): Map<string, string> {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    return ggufStrings({ size, read: (into, offset) => readSync(fd, into, 0, into.length, offset) }, keys, what);
  } finally {
    closeSync(fd);
  }
}
