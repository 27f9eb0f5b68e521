/** The one symbol table of librsk (mirrors kernels/include/rsk.h); the WASM exports use the same names. */
export const rskSymbols = {
  rsk_abi_version: { args: [], returns: "i32" },
  rsk_isa: { args: [], returns: "i32" },
  rsk_noop: { args: ["i32"], returns: "i32" },
  rsk_work_len: { args: ["u32", "u32"], returns: "u32" },
  rsk_sample: {
    args: ["buffer", "u32", "buffer", "u32", "buffer", "u32", "buffer", "u32", "buffer", "u32", "buffer", "u32"],
    returns: "i32",
  },
  rsk_sample_batch: {
    args: ["buffer", "u32", "u32", "u32", "buffer", "u32", "buffer", "u32", "buffer", "u32", "buffer", "u32", "buffer", "u32"],
    returns: "i32",
  },
  rsk_mask_apply: { args: ["buffer", "u32", "buffer", "u32"], returns: "i32" },
  rsk_mask_and: { args: ["buffer", "buffer", "buffer", "u32"], returns: "i32" },
  rsk_mask_or: { args: ["buffer", "buffer", "buffer", "u32"], returns: "i32" },
  rsk_mask_count: { args: ["buffer", "u32", "u32"], returns: "i32" },
  rsk_philox4x32: { args: ["buffer", "buffer", "buffer"], returns: "i32" },
  rsk_uniform: { args: ["u32", "u32", "f64"], returns: "f64" },
  rsk_trie_walk: {
    args: ["buffer", "u32", "buffer", "u32", "buffer", "u32", "buffer", "buffer", "u32", "buffer", "u32", "buffer", "u32"],
    returns: "i32",
  },
} as const;

/** The ABI version these bindings were written for (RSK_ABI_VERSION in rsk.h). */
export const RSK_ABI_VERSION = 1;
