/** A kernel pack's manifest, `kernels.json`: its gate and sampler kernels and how each may behave (valibot schema). */
import * as v from "valibot";
import { GATE_ABI_VERSION } from "../gates/kernel/abi.ts";
import { MAX_REGEX_MAX_LENGTH } from "../gates/rule.ts";

/** The pack ABI this rsk loads (the gate kernel ABI of src/gates/kernel/abi.ts). */
export const PACK_ABI_VERSION = GATE_ABI_VERSION;
/** The manifest's file name in a pack folder. */
export const MANIFEST_FILE = "kernels.json";
/** The detached Ed25519 JWS over the manifest's exact bytes. */
export const SIGNATURE_FILE = "kernels.json.jws";
/** Largest manifest read. */
export const MAX_MANIFEST_BYTES = 1 << 20;
/** Largest kernel file read. */
export const MAX_KERNEL_BYTES = 16 << 20;

const int = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

/** One golden vector of a gate kernel: a text and every match it must report (UTF-16 offsets, in order). */
const GateVector = v.strictObject({
  text: v.pipe(v.string(), v.maxLength(4096)),
  matches: v.pipe(v.array(v.tuple([int(0, 4096), int(1, 4096)])), v.maxLength(256)),
});

const GateKernelEntry = v.strictObject({
  name: v.pipe(v.string(), v.regex(/^[a-z0-9_][a-z0-9_-]{0,63}$/, "must be 1–64 lowercase letters, digits, _ or -")),
  kind: v.literal("gate"),
  file: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\.wasm$/, "must be a .wasm file name in the pack folder (no path)")),
  sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits")),
  maxLength: int(1, MAX_REGEX_MAX_LENGTH),
  budgetMs: v.pipe(v.number(), v.gtValue(0), v.maxValue(1000)),
  selfTest: v.pipe(v.array(GateVector), v.minLength(1, "needs at least one golden vector"), v.maxLength(256)),
});

const SamplerParams = v.strictObject({
  temperature: v.optional(v.number()), topK: v.optional(int(0, 1 << 24)), topP: v.optional(v.number()), minP: v.optional(v.number()),
  typicalP: v.optional(v.number()), minKeep: v.optional(int(1, 1 << 24)), mirostat: v.optional(v.picklist([0, 2])),
  tau: v.optional(v.number()), eta: v.optional(v.number()), mu: v.optional(v.number()), repeatPenalty: v.optional(v.number()),
  frequencyPenalty: v.optional(v.number()), presencePenalty: v.optional(v.number()),
  seed: v.optional(int(0, Number.MAX_SAFE_INTEGER)), step: v.optional(int(0, Number.MAX_SAFE_INTEGER)),
});

/** One golden vector of a sampler kernel: logits, the parameters that differ from neutral, and the token drawn. */
const SamplerVector = v.strictObject({
  logits: v.pipe(v.array(v.pipe(v.number(), v.finite())), v.minLength(1), v.maxLength(4096)),
  params: v.optional(SamplerParams, {}),
  token: int(0, 4095),
});

const SamplerKernelEntry = v.strictObject({
  name: GateKernelEntry.entries.name,
  kind: v.literal("sampler"),
  file: GateKernelEntry.entries.file,
  sha256: GateKernelEntry.entries.sha256,
  budgetMs: GateKernelEntry.entries.budgetMs,
  selfTest: v.pipe(v.array(SamplerVector), v.minLength(1, "needs at least one golden vector"), v.maxLength(256)),
});

/** The manifest schema. */
export const PackManifestSchema = v.strictObject({
  id: v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "must be 1–64 lowercase letters, digits, _ or -")),
  version: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  abi: v.pipe(v.number(), v.integer()),
  kernels: v.pipe(v.array(v.variant("kind", [GateKernelEntry, SamplerKernelEntry])), v.minLength(1), v.maxLength(64)),
});

/** A validated manifest. */
export type PackManifest = v.InferOutput<typeof PackManifestSchema>;
/** One kernel entry of a manifest. */
export type PackKernelEntry = PackManifest["kernels"][number];
/** One golden vector of a gate kernel. */
export type GateVectorSpec = v.InferOutput<typeof GateVector>;
/** One golden vector of a sampler kernel. */
export type SamplerVectorSpec = v.InferOutput<typeof SamplerVector>;

/** Parses manifest bytes; returns the manifest or every problem as `$.path: message`. */
export function parseManifest(bytes: Uint8Array): PackManifest | string[] {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    return [`${MANIFEST_FILE} is not valid UTF-8 JSON: ${(err as Error).message}`];
  }
  const parsed = v.safeParse(PackManifestSchema, json);
  if (!parsed.success) return parsed.issues.map((i) => `${MANIFEST_FILE}: $.${v.getDotPath(i) ?? ""}: ${i.message}`);
  const problems: string[] = [];
  const names = new Set<string>();
  parsed.output.kernels.forEach((k, i) => {
    if (names.has(k.name)) problems.push(`${MANIFEST_FILE}: $.kernels.${i}.name: duplicate kernel name "${k.name}"`);
    names.add(k.name);
  });
  return problems.length > 0 ? problems : parsed.output;
}
