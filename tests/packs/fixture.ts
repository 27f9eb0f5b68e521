/** Pack fixtures: signed copies of the example pack (keys made per run), tampered variants, and a deliberately slow kernel. */
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readPackFolder } from "../../src/packs/folder.ts";
import type { PackKernelEntry, PackManifest } from "../../src/packs/manifest.ts";
import type { PackFiles } from "../../src/packs/open.ts";
import { generatePackKeys, signManifest, type TrustedKey, trustedKey } from "../../src/packs/signature.ts";

/** The committed example pack. */
export const EXAMPLE_PACK = new URL("../../examples/packs/acme/", import.meta.url).pathname;

/** A test signing key (generated per run; never written to the repository). */
export interface TestKey {
  /** The private JWK. */
  readonly privateJwk: Awaited<ReturnType<typeof generatePackKeys>>["privateJwk"];
  /** The public key as rsk trusts it. */
  readonly trusted: TrustedKey;
}

/** A fresh Ed25519 test key. */
export async function testKey(): Promise<TestKey> {
  const keys = await generatePackKeys();
  return { privateJwk: keys.privateJwk, trusted: await trustedKey(JSON.stringify(keys.publicJwk), "test key") };
}

/** Options for a pack copy. */
export interface PackOptions {
  /** Edits the manifest before signing. */
  manifest?: (m: PackManifest) => void;
  /** Extra files to write before signing (name → bytes). */
  files?: Record<string, Uint8Array>;
  /** Key that signs it (none: unsigned). */
  key?: TestKey;
}

/** sha256 hex of bytes. */
export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Copies the example pack into a temp folder, applies `options`, signs it; returns the folder. */
export async function packFolder(options: PackOptions = {}): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "rsk-pack-"));
  cpSync(EXAMPLE_PACK, dir, { recursive: true });
  for (const [name, bytes] of Object.entries(options.files ?? {})) writeFileSync(join(dir, name), bytes);
  const manifest = JSON.parse(readFileSync(join(dir, "kernels.json"), "utf8")) as PackManifest;
  options.manifest?.(manifest);
  const text = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, "kernels.json"), text);
  if (options.key) writeFileSync(join(dir, "kernels.json.jws"), await signManifest(text, options.key.privateJwk));
  return dir;
}

/** The files of a pack copy, as a server reads them. */
export async function packFiles(options: PackOptions = {}): Promise<PackFiles> {
  return readPackFolder(await packFolder(options));
}

/** Unsigned LEB128 / signed LEB128 (WASM integer immediates). */
function leb(n: number, signed = false): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n = signed ? n >> 7 : n >>> 7;
    const done = signed ? (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0) : n === 0;
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const vec = (items: number[][]) => [...leb(items.length), ...items.flat()];
const name = (s: string) => [...leb(s.length), ...new TextEncoder().encode(s)];

/**
 * A gate kernel (ABI 1) that finds nothing but spins `iterations` times whenever it gets text: it passes a
 * self-test on the empty text and overruns any budget on real traffic (2 M iterations: a few ms, under
 * a 1 ms budget's fuel); `abi` is what rsk_gate_abi() returns; `bogus` makes it claim a match it never writes on any
 * non-empty text; `forever` makes it never return on text (a loop with no exit).
 * Hand-assembled so the tests need no compiler.
 */
export function spinKernel(iterations = 2_000_000, abi = 1, bogus = false, forever = false): Uint8Array {
  const i32 = 0x7f, end = 0x0b;
  const constant = (v: number) => [0x41, ...leb(v, true), end];
  const scan = [
    ...leb(1), 1, i32, // one local: the counter
    0x20, 0, 0x41, 0, 0x47, 0x41, ...leb(iterations, true), 0x6c, 0x21, 3, // counter = (len != 0) * iterations
    0x02, 0x40, 0x03, 0x40, // block, loop
    0x20, 3, 0x45, 0x0d, 1, // if counter == 0: break
    ...(forever ? [] : [0x20, 3, 0x41, 1, 0x6b, 0x21, 3]), // counter -= 1 (never, when `forever`)
    0x0c, 0, 0x0b, 0x0b, // continue; end loop; end block
    0x41, ...leb(64, true), 0x20, 0, 0x36, 2, 0, // result[0] = len (nothing pending)
    ...(bogus ? [0x20, 0, 0x41, 0, 0x47] : [0x41, 0]), end, // bogus: claims a match (result[1..2] never written) on any text
  ];
  const bodies = [constant(abi), constant(1024), constant(4096), constant(64), scan].map((b, i) => (i < 4 ? [0, ...b] : b));
  const exports = [["memory", 2, 0], ["rsk_gate_abi", 0, 0], ["rsk_gate_input", 0, 1], ["rsk_gate_capacity", 0, 2], ["rsk_gate_result", 0, 3], ["rsk_gate_scan", 0, 4]] as const;
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, 0, 1, i32], [0x60, 3, i32, i32, i32, 1, i32]])),
    ...section(3, vec([[0], [0], [0], [0], [1]])),
    ...section(5, vec([[0x00, 1]])),
    ...section(7, vec(exports.map(([n, kind, index]) => [...name(n), kind, index]))),
    ...section(10, vec(bodies.map((b) => [...leb(b.length), ...b]))),
  ]);
}

/** A manifest edit that replaces the example's kernel with the spinning one (`bytes`) under a 1 ms budget. */
export function spinning(manifest: PackManifest, bytes = spinKernel()): void {
  manifest.kernels = [{ name: "spin", kind: "gate", file: "spin.wasm", sha256: sha256(bytes), maxLength: 16, budgetMs: 1, selfTest: [{ text: "", matches: [] }] }];
}

/** Kernel `i` of a manifest, which must be a gate kernel (the example pack's are). */
export function gateEntry(manifest: PackManifest, i = 0): Extract<PackKernelEntry, { kind: "gate" }> {
  const kernel = manifest.kernels[i]!;
  if (kernel.kind !== "gate") throw new Error(`kernel ${i} is a ${kernel.kind} kernel`);
  return kernel;
}
