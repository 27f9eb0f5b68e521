/** Server convenience over ffi/wasm-module.ts: binds the committed kernels/rsk.wasm read from disk. */
import { readFileSync } from "node:fs";
import type { Kernels } from "./kernels.ts";
import { wasmKernelsFrom } from "./wasm-module.ts";

export { wasmKernelsFrom } from "./wasm-module.ts";

/** Where the committed module lives; computed on call because `import.meta.url` is undefined in workerd. */
export function wasmPath(): URL {
  return new URL("../kernels/rsk.wasm", import.meta.url);
}

/** Instantiates rsk.wasm (from `bytes`, default the committed file) and binds it as `Kernels`. */
export function wasmKernels(bytes?: Uint8Array): Promise<Kernels> {
  return wasmKernelsFrom(bytes ?? readFileSync(wasmPath()));
}
