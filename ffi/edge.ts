/**
 * Kernels for edge hosts (workerd, Vercel Edge), which refuse `WebAssembly.compile(bytes)` but instantiate an
 * imported `.wasm` Module. Runtime-neutral: imports only the WASM binding and the TS reference.
 */
import type { Kernels } from "./kernels.ts";
import { referenceKernels } from "./reference.ts";
import { wasmKernelsFrom } from "./wasm-module.ts";

/** Why `error` stopped the WASM kernels, on one line (`CompileError: …`). */
function reason(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.replace(/\s+/g, " ").trim();
}

/**
 * WASM kernels from `source` (the imported rsk.wasm Module, or its bytes); when it is missing or the host refuses
 * it, the TypeScript reference kernels, after logging one line that names the reason.
 */
export async function kernelsFromModule(
  source: WebAssembly.Module | Uint8Array | undefined,
  log: (line: string) => void = console.warn,
): Promise<Kernels> {
  let why: string;
  if (source === undefined) why = "no rsk.wasm module given";
  else {
    try {
      return await wasmKernelsFrom(source);
    } catch (error) {
      why = reason(error);
    }
  }
  log(`rsk: WASM kernels unavailable (${why}): using the TypeScript reference kernels`);
  return referenceKernels();
}
