/**
 * Finds and opens libllama through rsk's shim (`kernels/llama/build/librsk_llama.so`), once per process.
 * libllama comes from `RSK_LLAMA_LIB` or the `@node-llama-cpp/linux-x64` package; the shim dlopens it and
 * registers the ggml CPU backends that sit next to it.
 */
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cString, openLibrary, type NativeLibrary } from "../native.ts";
import { llamaSymbols, type LlamaSymbols } from "./symbols.ts";

/** Why libllama (or a model/context on it) could not be used; `attempts` lists every path tried. */
export class LlamaLoadError extends Error {
  /** Machine-readable stage that failed, so callers can tell "not installed" from "bad model". */
  readonly code: "shim_missing" | "libllama_missing" | "open_failed" | "model_load_failed" | "context_failed";
  /** Paths tried, with what happened at each. */
  readonly attempts: readonly string[];

  constructor(code: LlamaLoadError["code"], message: string, attempts: readonly string[] = [], cause?: unknown) {
    super(attempts.length > 0 ? `${message}\n  tried:\n    ${attempts.join("\n    ")}` : message, { cause });
    this.name = "LlamaLoadError";
    this.code = code;
    this.attempts = attempts;
  }
}

/** The opened shim with libllama behind it. */
export interface LlamaLibrary {
  /** Typed shim symbols (see kernels/llama/rsk_llama.h). */
  readonly native: NativeLibrary<LlamaSymbols>["symbols"];
  /** The libllama file in use. */
  readonly libllamaPath: string;
  /** llama.cpp's last logged error, for error messages. */
  lastError(): string;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Where `bun kernels/llama/build.ts` writes the shim. */
export const SHIM_PATH = join(root, "kernels", "llama", "build", "librsk_llama.so");

/** Folders that may hold the npm package's prebuilt libllama, most specific first. */
function packageBinDirs(): string[] {
  const dirs: string[] = [];
  try {
    const entry = createRequire(import.meta.url).resolve("@node-llama-cpp/linux-x64");
    dirs.push(join(dirname(entry), "..", "bins", "linux-x64"));
  } catch {
    // Not resolvable from here (e.g. a vendored copy): the repository's own node_modules below still applies.
  }
  dirs.push(join(root, "node_modules", "@node-llama-cpp", "linux-x64", "bins", "linux-x64"));
  return dirs;
}

/** The libllama to open: RSK_LLAMA_LIB if set, else the one shipped by @node-llama-cpp/linux-x64. */
function findLibllama(attempts: string[]): string {
  const override = process.env.RSK_LLAMA_LIB;
  if (override) {
    if (existsSync(override)) return resolve(override);
    attempts.push(`${override} (RSK_LLAMA_LIB): no such file`);
    throw new LlamaLoadError("libllama_missing", "libllama not found at RSK_LLAMA_LIB", attempts);
  }
  for (const dir of packageBinDirs()) {
    const name = existsSync(dir) ? readdirSync(dir).find((f) => /^libllama(\.v[\d.]+)?\.so$/.test(f)) : undefined;
    if (name !== undefined) return join(dir, name);
    attempts.push(`${dir}: no libllama*.so`);
  }
  throw new LlamaLoadError(
    "libllama_missing",
    "libllama not found: install @node-llama-cpp/linux-x64 (a dependency of rsk) or set RSK_LLAMA_LIB",
    attempts,
  );
}

let opened: Promise<LlamaLibrary> | undefined;

/** Opens the shim and libllama once; every model and context shares it. Set RSK_LLAMA_VERBOSE=1 for llama.cpp logs. */
export function openLlama(): Promise<LlamaLibrary> {
  opened ??= load().catch((error: unknown) => {
    opened = undefined;
    throw error;
  });
  return opened;
}

async function load(): Promise<LlamaLibrary> {
  const attempts: string[] = [];
  if (!existsSync(SHIM_PATH)) {
    attempts.push(`${SHIM_PATH}: not built`);
    throw new LlamaLoadError(
      "shim_missing",
      "the local backend is unavailable: the llama.cpp shim is not built (needs a C compiler; run `bun kernels/llama/build.ts`)",
      attempts,
    );
  }
  const libllamaPath = findLibllama(attempts);
  let shim: NativeLibrary<LlamaSymbols>;
  try {
    shim = await openLibrary(SHIM_PATH, llamaSymbols);
  } catch (error) {
    attempts.push(`${SHIM_PATH}: ${(error as Error).message}`);
    throw new LlamaLoadError("open_failed", "cannot open the llama.cpp shim", attempts, error);
  }
  const native = shim.symbols;
  const errorBuffer = new Uint8Array(1024);
  const lastError = (): string => {
    const n = native.rsk_llama_last_error(errorBuffer, errorBuffer.length);
    return new TextDecoder().decode(errorBuffer.subarray(0, n));
  };
  const status = native.rsk_llama_open(cString(libllamaPath), process.env.RSK_LLAMA_VERBOSE ? 1 : 0);
  if (status !== 0) {
    attempts.push(`${libllamaPath}: ${lastError()}`);
    throw new LlamaLoadError("open_failed", "cannot open libllama", attempts);
  }
  return { native, libllamaPath, lastError };
}
