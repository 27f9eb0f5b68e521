/**
 * The grammar checks a completion asks for. The grammar engine is the largest part of the pipeline and most requests
 * never use it, so it is loaded by the first request with a constraint or a strict tool: an edge isolate that only
 * gates text never compiles it.
 */
import type { BackendEvent } from "../backends/types.ts";
import type { ChatRequest, CompletionRequest } from "./wire.ts";

/** Header listing what `grammar_options.lenient` dropped and, with `grammar_options.report_ignored`, what was ignored. */
export const GRAMMAR_WARNINGS_HEADER = "x-rsk-grammar-warnings";

/** A request's compiled constraints: what they dropped, and the check to run its events through. */
export interface GrammarChecks {
  readonly warnings: readonly string[];
  check(events: AsyncIterable<BackendEvent>): AsyncIterable<BackendEvent>;
}

/** Whether a request selects a constraint (`response_format`, `grammar`, `regex`) or declares a strict tool. */
export function asksForGrammar(body: ChatRequest | CompletionRequest): boolean {
  const format = body.response_format?.type;
  if (format === "json_schema" || format === "json_object" || body.grammar != null || body.regex != null) return true;
  return "messages" in body && (body.tools ?? []).some((tool) => tool.function.strict === true);
}

/** The request's constraints compiled (each problem a 400 naming its field), or none when it asks for none. */
export async function grammarChecks(body: ChatRequest | CompletionRequest): Promise<GrammarChecks | undefined> {
  if (!asksForGrammar(body)) return undefined;
  const { checkedAgainst, requestConstraint, toolConstraints } = await import("../grammar/request-checks.ts");
  const constraint = requestConstraint(body);
  const tools = "messages" in body ? toolConstraints(body) : new Map();
  return { warnings: constraint?.warnings ?? [], check: (events) => checkedAgainst(events, constraint, tools) };
}
