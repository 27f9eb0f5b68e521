/**
 * Runtime-neutral access to native libraries: the one place that knows whether bun:ffi or Deno.dlopen is
 * underneath. Everything outside `ffi/` sees only these types. The adapter is loaded with a computed dynamic
 * import so that Deno never type-checks `bun:ffi` and tsc never type-checks the `Deno` global.
 */

/** The only value types that cross the boundary (Bun and Deno disagree on 64-bit ints, so there are none). */
export type NativeType = "i32" | "u32" | "f32" | "f64" | "void" | "buffer" | "pointer";

/** A C function's signature: `buffer` passes a TypedArray in place, `pointer` an opaque native handle. */
export interface NativeFunction {
  /** Parameter types, in C order. */
  readonly args: readonly NativeType[];
  /** Return type; `buffer` is not allowed as a result (return a `pointer` and view it instead). */
  readonly returns: Exclude<NativeType, "buffer">;
}

/** A library's symbol table, declared `as const` next to the code that calls it. */
export type NativeSymbols = Readonly<Record<string, NativeFunction>>;

declare const nativePointerBrand: unique symbol;
/** An opaque native address (a number on Bun, a Deno.PointerObject on Deno): only ever handed back to C. */
export type NativePointer = { readonly [nativePointerBrand]: "NativePointer" };

/** JS value accepted for one parameter type. */
type ArgValue<T> = T extends "buffer"
  ? ArrayBufferView
  : T extends "pointer"
    ? NativePointer | null
    : number;

/** JS value produced for one return type. */
type ReturnValue<T extends NativeType> = T extends "void"
  ? undefined
  : T extends "pointer"
    ? NativePointer | null
    : number;

/** Typed callable for one symbol, derived from its declaration so a wrong argument is a type error. */
export type NativeCall<F extends NativeFunction> = (...args: ArgValues<F["args"]>) => ReturnValue<F["returns"]>;

/** Maps a parameter-type tuple to the tuple of JS values it accepts. */
type ArgValues<A extends readonly NativeType[]> = { -readonly [I in keyof A]: ArgValue<A[I]> };

/** An opened library: its typed symbols, callable directly (no wrapper on the hot path). */
export interface NativeLibrary<S extends NativeSymbols> {
  /** Absolute path the library was opened from (for error messages and reports). */
  readonly path: string;
  /** One typed function per declared symbol. */
  readonly symbols: { readonly [K in keyof S]: NativeCall<S[K]> };
  /** Unloads the library; calling a symbol afterwards is undefined behaviour in both runtimes. */
  close(): void;
}

/** What each runtime adapter (`ffi/bun.ts`, `ffi/deno.ts`) provides. */
export interface NativeRuntime {
  /** Which FFI is underneath, for logs and benchmark labels. */
  readonly name: "bun" | "deno";
  /** dlopen `path` and bind `symbols`; throws the runtime's own error if the file or a symbol is missing. */
  open<S extends NativeSymbols>(path: string, symbols: S): NativeLibrary<S>;
  /** A Float32Array over native memory, without copying (e.g. llama.cpp's logits, read in place). */
  float32View(pointer: NativePointer, length: number): Float32Array;
  /** An Int32Array over native memory, without copying (e.g. token arrays owned by C). */
  int32View(pointer: NativePointer, length: number): Int32Array;
}

/** Which FFI this process has, decided from the globals each runtime defines. */
export function nativeRuntimeName(): "bun" | "deno" | undefined {
  if ("Bun" in globalThis) return "bun";
  if ("Deno" in globalThis) return "deno";
  return undefined;
}

let adapter: Promise<NativeRuntime> | undefined;

/** The current runtime's FFI adapter, loaded once; rejects with a clear message where there is no FFI. */
export function nativeRuntime(): Promise<NativeRuntime> {
  adapter ??= loadAdapter();
  return adapter;
}

async function loadAdapter(): Promise<NativeRuntime> {
  const name = nativeRuntimeName();
  if (name === undefined) throw new Error("no FFI: neither Bun nor Deno globals are present in this runtime");
  // Computed specifier: keeps each adapter out of the other runtime's static module graph and type-check.
  const specifier = new URL(`./${name}.ts`, import.meta.url).href;
  const module = (await import(specifier)) as { readonly runtime: NativeRuntime };
  return module.runtime;
}

/** Opens a native library with its own symbol table through whichever runtime is running. */
export async function openLibrary<S extends NativeSymbols>(path: string, symbols: S): Promise<NativeLibrary<S>> {
  return (await nativeRuntime()).open(path, symbols);
}

/** A NUL-terminated UTF-8 copy of `text`, to pass as a `buffer` where C expects `const char *`. */
export function cString(text: string): Uint8Array {
  return new TextEncoder().encode(`${text}\0`);
}
