/** Sampler stage of the spine: config parsing and the per-sequence chain over the kernels. */
export { SamplerChain, type SampledToken, type SamplerCheckFailure, type SamplerConfigError } from "./chain.ts";
export { parseSamplingConfig, SamplingConfigSchema, type SamplingConfig, type SamplingConfigResult } from "./config.ts";
