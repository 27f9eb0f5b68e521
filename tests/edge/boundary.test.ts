/**
 * The core boundary: the `rsk` entry and the edge host entries reach no host module (node:*, bun:*), no FFI or
 * server-only file, and read no `import.meta.url`, Buffer or process; so they load on workerd and `deno serve`
 * without compat flags or permissions.
 */
import assert from "node:assert/strict";
import { dirname, relative, resolve } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { importGraph } from "./import-graph.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Packages the core may import: its dependencies made for the job. */
const ALLOWED_PACKAGES = /^(hono(\/.*)?|valibot|@valibot\/to-json-schema|eventsource-parser|jose|zod|zod-to-json-schema|@opentelemetry\/api)$/;
/** Server-only files: the CLI, the server hosts, and ffi/ but for its plain TypeScript (types, the reference kernels,
 * the WASM binding from a module). */
const HOST_FILES = /^(src\/main\.ts|src\/hosts\/(server|node|bun|local)\.ts|ffi\/(?!(kernels|walker|reference|wasm-module|edge|batch)(\.ts|\/)).*)$/;
/** Host globals and module-relative paths the core must not touch. */
const HOST_ONLY = [/\bimport\.meta\.(url|dirname|filename|main)\b/, /\bBuffer\./, /\bprocess\.(env|stdout|stderr|on|exit|argv|versions|memoryUsage|cpuUsage)\b/, /\bBun\./, /\bDeno\.(?!env\.toObject)/];

/** Every breach of the boundary reachable from `entry`. */
function breaches(entry: string): string[] {
  const found: string[] = [];
  for (const node of importGraph(resolve(ROOT, entry)).values()) {
    const file = relative(ROOT, node.path);
    if (HOST_FILES.test(file)) found.push(`${file}: a host-only file`);
    for (const spec of node.imports) {
      if (spec.startsWith(".")) continue;
      if (!ALLOWED_PACKAGES.test(spec)) found.push(`${file} imports ${spec}`);
    }
    const code = node.source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    for (const pattern of HOST_ONLY) if (pattern.test(code)) found.push(`${file} uses ${pattern.source}`);
  }
  return found;
}

describe("the runtime-neutral core", () => {
  for (const entry of ["src/mod.ts", "src/hosts/deno.ts", "ffi/edge.ts"]) {
    test(`${entry} reaches no node:*, bun:*, FFI, file or host global`, () => {
      assert.deepEqual(breaches(entry), []);
    });
  }

  test("the workers entry adds only cloudflare:workers", () => {
    assert.deepEqual(breaches("src/hosts/workers.ts"), ["src/hosts/workers.ts imports cloudflare:workers"]);
  });

  test("the check itself catches what it is for", () => {
    const found = breaches("src/hosts/bun.ts");
    assert.ok(found.some((b) => b.includes("node:fs")), found.join("\n"));
    assert.ok(found.some((b) => b.includes("ffi/serve.ts") || b.includes("host-only")), found.join("\n"));
    assert.ok(found.some((b) => b.includes("import\\.meta")), found.join("\n"));
  });
});
