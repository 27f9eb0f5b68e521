/**
 * Chooses the kernels once per process: native librsk (sha256-verified, then dlopen) → WASM → TS reference.
 * `RSK_KERNELS=native|wasm|ts` forces one (a forced choice that fails throws instead of falling back).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Kernels } from "./kernels.ts";
import { nativeKernels } from "./native-kernels.ts";
import { nativeRuntime } from "./native.ts";
import { referenceKernels } from "./reference.ts";
import { RSK_ABI_VERSION, rskSymbols } from "./symbols.ts";
import { wasmKernels, wasmPath } from "./wasm.ts";

export type { Distribution, KernelError, Kernels, Logits, SampleBatch, SampleDraw, SampleParams, SampleRequest, SamplingKernels, TokenMask } from "./kernels.ts";
export { logitsOf, maskOf, maskWords, newMask } from "./kernels.ts";
export { rowResult, stageRow, type BatchRow } from "./batch.ts";

/** Which implementation to use. */
export type KernelsKind = Kernels["kind"];

/** Where `npm install` (kernels/build.ts) puts the library and its recorded hash. */
export const nativePaths = {
  library: fileURLToPath(new URL("../kernels/build/librsk.so", import.meta.url)),
  manifest: fileURLToPath(new URL("../kernels/build/manifest.json", import.meta.url)),
};

/** A load failure that lists what was tried, the override in effect, and why each step failed. */
export class KernelLoadError extends Error {
  /** One line per attempt. */
  readonly tried: readonly string[];
  constructor(message: string, tried: readonly string[], cause?: unknown) {
    super(`${message}\n  tried:\n    ${tried.join("\n    ")}\n  RSK_KERNELS=${process.env.RSK_KERNELS ?? "(unset)"}`, { cause });
    this.name = "KernelLoadError";
    this.tried = tried;
  }
}

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** Opens librsk after checking its sha256 against the build manifest and its ABI version. */
export async function loadNativeKernels(paths = nativePaths): Promise<Kernels> {
  const step = `native ${paths.library}`;
  let expected: string;
  try {
    expected = (JSON.parse(readFileSync(paths.manifest, "utf8")) as { sha256: string }).sha256;
  } catch (cause) {
    throw new KernelLoadError("librsk: no build manifest (run `bun kernels/build.ts`)", [`${step}: cannot read ${paths.manifest}`], cause);
  }
  let actual: string;
  try {
    actual = sha256(paths.library);
  } catch (cause) {
    throw new KernelLoadError("librsk: library missing", [`${step}: cannot read the file`], cause);
  }
  if (actual !== expected) {
    throw new KernelLoadError("librsk: sha256 mismatch, refusing to dlopen", [`${step}: sha256 ${actual} ≠ recorded ${expected}`]);
  }
  try {
    const lib = (await nativeRuntime()).open(paths.library, rskSymbols);
    const abi = lib.symbols.rsk_abi_version();
    if (abi !== RSK_ABI_VERSION) {
      lib.close();
      throw new Error(`ABI version ${abi}, bindings expect ${RSK_ABI_VERSION}`);
    }
    return nativeKernels(lib);
  } catch (cause) {
    throw new KernelLoadError("librsk: dlopen failed", [`${step}: ${String(cause)}`], cause);
  }
}

/** Loads one implementation by kind. */
export async function loadKernelsOf(kind: KernelsKind): Promise<Kernels> {
  if (kind === "native") return loadNativeKernels();
  if (kind === "wasm") {
    try {
      return await wasmKernels();
    } catch (cause) {
      throw new KernelLoadError("rsk.wasm: cannot instantiate", [`wasm ${fileURLToPath(wasmPath())}: ${String(cause)}`], cause);
    }
  }
  return referenceKernels();
}

/** native → wasm → ts, honouring RSK_KERNELS; logs each fallback and its reason on stderr. */
export async function selectKernels(override = process.env.RSK_KERNELS): Promise<Kernels> {
  if (override !== undefined && override !== "") {
    if (override !== "native" && override !== "wasm" && override !== "ts") {
      throw new KernelLoadError(`RSK_KERNELS must be native, wasm or ts`, [`override "${override}"`]);
    }
    return loadKernelsOf(override);
  }
  for (const kind of ["native", "wasm"] as const) {
    try {
      return await loadKernelsOf(kind);
    } catch (error) {
      console.warn(`rsk: ${kind} kernels unavailable, falling back: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return referenceKernels();
}

let chosen: Promise<Kernels> | undefined;

/** The process-wide kernels, chosen once on first use. */
export function kernels(): Promise<Kernels> {
  chosen ??= selectKernels();
  return chosen;
}
