/** The local (llama.cpp) backend's public surface, for the server and the plugin API. */
export { LlamaEngine, type GenerationRequest, type LlamaEngineOptions } from "./engine.ts";
export { DecodeError, InvalidGenerationError, PromptTooLongError } from "./errors.ts";
export type { DecodeLoopStats } from "./loop.ts";
export type { BatchedPick, GenerationEndReason, GenerationFinish, LocalGeneration, PickContext, PickToken } from "./sequence.ts";
export { LlamaLoadError } from "../../../ffi/llama/library.ts";
export type { ChatMessage, LlamaModel, VocabularyBytes } from "../../../ffi/llama/model.ts";
/** The default model when RSK_MODEL is unset: the generated pipeline fixture (built on demand if missing). */
export { ensureFixtureModel, FIXTURE_MODEL_PATH } from "../../../tests/fixture/model.ts";
