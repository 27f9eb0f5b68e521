/** Opening a pack: signature first, then the manifest, its ABI and every file's sha256; nothing runs before all pass. */
import { MANIFEST_FILE, MAX_KERNEL_BYTES, PACK_ABI_VERSION, type PackManifest, parseManifest, SIGNATURE_FILE } from "./manifest.ts";
import { meterLoops } from "./fuel.ts";
import { type TrustedKey, verifyManifest } from "./signature.ts";

/** A refused pack: the message names the pack (its id, or where it came from) and the reason. */
export class PackError extends Error {
  constructor(
    /** Pack id, or its origin when the manifest could not be read. */
    readonly pack: string,
    /** Why it was refused. */
    readonly reason: string,
  ) {
    super(`kernel pack ${pack}: ${reason}`);
    this.name = "PackError";
  }
}

/** A pack's bytes as a host reads them (a folder on a server, bundled bytes on an edge host). */
export interface PackFiles {
  /** Where the pack came from, for messages (a folder path). */
  readonly origin: string;
  /** The manifest's exact bytes (the signature covers these). */
  readonly manifest: Uint8Array;
  /** The detached JWS text (undefined: the pack is unsigned). */
  readonly signature: string | undefined;
  /** A kernel file's bytes (undefined: missing); called only for files the verified manifest names. */
  file(name: string): Promise<Uint8Array | undefined>;
}

/** A pack whose signature, ABI and hashes all checked out, its modules metered and compiled (not yet instantiated or tested). */
export interface VerifiedPack {
  /** The manifest. */
  readonly manifest: PackManifest;
  /** Where it came from. */
  readonly origin: string;
  /** kid of the trusted key that signed it. */
  readonly signer: string;
  /** Compiled modules by kernel name, every loop metered (they export FUEL_EXPORT). */
  readonly modules: ReadonlyMap<string, WebAssembly.Module>;
}

/** Lowercase hex sha256 (Web Crypto). */
async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Verifies and compiles a pack; throws PackError naming the pack and the first reason it is refused. */
export async function openPack(files: PackFiles, trusted: readonly TrustedKey[]): Promise<VerifiedPack> {
  if (files.signature === undefined) throw new PackError(files.origin, `unsigned (no ${SIGNATURE_FILE}); sign it with \`rsk pack sign\``);
  if (trusted.length === 0) throw new PackError(files.origin, "no trusted pack keys are configured (RSK_PACK_KEYS)");
  let signer: string;
  try {
    signer = await verifyManifest(files.manifest, files.signature, trusted);
  } catch (err) {
    throw new PackError(files.origin, `bad signature: ${(err as Error).message}`);
  }
  const manifest = parseManifest(files.manifest);
  if (Array.isArray(manifest)) throw new PackError(files.origin, `invalid ${MANIFEST_FILE}:\n  ${manifest.join("\n  ")}`);
  const id = manifest.id;
  if (manifest.abi !== PACK_ABI_VERSION) throw new PackError(id, `ABI mismatch: the pack is built for ABI ${manifest.abi}, this rsk loads ABI ${PACK_ABI_VERSION}`);
  const modules = new Map<string, WebAssembly.Module>();
  for (const kernel of manifest.kernels) {
    const bytes = await files.file(kernel.file);
    if (bytes === undefined) throw new PackError(id, `kernel ${kernel.name}: ${kernel.file} is missing`);
    if (bytes.length > MAX_KERNEL_BYTES) throw new PackError(id, `kernel ${kernel.name}: ${kernel.file} is larger than ${MAX_KERNEL_BYTES} bytes`);
    const actual = await sha256(bytes);
    if (actual !== kernel.sha256) throw new PackError(id, `kernel ${kernel.name}: hash mismatch: ${kernel.file} has sha256 ${actual}, the signed manifest says ${kernel.sha256}`);
    // Metered (src/packs/fuel.ts) after the hash check: the signed bytes are the kernel's, the loop meter is rsk's.
    try {
      modules.set(kernel.name, await WebAssembly.compile(meterLoops(bytes)));
    } catch (err) {
      throw new PackError(id, `kernel ${kernel.name}: ${kernel.file} is not valid WebAssembly: ${(err as Error).message}`);
    }
  }
  return { manifest, origin: files.origin, signer, modules };
}
