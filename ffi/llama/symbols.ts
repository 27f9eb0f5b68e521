/** The symbol table of `librsk_llama.so` (kernels/llama/rsk_llama.h): buffers, i32/u32/f32 and opaque handles only. */
export const llamaSymbols = {
  rsk_llama_open: { args: ["buffer", "i32"], returns: "i32" },
  rsk_llama_last_error: { args: ["buffer", "i32"], returns: "i32" },
  rsk_llama_model_load: { args: ["buffer", "i32"], returns: "pointer" },
  rsk_llama_model_free: { args: ["pointer"], returns: "void" },
  rsk_llama_model_info: { args: ["pointer", "buffer", "i32"], returns: "i32" },
  rsk_llama_is_eog: { args: ["pointer", "i32"], returns: "i32" },
  rsk_llama_tokenize: { args: ["pointer", "buffer", "i32", "buffer", "i32", "i32", "i32"], returns: "i32" },
  rsk_llama_token_to_piece: { args: ["pointer", "i32", "buffer", "i32", "i32"], returns: "i32" },
  rsk_llama_chat_apply: { args: ["pointer", "buffer", "buffer", "i32", "i32", "buffer", "i32"], returns: "i32" },
  rsk_llama_context_new: { args: ["pointer", "i32", "i32", "i32", "i32"], returns: "pointer" },
  rsk_llama_context_free: { args: ["pointer"], returns: "void" },
  rsk_llama_context_info: { args: ["pointer", "buffer", "i32"], returns: "i32" },
  rsk_llama_decode: { args: ["pointer", "buffer", "buffer", "buffer", "buffer", "i32"], returns: "i32" },
  rsk_llama_decode_begin: { args: ["pointer", "buffer", "buffer", "buffer", "buffer", "i32"], returns: "i32" },
  rsk_llama_decode_poll: { args: ["pointer"], returns: "i32" },
  rsk_llama_decode_running: { args: ["pointer"], returns: "i32" },
  rsk_llama_logits: { args: ["pointer"], returns: "pointer" },
  rsk_llama_logits_stable: { args: ["pointer"], returns: "i32" },
  rsk_llama_seq_rm: { args: ["pointer", "i32"], returns: "i32" },
  rsk_llama_sampler_new: { args: ["i32", "buffer", "i32", "u32", "i32"], returns: "pointer" },
  rsk_llama_sampler_sample: { args: ["pointer", "buffer", "i32"], returns: "i32" },
  rsk_llama_sampler_free: { args: ["pointer"], returns: "void" },
  rsk_llama_grammar_new: { args: ["pointer", "buffer", "buffer"], returns: "pointer" },
  rsk_llama_grammar_apply: { args: ["pointer", "buffer", "i32", "buffer"], returns: "i32" },
  rsk_llama_sampler_accept: { args: ["pointer", "i32"], returns: "void" },
} as const;

/** The shim's symbol table type, for `NativeLibrary<LlamaSymbols>`. */
export type LlamaSymbols = typeof llamaSymbols;
