/**
 * Builds the kernels. Hand-written because it must run at `npm install` time with nothing but a C compiler
 * (no cmake/make assumed) and must never fail the install.
 *   bun kernels/build.ts          librsk.so with the system compiler + kernels/build/manifest.json (sha256)
 *   bun kernels/build.ts --wasm   kernels/rsk.wasm with clang-14 (wasm32 + SIMD128), committed to git
 *   bun kernels/build.ts --wasm --check   rebuilds into a temp file and fails if the committed rsk.wasm differs
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RSK_ABI_VERSION, rskSymbols } from "../ffi/symbols.ts";

const root = import.meta.dirname;
const out = join(root, "build");
const common = ["-std=c11", "-O3", "-ffp-contract=off", "-fno-math-errno", "-Wall", "-Wextra", "-I", join(root, "include")];
/** Separate translation units per instruction set; dispatch picks one at load (kernels/src/dispatch.c). */
const units: ReadonlyArray<readonly [string, readonly string[]]> = [
  ["sample.c", []],
  ["batch.c", []],
  ["select.c", []],
  ["math.c", []],
  ["dispatch.c", []],
  ["trie.c", []],
  ["scan_scalar.c", []],
  ["scan_avx2.c", ["-mavx2"]],
  ["scan_avx512.c", ["-mavx512f"]],
];

function run(cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function findCompiler(candidates: readonly string[]): string | undefined {
  for (const cc of candidates) {
    try {
      run(cc, ["--version"]);
      return cc;
    } catch {
      // not installed: try the next one
    }
  }
  return undefined;
}

function buildNative(): void {
  const tried = [process.env.CC, "cc", "gcc", "clang"].filter((c): c is string => !!c);
  const cc = findCompiler(tried);
  if (cc === undefined) {
    console.warn(`rsk: no C compiler (tried ${tried.join(", ")}); kernels fall back to kernels/rsk.wasm`);
    return;
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const objects = units.map(([file, flags]) => {
    const obj = join(out, file.replace(/\.c$/, ".o"));
    run(cc, [...common, "-fPIC", "-fvisibility=hidden", "-ffunction-sections", ...flags, "-c", join(root, "src", file), "-o", obj]);
    return obj;
  });
  const lib = join(out, "librsk.so");
  run(cc, ["-shared", "-s", "-Wl,--gc-sections", "-Wl,-O1", "-o", lib, ...objects]);
  for (const obj of objects) rmSync(obj);
  const bytes = readFileSync(lib);
  const manifest = {
    library: "librsk.so",
    sha256: createHash("sha256").update(bytes).digest("hex"),
    bytes: bytes.length,
    abi: RSK_ABI_VERSION,
    compiler: run(cc, ["--version"]).split("\n")[0],
  };
  writeFileSync(join(out, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`rsk: built ${lib} (${bytes.length} bytes, sha256 ${manifest.sha256.slice(0, 16)}…)`);
}

function buildWasm(target: string): void {
  const clang = findCompiler([process.env.CLANG ?? "clang-14", "clang"]);
  if (clang === undefined) throw new Error("rsk: --wasm needs clang-14 (apt-get install -y clang-14 lld-14)");
  const sources = ["sample.c", "batch.c", "select.c", "math.c", "dispatch.c", "trie.c", "scan_scalar.c", "scan_wasm128.c"];
  const exports = Object.keys(rskSymbols).map((name) => `-Wl,--export=${name}`);
  run(clang, [
    ...common, "--target=wasm32", "-msimd128", "-nostdlib", "-fvisibility=hidden",
    "-Wl,--no-entry", "-Wl,--export=__heap_base", "-Wl,--strip-all", ...exports,
    "-fuse-ld=lld", `-ffile-prefix-map=${root}=.`,
    ...sources.map((s) => join(root, "src", s)), "-o", target,
  ]);
  console.log(`rsk: built ${target}`);
}

if (process.argv.includes("--check")) {
  const fresh = join(tmpdir(), `rsk-${process.pid}.wasm`);
  buildWasm(fresh);
  const same = readFileSync(fresh).equals(readFileSync(join(root, "rsk.wasm")));
  rmSync(fresh);
  if (!same) {
    console.error("rsk: kernels/rsk.wasm is out of date with kernels/src: run `npm run build:wasm` and commit it");
    process.exit(1);
  }
  console.log("rsk: kernels/rsk.wasm matches a fresh build");
} else if (process.argv.includes("--wasm")) {
  buildWasm(join(root, "rsk.wasm"));
} else {
  try {
    buildNative();
  } catch (error) {
    // Never fail `npm install`: ffi/mod.ts falls back to WASM and says why.
    console.warn(`rsk: native build failed, kernels fall back to kernels/rsk.wasm: ${String(error)}`);
  }
}
