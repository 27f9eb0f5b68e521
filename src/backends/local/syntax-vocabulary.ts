/**
 * The vocabulary the local backend decodes and masks with: llama.cpp's pieces (control tokens render as no text),
 * except the control tokens the chat template's tool syntax writes calls with (`[TOOL_CALLS]`, `<|python_tag|>`,
 * Qwen's `<tool_call>`), which render as their text. The grammar masks over token bytes can then allow exactly that
 * token where the call grammar expects its opener, and the tool-call parser reads it; the same text spelled out with
 * ordinary tokens stays allowed too. Every other control token keeps no text, so a model cannot write text through
 * one (`[INST]`, `<|start_header_id|>` stay invisible).
 */
import type { LlamaModel, VocabularyBytes } from "../../../ffi/llama/model.ts";
import { GgufError, readGgufStrings } from "./gguf-meta.ts";
import { KNOWN_SYNTAXES, TEMPLATE_KEYS, type ToolCallSyntax, toolSyntaxOf } from "./tool-syntax.ts";

/** The tool-call syntax of the GGUF at `path`, read from its chat templates; a string: why it has none rsk knows. */
export function modelToolSyntax(path: string, id: string): ToolCallSyntax | string {
  try {
    const templates = readGgufStrings(path, TEMPLATE_KEYS, id);
    const found = toolSyntaxOf(templates);
    if (found) return found.syntax;
    return templates.size === 0
      ? `${id} has no chat template (GGUF metadata ${TEMPLATE_KEYS.join(" and ")} absent), so no tool-call syntax`
      : `the chat template of ${id} (GGUF ${[...templates.keys()].join(" and ")}) has no tool-call syntax rsk knows (${KNOWN_SYNTAXES})`;
  } catch (err) {
    if (!(err instanceof GgufError)) throw err;
    return `the chat template of ${id} cannot be read: ${err.message}`;
  }
}

const decoder = new TextDecoder();

/**
 * The syntax's tokens this model has as one token (control or user-defined in real vocabularies): text → token id.
 * A text the model only spells with several ordinary tokens is absent (the masks then follow its spelling alone).
 */
export function syntaxTokens(model: LlamaModel, syntax: ToolCallSyntax): Map<string, number> {
  const found = new Map<string, number>();
  for (const text of syntax.controlTokens) {
    const ids = model.tokenize(text, { addSpecial: false, special: true });
    if (ids.length !== 1) continue;
    if (decoder.decode(model.tokenBytes(ids[0]!, true)) === text) found.set(text, ids[0]!);
  }
  return found;
}

/**
 * `model.vocabularyBytes()` with each of `tokens` that llama.cpp renders as nothing rendered as its text; the very
 * same object when there is none (grammar masks are cached per vocabulary object).
 */
export function syntaxVocabulary(model: LlamaModel, tokens: ReadonlyMap<string, number>): VocabularyBytes {
  const base = model.vocabularyBytes();
  const rendered = new Map<number, Uint8Array>();
  const encoder = new TextEncoder();
  for (const [text, id] of tokens) if (base.offsets[id] === base.offsets[id + 1]) rendered.set(id, encoder.encode(text));
  if (rendered.size === 0) return base;
  let added = 0;
  for (const piece of rendered.values()) added += piece.length;
  const bytes = new Uint8Array(base.bytes.length + added);
  const offsets = new Uint32Array(base.offsets.length);
  // Copied in runs between the rendered tokens (a token-by-token rebuild of 100k pieces costs ~20 ms).
  let shift = 0, from = 0;
  for (const id of [...rendered.keys()].sort((x, y) => x - y)) {
    bytes.set(base.bytes.subarray(base.offsets[from]!, base.offsets[id]!), base.offsets[from]! + shift);
    for (let t = from; t < id; t++) offsets[t + 1] = base.offsets[t + 1]! + shift;
    const piece = rendered.get(id)!;
    bytes.set(piece, base.offsets[id]! + shift);
    shift += piece.length;
    offsets[id + 1] = base.offsets[id + 1]! + shift;
    from = id + 1;
  }
  bytes.set(base.bytes.subarray(base.offsets[from]!), base.offsets[from]! + shift);
  for (let t = from; t + 1 < base.offsets.length; t++) offsets[t + 1] = base.offsets[t + 1]! + shift;
  return { bytes, offsets };
}
