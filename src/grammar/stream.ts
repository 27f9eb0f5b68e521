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

/** Passes events through, cutting the text at the first byte the constraint refuses and failing there. */
export async function* checkedAgainst(events: AsyncIterable<BackendEvent>, constraint: Constraint | undefined): AsyncIterable<BackendEvent> {
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
      const bytes = encoder.encode(event.text);
      let ok = 0;
      try {
        for (; ok < bytes.length; ok++) {
          const next = automaton.next(c.state, bytes[ok]!);
          if (next === DEAD) break;
          c.state = next;
        }
      } catch (err) {
        if (err instanceof GrammarError) throw violation(`the output grew past the grammar's bounds (${err.message})`, event.choice, c.bytes + ok);
        throw err;
      }
      if (ok < bytes.length) {
        let whole = ok;
        while (whole > 0 && (bytes[whole]! & 0xc0) === 0x80) whole--;
        if (whole > 0) yield { type: "text", choice: event.choice, text: new TextDecoder().decode(bytes.subarray(0, whole)) };
        throw violation("the output left the grammar", event.choice, c.bytes + ok);
      }
      c.bytes += bytes.length;
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

function violation(what: string, choice: number, offset: number): ApiError {
  return new ApiError(502, `${what} at byte ${offset} of choice ${choice}; nothing from that byte on was sent`, { type: "server_error", code: "grammar_violation" });
}
