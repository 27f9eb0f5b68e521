/** A loaded GGUF model: vocabulary facts, tokenizer, detokenizer and chat template, all from llama.cpp. */
import { existsSync } from "node:fs";
import { cString, type NativePointer } from "../native.ts";
import { LlamaLoadError, openLlama, type LlamaLibrary } from "./library.ts";

/** One chat message as llama_chat_apply_template takes it. */
export interface ChatMessage {
  /** `system`, `user`, `assistant`, ... (passed through to the template). */
  readonly role: string;
  /** Message text. */
  readonly content: string;
}

/** Every token's bytes in one buffer: token t is `bytes.subarray(offsets[t], offsets[t + 1])`. */
export interface VocabularyBytes {
  /** All pieces concatenated (special tokens render as nothing, as they do in generated text). */
  readonly bytes: Uint8Array;
  /** n_vocab + 1 offsets into `bytes`. */
  readonly offsets: Uint32Array;
}

const encoder = new TextEncoder();

/** A GGUF model loaded by libllama on the CPU; free it with `close()`. */
export class LlamaModel {
  /** Vocabulary size: the length of every logits row. */
  readonly nVocab: number;
  /** Beginning-of-sequence token (-1 if none). */
  readonly bos: number;
  /** End-of-sequence token (-1 if none). */
  readonly eos: number;
  /** Context length the model was trained with. */
  readonly nCtxTrain: number;
  /** Whether tokenizing a prompt should prepend BOS. */
  readonly addBos: boolean;
  /** Whether the GGUF carries a chat template. */
  readonly hasChatTemplate: boolean;
  private pieceBuffer = new Uint8Array(256);
  private pointer: NativePointer | null;
  private vocabularyCache: VocabularyBytes | undefined;

  private constructor(
    /** The shim library this model lives in. */
    readonly library: LlamaLibrary,
    pointer: NativePointer,
    /** The GGUF file it was loaded from. */
    readonly path: string,
  ) {
    this.pointer = pointer;
    const info = new Int32Array(8);
    library.native.rsk_llama_model_info(pointer, info, info.length);
    [this.nVocab, this.bos, this.eos, this.nCtxTrain] = [info[0]!, info[1]!, info[2]!, info[3]!];
    this.addBos = info[4] === 1;
    this.hasChatTemplate = info[7] === 1;
  }

  /** Loads `path`; a missing, corrupt or unsupported file rejects with a LlamaLoadError quoting llama.cpp. */
  static async load(path: string): Promise<LlamaModel> {
    const library = await openLlama();
    if (!existsSync(path)) throw new LlamaLoadError("model_load_failed", `model file not found: ${path}`);
    const handle = library.native.rsk_llama_model_load(cString(path), 0);
    if (handle === null) {
      const reason = library.lastError() || "llama.cpp gave no reason";
      throw new LlamaLoadError("model_load_failed", `cannot load GGUF model ${path}: ${reason}`);
    }
    return new LlamaModel(library, handle, path);
  }

  /** Native handle for the shim; throws once closed, since a freed handle would crash the whole process. */
  get handle(): NativePointer {
    if (this.pointer === null) throw new Error(`model ${this.path} is closed`);
    return this.pointer;
  }

  /** Tokens of `text`; `special` lets control-token text (e.g. `<|im_end|>`) become control tokens. */
  tokenize(text: string, options: { addSpecial?: boolean; special?: boolean } = {}): Int32Array {
    const bytes = encoder.encode(text);
    const addSpecial = options.addSpecial ? 1 : 0;
    const special = options.special ? 1 : 0;
    let tokens = new Int32Array(bytes.length + 8);
    let n = this.library.native.rsk_llama_tokenize(this.handle, bytes, bytes.length, tokens, tokens.length, addSpecial, special);
    if (n < 0) {
      tokens = new Int32Array(-n);
      n = this.library.native.rsk_llama_tokenize(this.handle, bytes, bytes.length, tokens, tokens.length, addSpecial, special);
    }
    if (n < 0) throw new Error(`llama_tokenize failed (${n})`);
    return tokens.subarray(0, n);
  }

  /** The bytes of one token (a copy; may be part of a multi-byte character). */
  tokenBytes(token: number, special = false): Uint8Array {
    let n = this.library.native.rsk_llama_token_to_piece(this.handle, token, this.pieceBuffer, this.pieceBuffer.length, special ? 1 : 0);
    if (n < 0) {
      this.pieceBuffer = new Uint8Array(-n);
      n = this.library.native.rsk_llama_token_to_piece(this.handle, token, this.pieceBuffer, this.pieceBuffer.length, special ? 1 : 0);
    }
    return this.pieceBuffer.slice(0, Math.max(n, 0));
  }

  /** All token bytes at once (built on first use, ~1 MB for 100k tokens): for detokenizing and grammar tries. */
  vocabularyBytes(): VocabularyBytes {
    if (this.vocabularyCache) return this.vocabularyCache;
    const pieces: Uint8Array[] = [];
    const offsets = new Uint32Array(this.nVocab + 1);
    let total = 0;
    for (let t = 0; t < this.nVocab; t++) {
      const piece = this.tokenBytes(t);
      pieces.push(piece);
      total += piece.length;
      offsets[t + 1] = total;
    }
    const bytes = new Uint8Array(total);
    pieces.forEach((piece, t) => bytes.set(piece, offsets[t]!));
    this.vocabularyCache = { bytes, offsets };
    return this.vocabularyCache;
  }

  /** Whether `token` ends generation (EOS, EOT, `<|im_end|>`...). */
  isEndOfGeneration(token: number): boolean {
    return this.library.native.rsk_llama_is_eog(this.handle, token) === 1;
  }

  /** Renders messages with the model's chat template (or `template`), ending with the assistant's turn. */
  applyChatTemplate(messages: readonly ChatMessage[], options: { template?: string; addAssistant?: boolean } = {}): string {
    const packed = encoder.encode(messages.map((m) => `${m.role}\0${m.content}\0`).join(""));
    const template = cString(options.template ?? "");
    const addAssistant = options.addAssistant === false ? 0 : 1;
    let out = new Uint8Array(packed.length * 2 + 256);
    let n = this.library.native.rsk_llama_chat_apply(this.handle, template, packed, messages.length, addAssistant, out, out.length);
    if (n > out.length) {
      out = new Uint8Array(n);
      n = this.library.native.rsk_llama_chat_apply(this.handle, template, packed, messages.length, addAssistant, out, out.length);
    }
    if (n < 0) throw new Error(`cannot apply chat template: ${this.library.lastError()}`);
    return new TextDecoder().decode(out.subarray(0, n));
  }

  /**
   * Chat prompt tokens where only the template's own text may produce control tokens: message contents are
   * tokenized as plain text, so a user typing `<|im_end|>` cannot forge a turn boundary.
   */
  tokenizeChat(messages: readonly ChatMessage[], options: { template?: string } = {}): Int32Array {
    const marks = messages.map((_, i) => `\u0001rsk-message-${i}\u0001`);
    const rendered = this.applyChatTemplate(
      messages.map((m, i) => ({ role: m.role, content: marks[i]! })),
      options,
    );
    const out: number[] = this.addBos && this.bos >= 0 ? [this.bos] : [];
    let rest = rendered;
    messages.forEach((message, i) => {
      const at = rest.indexOf(marks[i]!);
      if (at < 0) throw new Error(`the chat template dropped message ${i}; cannot tokenize it safely`);
      out.push(...this.tokenize(rest.slice(0, at), { special: true }), ...this.tokenize(message.content));
      rest = rest.slice(at + marks[i]!.length);
    });
    out.push(...this.tokenize(rest, { special: true }));
    return Int32Array.from(out);
  }

  /** Frees the weights; contexts created from this model must be closed first. */
  close(): void {
    if (this.pointer === null) return;
    this.library.native.rsk_llama_model_free(this.pointer);
    this.pointer = null;
  }
}
