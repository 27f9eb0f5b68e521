/**
 * The tool-call syntaxes rsk knows, and which one a model's chat template uses, judged from the template text read
 * from the GGUF (`tokenizer.chat_template.tool_use` first, then `tokenizer.chat_template`). llama.cpp renders
 * prompts by recognising a template's family (no Jinja), so rsk recognises the tool syntax the same way: by the
 * markers the template writes.
 */
import type { ToolCallMarkers } from "../../grammar/tool-call.ts";

/** A template family's way of declaring tools, writing calls and returning results. */
export interface ToolCallSyntax extends ToolCallMarkers {
  /** Family name, for errors and the README. */
  readonly family: "hermes" | "llama3" | "mistral";
  /**
   * Text that, once written, makes the answer a call (the lazy grammar of `auto` holds from its first byte): a prefix
   * of the calls' text (`<tool_call>`, `[TOOL_CALLS]`, `{"name"`).
   */
  readonly trigger: string;
  /** Whether the family writes several calls in one turn (Llama 3.1/3.2 templates refuse more than one). */
  readonly parallel: boolean;
  /** The role a tool result is rendered with. */
  readonly resultRole: string;
  /** A tool result as its message content. */
  resultText(text: string): string;
  /**
   * The control tokens (by text) the family writes calls with. Real vocabularies have them as one special token
   * each, which llama.cpp renders as no text; the local backend renders these (and no other control token) as their
   * text, so the call grammar can allow them and the parser reads them.
   */
  readonly controlTokens: readonly string[];
  /** A control token the model may write before its calls without it being part of them (Llama 3.1's `<|python_tag|>`). */
  readonly lead?: string;
}

/** Hermes / Qwen ChatML: `<tool_call>\n{"name": …, "arguments": …}\n</tool_call>`, one block per call. */
export const HERMES: ToolCallSyntax = {
  family: "hermes",
  opener: "<tool_call>\n",
  separator: "\n</tool_call>\n<tool_call>\n",
  closer: "\n</tool_call>",
  argumentsKey: "arguments",
  trigger: "<tool_call>",
  parallel: true,
  resultRole: "tool",
  resultText: (text) => `<tool_response>\n${text}\n</tool_response>`,
  controlTokens: ["<tool_call>", "</tool_call>"],
};

/** Llama 3.1 / 3.2: the assistant turn is one bare `{"name": …, "parameters": …}`, or the same after a `<|python_tag|>` token. */
export const LLAMA3: ToolCallSyntax = {
  family: "llama3",
  opener: "",
  separator: "",
  closer: "",
  argumentsKey: "parameters",
  trigger: "{\"name\"",
  parallel: false,
  resultRole: "ipython",
  resultText: (text) => text,
  controlTokens: ["<|python_tag|>"],
  lead: "<|python_tag|>",
};

/** Mistral (v0.3 and later): `[TOOL_CALLS][{"name": …, "arguments": …}, …]`; results as `[TOOL_RESULTS]…[/TOOL_RESULTS]`. */
export const MISTRAL: ToolCallSyntax = {
  family: "mistral",
  opener: "[TOOL_CALLS][",
  separator: ", ",
  closer: "]",
  argumentsKey: "arguments",
  trigger: "[TOOL_CALLS]",
  parallel: true,
  resultRole: "user",
  resultText: (text) => `[TOOL_RESULTS]${text}[/TOOL_RESULTS]`,
  controlTokens: ["[TOOL_CALLS]"],
};

/** The GGUF keys a template is read from, the tool-use variant first. */
export const TEMPLATE_KEYS = ["tokenizer.chat_template.tool_use", "tokenizer.chat_template"] as const;

/** What the syntaxes are called in errors and docs. */
export const KNOWN_SYNTAXES = "Hermes/Qwen ChatML <tool_call>, Llama 3.1/3.2 JSON {\"name\", \"parameters\"}, Mistral [TOOL_CALLS]";

/**
 * The syntax a template writes calls in; undefined when it shows none rsk knows. A ChatML template without a tool
 * section (the fixture's) is taken to follow Hermes, the convention of ChatML models trained on tools.
 */
export function syntaxOfTemplate(template: string): ToolCallSyntax | undefined {
  if (template.includes("<tool_call>")) return HERMES;
  if (template.includes("[TOOL_CALLS]")) return MISTRAL;
  if (template.includes("<|start_header_id|>") && (template.includes("<|python_tag|>") || template.includes("ipython"))) return LLAMA3;
  if (template.includes("<|im_start|>")) return HERMES;
  return undefined;
}

/** The syntax of the first template (in TEMPLATE_KEYS order) that has one, with the key it came from. */
export function toolSyntaxOf(templates: ReadonlyMap<string, string>): { syntax: ToolCallSyntax; key: string } | undefined {
  for (const key of TEMPLATE_KEYS) {
    const template = templates.get(key);
    const syntax = template === undefined ? undefined : syntaxOfTemplate(template);
    if (syntax) return { syntax, key };
  }
  return undefined;
}
