/** bun:ffi adapter for `NativeRuntime` (Bun ≥ 1.1: the `buffer` FFI type passes a TypedArray in place). */
import { dlopen, toArrayBuffer, type FFIFunction, type Pointer } from "bun:ffi";
import type { NativeLibrary, NativePointer, NativeRuntime, NativeSymbols } from "./native.ts";

/** Bun's name for each neutral type (they coincide except `pointer`, which Bun calls `ptr`). */
const bunType = { i32: "i32", u32: "u32", f32: "f32", f64: "f64", void: "void", buffer: "buffer", pointer: "ptr" } as const;

function open<S extends NativeSymbols>(path: string, symbols: S): NativeLibrary<S> {
  const table: Record<string, FFIFunction> = {};
  for (const [name, fn] of Object.entries(symbols)) {
    table[name] = { args: fn.args.map((t) => bunType[t]), returns: bunType[fn.returns] };
  }
  const lib = dlopen(path, table);
  // Bun's symbols already take TypedArrays for `buffer` and numbers for pointers: expose them unwrapped.
  return { path, symbols: lib.symbols as unknown as NativeLibrary<S>["symbols"], close: () => lib.close() };
}

function bytesAt(pointer: NativePointer, byteLength: number): ArrayBuffer {
  return toArrayBuffer(pointer as unknown as Pointer, 0, byteLength);
}

/** The Bun implementation of the runtime-neutral FFI surface. */
export const runtime: NativeRuntime = {
  name: "bun",
  open,
  float32View: (pointer, length) => new Float32Array(bytesAt(pointer, length * 4), 0, length),
  int32View: (pointer, length) => new Int32Array(bytesAt(pointer, length * 4), 0, length),
};
