/** `rsk pack keygen | sign | verify`: make a signing key pair, sign a pack folder's manifest, check a pack as rsk loads it. */
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { JWK } from "jose";
import { GateKernelTable } from "../gates/kernel/table.ts";
import { readPackFolder, readTrustedKeys } from "./folder.ts";
import { MANIFEST_FILE, parseManifest, SIGNATURE_FILE } from "./manifest.ts";
import { PackError } from "./open.ts";
import { PackRegistry } from "./registry.ts";
import { generatePackKeys, signManifest } from "./signature.ts";

const USAGE = "usage: rsk pack keygen [--out <prefix>] | rsk pack sign <dir> --key <private.jwk> | rsk pack verify <dir> --pub <public.jwk>";

/** Writes `<prefix>.private.jwk` (mode 0600) and `<prefix>.public.jwk`. */
async function keygen(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { out: { type: "string" } }, strict: true });
  const prefix = values.out ?? "rsk-pack";
  const { privateJwk, publicJwk, kid } = await generatePackKeys();
  writeFileSync(`${prefix}.private.jwk`, `${JSON.stringify(privateJwk, null, 2)}\n`, { mode: 0o600 });
  chmodSync(`${prefix}.private.jwk`, 0o600);
  writeFileSync(`${prefix}.public.jwk`, `${JSON.stringify(publicJwk, null, 2)}\n`);
  console.log(`key ${kid}: ${prefix}.private.jwk (keep it secret: it signs packs) and ${prefix}.public.jwk (list it in RSK_PACK_KEYS)`);
}

/** Signs `<dir>/kernels.json` after checking it and every file's sha256, writing `<dir>/kernels.json.jws`. */
async function sign(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: { key: { type: "string" } }, strict: true, allowPositionals: true });
  const dir = positionals[0];
  if (!dir || !values.key) throw new Error(USAGE);
  const manifestBytes = new Uint8Array(readFileSync(join(dir, MANIFEST_FILE)));
  const manifest = parseManifest(manifestBytes);
  if (Array.isArray(manifest)) throw new PackError(dir, `invalid ${MANIFEST_FILE}:\n  ${manifest.join("\n  ")}`);
  const files = readPackFolder(dir);
  for (const kernel of manifest.kernels) {
    const bytes = await files.file(kernel.file);
    if (bytes === undefined) throw new PackError(manifest.id, `kernel ${kernel.name}: ${kernel.file} is missing`);
    const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>))].map((b) => b.toString(16).padStart(2, "0")).join("");
    if (digest !== kernel.sha256) throw new PackError(manifest.id, `kernel ${kernel.name}: ${kernel.file} has sha256 ${digest}, ${MANIFEST_FILE} says ${kernel.sha256}; refusing to sign`);
  }
  const jws = await signManifest(manifestBytes, JSON.parse(readFileSync(values.key, "utf8")) as JWK);
  writeFileSync(join(dir, SIGNATURE_FILE), `${jws}\n`);
  console.log(`signed ${manifest.id} ${manifest.version}: ${join(dir, SIGNATURE_FILE)}`);
}

/** Loads `<dir>` exactly as the server would (signature, ABI, hashes, instantiation, self-tests), without serving it. */
async function verify(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: { pub: { type: "string", multiple: true } }, strict: true, allowPositionals: true });
  const dir = positionals[0];
  if (!dir || !values.pub) throw new Error(USAGE);
  const registry = new PackRegistry(await readTrustedKeys(values.pub), {}, new GateKernelTable());
  const pack = await registry.install(readPackFolder(dir));
  const kernels = [...[...pack.gates.keys()].map((k) => `${k} (gate)`), ...[...pack.samplers.keys()].map((k) => `${k} (sampler)`)];
  console.log(`ok: ${pack.id} ${pack.version} signed by ${pack.signer}; every kernel passed its self-test: ${kernels.join(", ")}`);
}

/** Runs `rsk pack <sub> …`; resolves to the exit code (1 with the reason on stderr). */
export async function packCommand(sub: string | undefined, args: string[]): Promise<number> {
  try {
    if (sub === "keygen") await keygen(args);
    else if (sub === "sign") await sign(args);
    else if (sub === "verify") await verify(args);
    else throw new Error(USAGE);
    return 0;
  } catch (err) {
    console.error(`rsk pack ${sub ?? ""}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
