/** `rsk/local` (servers: Bun, Deno): the llama.cpp backend, the sampler kernels (native, WASM, TS) and token masks. */
export { LocalBackend } from "../backends/local/backend.ts";
export * from "../backends/local/mod.ts";
export { kernels, KernelLoadError, selectKernels, type Kernels } from "../../ffi/mod.ts";
export { masksFor, prepareVocabulary } from "../grammar/vocabulary.ts";
