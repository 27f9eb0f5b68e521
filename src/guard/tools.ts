/**
 * Tool calls as the output guard sees them: per (choice, call) the call's id and name, and its arguments as a JSON
 * stream whose string values pass the policy's output gates with the same bounded hold-back as text. The id and
 * name are released with the call's first released argument bytes; a call to a tool the request did not declare
 * is blocked before any of its bytes.
 */
import type { Finding, GateSet } from "../gates/mod.ts";
import { WIRE_ID } from "../server/wire.ts";
import type { ToolArgumentGates } from "./argument-rules.ts";
import { type JsonGateStep, JsonTextGate } from "./json-stream.ts";

/** Rule name reported when an upstream calls a tool the request did not declare. */
export const UNDECLARED_TOOL_RULE = "undeclared_tool";
/** Rule name reported for a call the policy's `tools.deny` (or a missing `tools.allow` entry) forbids. */
export const DENIED_TOOL_RULE = "tools";

/** One tool call's released piece: id, type and name on its first piece only. */
export interface ToolCallPiece {
  /** The call's index within its choice. */
  call: number;
  /** The call id, on the first piece. */
  id?: string;
  /** The function name, on the first piece. */
  name?: string;
  /** Released JSON text of the arguments. */
  arguments: string;
}

/** What one tool event (or the end of a call) yields. */
export interface ToolStep {
  /** Released piece, when there is something to release. */
  piece?: ToolCallPiece;
  /** Gate findings in the arguments. */
  findings: readonly Finding[];
  /** Set when a rule blocked (the call's name for an undeclared tool). */
  blocked?: { rule: string };
  /** Set when the upstream broke the protocol (malformed arguments, a changed id or name). */
  error?: string;
}

interface CallState {
  id?: string;
  name?: string;
  /** The arguments' gate, made at the first argument bytes (the name, and so the tool's argument rules, known). */
  gate?: JsonTextGate;
  announced: boolean;
}


/** The tool calls of one response. */
export class ToolCallGates {
  readonly #calls = new Map<number, Map<number, CallState>>();

  constructor(
    /** The policy's output gates. */
    private readonly gates: GateSet,
    /** Names of the tools the request declared. */
    private readonly declared: ReadonlySet<string>,
    /** The policy's tool lists and argument rules. */
    private readonly policy: {
      readonly allow?: ReadonlySet<string>;
      readonly deny: ReadonlySet<string>;
      readonly arguments?: ReadonlyMap<string, ToolArgumentGates>;
    } = { deny: new Set() },
  ) {}

  /** Choices with tool calls. */
  choices(): number[] {
    return [...this.#calls.keys()];
  }

  /** Calls a choice has open, in call order. */
  callsOf(choice: number): number[] {
    return [...(this.#calls.get(choice)?.keys() ?? [])].sort((a, b) => a - b);
  }

  /** Feeds one tool event of a choice. */
  push(choice: number, call: number, id: string | undefined, name: string | undefined, args: string | undefined): ToolStep {
    let calls = this.#calls.get(choice);
    if (!calls) this.#calls.set(choice, (calls = new Map()));
    let state = calls.get(call);
    if (!state) calls.set(call, (state = { announced: false }));
    if (id !== undefined) {
      if (!WIRE_ID.test(id)) return { findings: [], error: `tool call ${call} of choice ${choice} has an id that is not 1-128 letters, digits, _ . : or -` };
      if (state.id !== undefined && state.id !== id) return { findings: [], error: `tool call ${call} of choice ${choice} changed its id` };
      state.id = id;
    }
    if (name !== undefined) {
      if (state.name !== undefined && state.name !== name) return { findings: [], error: `tool call ${call} of choice ${choice} changed its name` };
      state.name = name;
      if (!this.declared.has(name)) return { findings: [], blocked: { rule: UNDECLARED_TOOL_RULE } };
      if (this.policy.deny.has(name) || (this.policy.allow && !this.policy.allow.has(name))) return { findings: [], blocked: { rule: DENIED_TOOL_RULE } };
    }
    if (args === undefined) return { findings: [] };
    if (state.name === undefined) return { findings: [], error: `tool call ${call} of choice ${choice} sent arguments before its name` };
    // A call with no argument characters is released with empty arguments, as some servers send.
    if (args === "") return { findings: [] };
    state.gate ??= new JsonTextGate(this.gates, this.policy.arguments?.get(state.name));
    return this.#released(choice, call, state, state.gate.push(args), false);
  }

  /** The response's end for one call: resolves what its arguments still hold. */
  end(choice: number, call: number): ToolStep {
    const state = this.#calls.get(choice)?.get(call)!;
    if (state.name === undefined) return { findings: [], error: `tool call ${call} of choice ${choice} never named its function` };
    if (!state.gate) return this.#released(choice, call, state, { text: "", findings: [] }, true);
    return this.#released(choice, call, state, state.gate.end(), true);
  }

  #released(choice: number, call: number, state: CallState, step: JsonGateStep, final: boolean): ToolStep {
    if (step.error) return { findings: step.findings, error: `tool call ${call} of choice ${choice} (${state.name}): ${step.error}` };
    if (step.blocked) return { findings: step.findings, blocked: { rule: step.blocked.rule } };
    if (!step.text && (state.announced || !final)) return { findings: step.findings };
    const piece: ToolCallPiece = { call, arguments: step.text };
    if (!state.announced) {
      state.announced = true;
      piece.id = state.id ?? `call_${choice}_${call}`;
      piece.name = state.name;
    }
    return { piece, findings: step.findings };
  }
}
