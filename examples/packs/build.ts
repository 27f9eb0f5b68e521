/**
 * Builds the example packs' WASM kernels from their C sources with clang-14 (wasm32, no libc) and writes each
 * kernel's sha256 into its pack's kernels.json. The .wasm files are committed, like kernels/rsk.wasm.
 *   bun examples/packs/build.ts           rebuild every example kernel
 *   bun examples/packs/build.ts --check   rebuild into a temp folder and fail if a committed .wasm differs
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = import.meta.dirname;
const clang = process.env.CLANG ?? "clang-14";
if (spawnSync(clang, ["--version"]).error) throw new Error(`examples/packs: needs ${clang} (apt-get install -y clang-14 lld-14)`);

/** Compiles one C kernel to `target`; flags fixed so the output is byte-for-byte reproducible. */
function build(pack: string, source: string, target: string): void {
  execFileSync(clang, [
    "-std=c11", "-O2", "-Wall", "-Wextra", "--target=wasm32", "-nostdlib", "-fvisibility=hidden",
    "-Wl,--no-entry", "-Wl,--strip-all", "-fuse-ld=lld", `-ffile-prefix-map=${root}=.`,
    join(root, pack, source), "-o", target,
  ], { stdio: "inherit" });
}

const check = process.argv.includes("--check");
const scratch = mkdtempSync(join(tmpdir(), "rsk-packs-"));
let stale = 0;
try {
  for (const pack of readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name)) {
    const manifestPath = join(root, pack, "kernels.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { kernels: { file: string; sha256: string }[] };
    for (const kernel of manifest.kernels) {
      const source = kernel.file.replace(/\.wasm$/, ".c");
      const fresh = join(scratch, kernel.file);
      build(pack, source, fresh);
      const bytes = readFileSync(fresh);
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      if (check) {
        if (!bytes.equals(readFileSync(join(root, pack, kernel.file))) || kernel.sha256 !== sha256) {
          console.error(`examples/packs/${pack}/${kernel.file} is out of date with ${source}: run \`bun examples/packs/build.ts\``);
          stale++;
        }
      } else {
        writeFileSync(join(root, pack, kernel.file), bytes);
        kernel.sha256 = sha256;
        console.log(`built examples/packs/${pack}/${kernel.file} (${bytes.length} bytes, sha256 ${sha256.slice(0, 16)}…)`);
      }
    }
    if (!check) writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
if (stale > 0) process.exit(1);
if (check) console.log("examples/packs: every kernel matches a fresh build");
