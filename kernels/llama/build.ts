/**
 * Builds `kernels/llama/build/librsk_llama.so`, the C shim between rsk's FFI and libllama, against the llama.h
 * of the exact llama.cpp release that @node-llama-cpp/linux-x64 ships (node-llama-cpp keeps it as a git bundle).
 * Skips work when the sources and headers are unchanged. Without a C compiler it prints why and exits 0: the
 * local backend then reports itself unavailable instead of failing `npm install`.
 * Run: `bun kernels/llama/build.ts` (postinstall does it).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const outDir = join(here, "build");

/** Where the built shim lands; `ffi/llama/` opens it from here. */
export const SHIM_LIBRARY_PATH = join(outDir, "librsk_llama.so");

const bundleDir = join(root, "node_modules", "node-llama-cpp", "llama");
const compilers = [process.env.CC, "cc", "gcc", "clang", "clang-14"].filter((c): c is string => Boolean(c));

function run(command: string, args: readonly string[]): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { encoding: "utf8" });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}${result.error ? String(result.error) : ""}`;
  return { ok: result.status === 0, output };
}

function findCompiler(): string | undefined {
  return compilers.find((c) => run(c, ["--version"]).ok);
}

/** Checks out only llama.h and the ggml headers it includes from node-llama-cpp's llama.cpp bundle. */
function extractHeaders(into: string): void {
  const bundle = join(bundleDir, "gitRelease.bundle");
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: install devDependency node-llama-cpp@3.22.1`);
  const clone = run("git", ["clone", "--quiet", "--no-checkout", bundle, into]);
  if (!clone.ok) throw new Error(`git clone of ${bundle} failed: ${clone.output}`);
  const checkout = run("git", ["-C", into, "checkout", "--quiet", "HEAD", "--", "include", "ggml/include"]);
  if (!checkout.ok) throw new Error(`git checkout of llama.cpp headers failed: ${checkout.output}`);
}

function sourceStamp(): string {
  const hash = createHash("sha256");
  for (const file of ["rsk_llama.c", "rsk_llama.h", "build.ts"]) hash.update(readFileSync(join(here, file)));
  const info = join(bundleDir, "llama.cpp.info.json");
  hash.update(existsSync(info) ? readFileSync(info) : "no node-llama-cpp");
  return hash.digest("hex");
}

/** Compiles the shim if needed; returns the library path, or throws with the compiler's output. */
export function buildShim(): string {
  const stamp = sourceStamp();
  const stampPath = `${SHIM_LIBRARY_PATH}.stamp`;
  if (existsSync(SHIM_LIBRARY_PATH) && existsSync(stampPath) && readFileSync(stampPath, "utf8") === stamp) {
    return SHIM_LIBRARY_PATH;
  }
  const compiler = findCompiler();
  if (compiler === undefined) throw new Error(`no C compiler found (tried ${compilers.join(", ")}; set CC)`);
  const work = mkdtempSync(join(tmpdir(), "rsk-llama-"));
  try {
    extractHeaders(join(work, "llama.cpp"));
    mkdirSync(outDir, { recursive: true });
    const partial = join(work, "librsk_llama.so");
    const flags = ["-std=c11", "-O2", "-fPIC", "-shared", "-pthread", "-Wall", "-Wextra", "-Werror"];
    const includes = ["-I", join(work, "llama.cpp", "include"), "-I", join(work, "llama.cpp", "ggml", "include")];
    const compile = run(compiler, [...flags, ...includes, join(here, "rsk_llama.c"), "-ldl", "-pthread", "-o", partial]);
    if (!compile.ok) throw new Error(`${compiler} failed:\n${compile.output}`);
    copyFileSync(partial, SHIM_LIBRARY_PATH);
    writeFileSync(stampPath, stamp);
    return SHIM_LIBRARY_PATH;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  try {
    console.log(`llama shim: ${buildShim()}`);
  } catch (error) {
    console.warn(`llama shim not built, the local backend will be unavailable: ${(error as Error).message}`);
  }
}
