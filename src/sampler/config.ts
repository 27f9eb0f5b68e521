/**
 * The sampling parameters a request may set (llama.cpp / OpenAI names), with llama.cpp's defaults, parsed
 * with valibot so every problem comes back at once with its path.
 */
import * as v from "valibot";

const num = (min: number, max: number, fallback: number) =>
  v.optional(v.pipe(v.number(), v.finite(), v.minValue(min), v.maxValue(max)), fallback);
const int = (min: number, max: number, fallback: number) =>
  v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(min), v.maxValue(max)), fallback);

/** Sampler chain configuration; absent fields take llama.cpp's defaults. */
export const SamplingConfigSchema = v.object({
  /** <= 0 means greedy. */
  temperature: num(0, 100, 0.8),
  /** <= 0 disables top-k. */
  top_k: int(-1, 1 << 24, 40),
  /** 1 disables top-p. */
  top_p: num(0, 1, 0.95),
  /** 0 disables min-p. */
  min_p: num(0, 1, 0.05),
  /** 1 disables locally typical sampling. */
  typical_p: num(0, 1, 1),
  /** Minimum tokens every truncating stage keeps. */
  min_keep: int(0, 1 << 24, 0),
  /** 0 = off, 2 = Mirostat 2.0 (Mirostat 1 is not implemented). */
  mirostat: v.optional(v.picklist([0, 2], "mirostat must be 0 (off) or 2 (Mirostat 2.0)"), 0),
  /** Mirostat target surprise (bits). */
  mirostat_tau: num(0, 100, 5),
  /** Mirostat learning rate. */
  mirostat_eta: num(0, 10, 0.1),
  /** 1 = off. */
  repeat_penalty: v.optional(v.pipe(v.number(), v.finite(), v.gtValue(0), v.maxValue(10)), 1),
  /** Recent tokens the penalties look at (0 disables them). */
  repeat_last_n: int(0, 1 << 16, 64),
  /** Subtracted per occurrence in the window. */
  frequency_penalty: num(-2, 2, 0),
  /** Subtracted once if present in the window. */
  presence_penalty: num(-2, 2, 0),
  /** Token id (decimal string, as in OpenAI's API) → bias added to its logit; -100 or less bans it. */
  logit_bias: v.optional(
    v.pipe(
      v.record(v.pipe(v.string(), v.regex(/^\d{1,9}$/, "logit_bias keys are token ids")), v.pipe(v.number(), v.minValue(-Infinity), v.maxValue(100))),
      v.check((o) => Object.keys(o).length <= 4096, "at most 4096 logit_bias entries"),
    ),
    {},
  ),
  /** rsk extension: a sampler kernel of a loaded kernel pack, `pack/kernel`; absent: rsk's built-in kernels. */
  sampler_kernel: v.optional(v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9_-]{0,63}\/[a-z0-9_][a-z0-9_-]{0,63}$/, "sampler_kernel must be \"pack/kernel\" (a loaded kernel pack's sampler)"))),
  /** RNG seed; absent means a random one (then runs are not reproducible). */
  seed: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(0))),
});

/** A parsed configuration (every field present except possibly `seed`). */
export type SamplingConfig = v.InferOutput<typeof SamplingConfigSchema>;

/** Parse outcome: the config, or one message listing every issue with its path. */
export type SamplingConfigResult = { readonly ok: true; readonly config: SamplingConfig } | { readonly ok: false; readonly message: string };

/** Parses untrusted sampling fields (e.g. from a request body); `null` fields count as absent. */
export function parseSamplingConfig(input: Record<string, unknown>): SamplingConfigResult {
  const present = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== null && value !== undefined));
  const result = v.safeParse(SamplingConfigSchema, present);
  if (result.success) return { ok: true, config: result.output };
  const message = result.issues.map((issue) => `${v.getDotPath(issue) ?? "(root)"}: ${issue.message}`).join("; ");
  return { ok: false, message };
}
