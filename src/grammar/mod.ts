/** Grammar-constrained decoding: JSON Schema, GBNF and regex compiled to an automaton and per-token masks. */
export { DEAD, GrammarAutomaton } from "./automaton.ts";
export { DEFAULT_MASK_CACHE_BYTES, maskCacheBytes, setMaskCacheBudget } from "./budget.ts";
export { compileConstraint, type Constraint, type ConstraintOptions, type ConstraintSpec } from "./compile.ts";
export { DEFAULT_LIMITS, GrammarError, type GrammarLimits, GrammarLimitError } from "./errors.ts";
export { parseGbnf } from "./gbnf.ts";
export type { Grammar } from "./grammar.ts";
export { GrammarMatcher, type MaskStats, TokenMasks } from "./masks.ts";
export { regexGrammar } from "./regex.ts";
export { type ConstraintFields, GRAMMAR_WARNINGS_HEADER, requestConstraint, type ToolFields, toolConstraints } from "./request.ts";
export { type CompiledSchema, DEFAULT_MAX_WHITESPACE, jsonObjectGrammar, type SchemaOptions, schemaGrammar, SUPPORTED_FORMATS } from "./schema.ts";
export { checkedAgainst } from "./stream.ts";
export { TokenTrie, type VocabularyBytes } from "./trie.ts";
