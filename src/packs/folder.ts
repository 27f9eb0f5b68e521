/** Packs from folders on a server: reading a pack folder, the configured keys, loading at start and hot swap on change. */
import { existsSync, type FSWatcher, readFileSync, statSync, watch } from "node:fs";
import { join } from "node:path";
import type { GateKernelObserver } from "../gates/kernel/kernel.ts";
import { MANIFEST_FILE, MAX_KERNEL_BYTES, MAX_MANIFEST_BYTES, SIGNATURE_FILE } from "./manifest.ts";
import { type PackFiles, PackError } from "./open.ts";
import { PackRegistry } from "./registry.ts";
import { type TrustedKey, trustedKey } from "./signature.ts";

/** Reads a file of at most `max` bytes (undefined: absent). */
function readBounded(path: string, max: number, pack: string): Uint8Array | undefined {
  if (!existsSync(path)) return undefined;
  const size = statSync(path).size;
  if (size > max) throw new PackError(pack, `${path} is larger than ${max} bytes`);
  return new Uint8Array(readFileSync(path));
}

/** The files of the pack in folder `dir`. */
export function readPackFolder(dir: string): PackFiles {
  const manifest = readBounded(join(dir, MANIFEST_FILE), MAX_MANIFEST_BYTES, dir);
  if (manifest === undefined) throw new PackError(dir, `no ${MANIFEST_FILE} in the folder`);
  const signature = readBounded(join(dir, SIGNATURE_FILE), 4096, dir);
  return {
    origin: dir,
    manifest,
    signature: signature && new TextDecoder().decode(signature),
    file: async (name) => readBounded(join(dir, name), MAX_KERNEL_BYTES, dir),
  };
}

/** Reads the trusted public keys (JWK files). */
export function readTrustedKeys(files: readonly string[]): Promise<TrustedKey[]> {
  return Promise.all(files.map((f) => trustedKey(readFileSync(f, "utf8"), f)));
}

/** What a server reports about packs. */
export type PackNote = (line: string, level?: "info" | "warn" | "error") => void;

/**
 * Loads every pack folder at start (`RSK_PACKS`, keys from `RSK_PACK_KEYS`) and re-installs a folder when it
 * changes. A pack refused at start stops the server (a policy naming it could not compile anyway); a refused
 * update is logged and the version in service stays.
 */
export async function servePacks(folders: readonly string[], keyFiles: readonly string[], note: PackNote, observer: GateKernelObserver = {}, watch = true): Promise<PackRegistry | undefined> {
  if (folders.length === 0) return undefined;
  if (keyFiles.length === 0) throw new Error("--packs / RSK_PACKS needs --pack-keys / RSK_PACK_KEYS: the public keys packs must be signed with");
  const registry = new PackRegistry(await readTrustedKeys(keyFiles), {
    ...observer,
    quarantined: (kernel, reason) => {
      note(`rsk: gate kernel ${kernel.label} quarantined: ${reason}; requests using it fail closed`, "error");
      observer.quarantined?.(kernel, reason);
    },
  });
  for (const dir of folders) {
    const pack = await registry.install(readPackFolder(dir));
    const kernels = [...[...pack.gates.keys()].map((k) => `${k} (gate)`), ...[...pack.samplers.keys()].map((k) => `${k} (sampler)`)];
    note(`rsk: kernel pack ${pack.id} ${pack.version} loaded from ${dir} (signed by ${pack.signer}; kernels: ${kernels.join(", ")})`);
    if (watch) watchFolder(dir, registry, note);
  }
  return registry;
}

/** Re-installs the pack in `dir` 200 ms after its files stop changing (a re-sign writes several files). */
function watchFolder(dir: string, registry: PackRegistry, note: PackNote): FSWatcher {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const watcher = watch(dir, () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      Promise.resolve().then(() => registry.install(readPackFolder(dir))).then(
        (pack) => note(`rsk: kernel pack ${pack.id} swapped to version ${pack.version} from ${dir}`),
        (err: Error) => note(`rsk: ${err.message}`, "error"),
      );
    }, 200);
  });
  watcher.on("error", (err: Error) => note(`rsk: kernel pack ${dir}: watching for changes failed: ${err.message}`, "error"));
  watcher.unref();
  return watcher;
}
