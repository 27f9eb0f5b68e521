/** Loading: sha256 check before dlopen, self-explaining errors, the override, and the typed generic FFI. */
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { KernelLoadError, loadNativeKernels, nativePaths, selectKernels } from "../../ffi/mod.ts";
import { nativeRuntime, openLibrary } from "../../ffi/native.ts";
import { rskSymbols } from "../../ffi/symbols.ts";

test("a library whose sha256 differs from the manifest is refused, with every step explained", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rsk-"));
  try {
    const library = join(dir, "librsk.so"), manifest = join(dir, "manifest.json");
    copyFileSync(nativePaths.library, library);
    writeFileSync(manifest, JSON.stringify({ sha256: "0".repeat(64) }));
    const error = await loadNativeKernels({ library, manifest }).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof KernelLoadError);
    assert.match(error.message, /sha256 mismatch/);
    assert.match(error.message, new RegExp(library.replaceAll(".", "\\.")));
    assert.match(error.message, /RSK_KERNELS=/);
    const missing = await loadNativeKernels({ library: join(dir, "nope.so"), manifest }).then(() => undefined, (e: unknown) => e);
    assert.ok(missing instanceof KernelLoadError && missing.cause !== undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("RSK_KERNELS picks the implementation and rejects unknown values", async () => {
  assert.equal((await selectKernels("ts")).kind, "ts");
  assert.equal((await selectKernels("wasm")).kind, "wasm");
  assert.equal((await selectKernels("native")).kind, "native");
  await assert.rejects(selectKernels("gpu"), KernelLoadError);
});

test("openLibrary binds a typed symbol table on this runtime", async () => {
  const lib = await openLibrary(nativePaths.library, rskSymbols);
  assert.equal(lib.symbols.rsk_noop(41), 41);
  assert.equal(lib.symbols.rsk_abi_version(), 1);
  // @ts-expect-error a buffer where an i32 is declared is a type error
  const wrongArgs: Parameters<typeof lib.symbols.rsk_noop> = [new Int32Array(1)];
  assert.equal(wrongArgs.length, 1);
  assert.ok(["bun", "deno"].includes((await nativeRuntime()).name));
  lib.close();
});
