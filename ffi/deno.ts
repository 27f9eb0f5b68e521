/**
 * Deno.dlopen adapter for `NativeRuntime`. The few Deno FFI types used are declared here, so tsc (which
 * knows Bun's globals, not Deno's) checks this file too; Deno checks it against its own, wider types.
 */
import type { NativeLibrary, NativePointer, NativeRuntime, NativeSymbols } from "./native.ts";

/** The subset of Deno's FFI namespace this adapter calls (Deno 2.x). */
interface DenoFfi {
  /** Opens a library; parameter and result names match our neutral ones. */
  dlopen(
    path: string,
    symbols: Record<string, { parameters: readonly string[]; result: string }>,
  ): { symbols: Record<string, unknown>; close(): void };
  /** Reads native memory without copying. */
  UnsafePointerView: { getArrayBuffer(pointer: object, byteLength: number, offset?: number): ArrayBuffer };
}

const deno = (globalThis as unknown as { Deno: DenoFfi }).Deno;

function open<S extends NativeSymbols>(path: string, symbols: S): NativeLibrary<S> {
  const table: Record<string, { parameters: readonly string[]; result: string }> = {};
  for (const [name, fn] of Object.entries(symbols)) table[name] = { parameters: fn.args, result: fn.returns };
  const lib = deno.dlopen(path, table);
  // Deno's symbols take TypedArrays for `buffer` and PointerObjects for `pointer`: expose them unwrapped.
  return { path, symbols: lib.symbols as unknown as NativeLibrary<S>["symbols"], close: () => lib.close() };
}

function bytesAt(pointer: NativePointer, byteLength: number): ArrayBuffer {
  return deno.UnsafePointerView.getArrayBuffer(pointer as unknown as object, byteLength);
}

/** The Deno implementation of the runtime-neutral FFI surface. */
export const runtime: NativeRuntime = {
  name: "deno",
  open,
  float32View: (pointer, length) => new Float32Array(bytesAt(pointer, length * 4), 0, length),
  int32View: (pointer, length) => new Int32Array(bytesAt(pointer, length * 4), 0, length),
};
