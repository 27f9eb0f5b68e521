/**
 * The grammar check between a backend and the output guard: every choice's text is run through the constraint's
 * automaton byte by byte. Text up to the first byte that leaves the grammar passes on; that byte and everything
 * after it never do, and the response ends with an error naming the choice and byte offset (502: the backend, not
 * the client, broke the contract). A choice that finishes with `stop` before the grammar accepts fails the same way.
 */
import type { BackendEvent } from "../backends/types.ts";
import { ApiError } from "../server/errors.ts";
import { DEAD } from "./automaton.ts";
import type { Constraint } from "./compile.ts";
import { GrammarError } from "./errors.ts";

const encoder = new TextEncoder();

/** Per-choice parser position. */
interface ChoiceState {
  state: number;
  bytes: number;
  finished?: boolean;
}

/**
 * Passes events through, cutting the text at the first byte the constraint refuses and failing there; a strict
 * tool's calls are held to their `parameters` the same way (`tools`: constraints by tool name).
 */
export async function* checkedAgainst(
  events: AsyncIterable<BackendEvent>,
  constraint: Constraint | undefined,
  tools: ReadonlyMap<string, Constraint> = new Map(),
): AsyncIterable<BackendEvent> {
  if (tools.size > 0) events = toolsCheckedAgainst(events, tools);
  if (!constraint) return yield* events;
  const { automaton } = constraint;
  const choices = new Map<number, ChoiceState>();
  const at = (choice: number): ChoiceState => {
    let c = choices.get(choice);
    if (!c) choices.set(choice, (c = { state: automaton.start, bytes: 0 }));
    return c;
  };
  for await (const event of events) {
    // The constraint is on the answer: reasoning and refusals pass on to the guard unchecked by the grammar.
    if (event.type === "text" && (event.channel ?? "content") === "content") {
      const c = at(event.choice);
      const stop = feed(automaton, c, event.text);
      if (stop) {
        if (stop.prefix) yield { type: "text", choice: event.choice, text: stop.prefix };
        throw violation(stop.bounds ? `the output grew past the grammar's bounds (${stop.bounds})` : "the output left the grammar", event.choice, stop.offset);
      }
      yield event;
    } else if (event.type === "finish") {
      const c = at(event.choice);
      c.finished = true;
      if (event.reason === "stop" && !automaton.accepting(c.state)) throw violation("the output ended before the grammar was complete", event.choice, c.bytes);
      yield event;
    } else yield event;
  }
  // A choice the backend never finished is released as `stop` (OutputGuard.drain): it must be complete too.
  for (const [choice, c] of choices) {
    if (!c.finished && !automaton.accepting(c.state)) throw violation("the output ended before the grammar was complete", choice, c.bytes);
  }
}

/** Per call: the tool's automaton and the parser position in its arguments. */
interface CallState {
  name: string;
  constraint: Constraint;
  state: number;
  bytes: number;
}

/** Strict tools' arguments, byte by byte against their schemas; the first refused byte and all after it never pass. */
async function* toolsCheckedAgainst(events: AsyncIterable<BackendEvent>, tools: ReadonlyMap<string, Constraint>): AsyncIterable<BackendEvent> {
  const calls = new Map<string, CallState | null>();
  const refused = (what: string, c: CallState, call: number, choice: number, offset: number) =>
    new ApiError(502, `tool call ${call} (${c.name}) of choice ${choice}: ${what} at byte ${offset} of its arguments; nothing from that byte on was sent`, {
      type: "server_error",
      code: "tool_arguments_violation",
    });
  for await (const event of events) {
    if (event.type !== "tool") {
      yield event;
      continue;
    }
    const key = `${event.choice}:${event.call}`;
    let c = calls.get(key);
    if (c === undefined && event.name !== undefined) {
      const constraint = tools.get(event.name);
      c = constraint ? { name: event.name, constraint, state: constraint.automaton.start, bytes: 0 } : null;
      calls.set(key, c);
    }
    if (!c || !event.arguments) {
      yield event;
      continue;
    }
    const stop = feed(c.constraint.automaton, c, event.arguments);
    if (stop) {
      if (stop.prefix) yield { ...event, arguments: stop.prefix };
      throw refused(stop.bounds ? `the arguments grew past the schema's bounds (${stop.bounds})` : "the arguments left the tool's parameters schema", c, event.call, event.choice, stop.offset);
    }
    yield event;
  }
  for (const [key, c] of calls) {
    if (c && !c.constraint.automaton.accepting(c.state)) {
      const [choice, call] = key.split(":").map(Number) as [number, number];
      throw refused("the arguments ended before the schema was complete", c, call, choice, c.bytes);
    }
  }
}

/** Where a text stopped being accepted: its byte offset, the whole characters before it, and whether a bound was hit. */
interface Stop {
  offset: number;
  prefix: string;
  bounds?: string;
}

/** Runs `text` through the automaton from `at` (advancing it); undefined when every byte was accepted. */
function feed(automaton: Constraint["automaton"], at: { state: number; bytes: number }, text: string): Stop | undefined {
  const bytes = encoder.encode(text);
  let ok = 0;
  try {
    for (; ok < bytes.length; ok++) {
      const next = automaton.next(at.state, bytes[ok]!);
      if (next === DEAD) break;
      at.state = next;
    }
  } catch (err) {
    if (err instanceof GrammarError) return { offset: at.bytes + ok, prefix: "", bounds: err.message };
    throw err;
  }
  if (ok === bytes.length) {
    at.bytes += bytes.length;
    return undefined;
  }
  let whole = ok;
  while (whole > 0 && (bytes[whole]! & 0xc0) === 0x80) whole--;
  return { offset: at.bytes + ok, prefix: whole > 0 ? new TextDecoder().decode(bytes.subarray(0, whole)) : "" };
}

function violation(what: string, choice: number, offset: number): ApiError {
  return new ApiError(502, `${what} at byte ${offset} of choice ${choice}; nothing from that byte on was sent`, { type: "server_error", code: "grammar_violation" });
}
