/**
 * The grammar of a local model's tool calls: `opener {"name": <a declared tool>, "arguments": <its parameters>} closer`,
 * with (parallel calls) more call objects joined by a separator before the closer. The call object is compiled from
 * JSON Schema like any response format (name first: objects keep their listed order), then wrapped with the chat
 * template's literal text, so a call's arguments are valid against its tool's `parameters` by construction. One
 * shape covers the known syntaxes: ChatML's `<tool_call>{…}</tool_call>` (the separator closes one call and opens
 * the next), Mistral's `[TOOL_CALLS][{…}, {…}]`, Llama 3's bare `{"name": …, "parameters": …}`.
 */
import { GrammarAutomaton } from "./automaton.ts";
import type { Constraint } from "./compile.ts";
import { END, type Grammar } from "./grammar.ts";
import { schemaGrammar } from "./schema.ts";

/** One tool a call may name. */
export interface CallableTool {
  /** The function name. */
  readonly name: string;
  /** Its parameters schema (an object schema; absent: any object). */
  readonly parameters?: Record<string, unknown>;
}

/** How a chat template writes its calls. */
export interface ToolCallMarkers {
  /** Text before the first call, e.g. `<tool_call>` or `[TOOL_CALLS][` (may be empty). */
  readonly opener: string;
  /** Text after the last call, e.g. `</tool_call>` or `]` (may be empty). */
  readonly closer: string;
  /** Text between parallel calls, e.g. `</tool_call>\n<tool_call>` or `, `. */
  readonly separator: string;
  /** The call object's key for the arguments (Llama 3 says `parameters`). */
  readonly argumentsKey: "arguments" | "parameters";
}

const CACHE_SIZE = 64;
const cache = new Map<string, Constraint>();

/** The compiled call grammar for `tools` (cached by tools, markers and `parallel`); throws GrammarError naming `path`. */
export function toolCallConstraint(tools: readonly CallableTool[], markers: ToolCallMarkers, parallel: boolean, path = "tools"): Constraint {
  const key = JSON.stringify([tools, markers, parallel]);
  const known = cache.get(key);
  if (known && known.automaton.states < known.automaton.grammar.limits.maxStates / 2) return known;
  const t0 = performance.now();
  const calls = tools.map((t) => ({
    type: "object",
    properties: { name: { const: t.name }, [markers.argumentsKey]: { ...(t.parameters ?? {}), type: "object" } },
    required: ["name", markers.argumentsKey],
    additionalProperties: false,
  }));
  const { grammar, warnings } = schemaGrammar(calls.length === 1 ? calls[0] : { anyOf: calls }, { path });
  const constraint: Constraint = { automaton: new GrammarAutomaton(wrapped(grammar, markers, parallel)), warnings, compileMs: performance.now() - t0 };
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(key, constraint);
  return constraint;
}

/** `grammar` between the opener and the closer; with `parallel`, one or more call objects joined by the separator. */
function wrapped(grammar: Grammar, markers: ToolCallMarkers, parallel: boolean): Grammar {
  const sets = [...grammar.sets];
  const setOf = new Map<number, number>();
  const literal = (text: string): number[] =>
    [...new TextEncoder().encode(text)].map((byte) => {
      let id = setOf.get(byte);
      if (id === undefined) {
        id = sets.length / 8;
        const words = new Array<number>(8).fill(0);
        words[byte >> 5] = (1 << (byte & 31)) >>> 0;
        sets.push(...words);
        setOf.set(byte, id);
      }
      return id;
    });
  const elems = [...grammar.elems];
  const alt = (items: number[]): Int32Array => {
    const start = elems.length;
    elems.push(...items, END);
    return Int32Array.of(start);
  };
  const ref = (rule: number) => -2 - rule;
  const calls = grammar.ruleAlts.length;
  const ruleAlts = [...grammar.ruleAlts];
  const ruleNames = [...grammar.ruleNames];
  let body = grammar.root;
  if (parallel) {
    // calls := call | call separator calls
    body = calls;
    const one = alt([ref(grammar.root)]);
    const more = alt([ref(grammar.root), ...literal(markers.separator), ref(calls)]);
    ruleAlts.push(Int32Array.of(one[0]!, more[0]!));
    ruleNames.push("tool-calls");
  }
  const root = ruleAlts.length;
  ruleAlts.push(alt([...literal(markers.opener), ref(body), ...literal(markers.closer)]));
  ruleNames.push("tool-call-block");
  // Rules, sets and elements are only appended, so the JSON string rule and the shaped-string rules keep their ids.
  return { elems: Int32Array.from(elems), sets: Uint32Array.from(sets), ruleAlts, ruleNames, root, limits: grammar.limits, jsonChar: grammar.jsonChar, shaped: grammar.shaped };
}
