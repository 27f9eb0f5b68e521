/**
 * The constraint a completion request asks for (`response_format` json_schema / json_object, or the `grammar` /
 * `regex` extensions), compiled through the cache; every problem is a 400 whose `param` names the field.
 */
import { ApiError } from "../server/errors.ts";
import { type Constraint, compileConstraint, type ConstraintSpec } from "./compile.ts";
import { GrammarError } from "./errors.ts";

/** The request fields that select a constraint (a subset of both completion bodies). */
export interface ConstraintFields {
  /** OpenAI's structured output selector. */
  readonly response_format?: { readonly type: string; readonly json_schema?: { readonly schema?: Record<string, unknown> } } | null;
  /** rsk extension: GBNF grammar text. */
  readonly grammar?: string | null;
  /** rsk extension: the whole completion must match this regex. */
  readonly regex?: string | null;
  /** rsk extension: how schemas are compiled. */
  readonly grammar_options?: { readonly lenient?: boolean; readonly max_whitespace?: number; readonly report_ignored?: boolean; readonly any_order?: boolean } | null;
  /** Stop strings (they would cut a structured output short). */
  readonly stop?: string | readonly string[] | null;
}

export { GRAMMAR_WARNINGS_HEADER } from "../server/grammar-checks.ts";

/** A request's function tools, as far as their arguments' constraints go. */
export interface ToolFields {
  /** Declared tools; those with `strict: true` have their arguments held to `parameters`. */
  readonly tools?: readonly { readonly function: { readonly name: string; readonly parameters?: Record<string, unknown>; readonly strict?: boolean | null } }[] | null;
  /** `any_order` also lets strict tools' arguments list their properties in any order. */
  readonly grammar_options?: { readonly any_order?: boolean } | null;
}

/** Compiled `parameters` of every strict tool, by name (each problem a 400 naming the tool's field). */
export function toolConstraints(body: ToolFields): Map<string, Constraint> {
  const out = new Map<string, Constraint>();
  (body.tools ?? []).forEach((tool, i) => {
    if (tool.function.strict !== true) return;
    const param = `tools.${i}.function.parameters`;
    try {
      const schema = tool.function.parameters ?? { type: "object" };
      out.set(tool.function.name, compileConstraint({ kind: "json_schema", schema }, { lenient: false, path: param, anyOrder: body.grammar_options?.any_order === true }));
    } catch (err) {
      if (err instanceof GrammarError) throw new ApiError(400, `invalid ${param} (strict tool): ${err.message}`, { param, code: "invalid_grammar", cause: err });
      throw err;
    }
  });
  return out;
}

/** The compiled constraint of a request, or undefined when its output is free text. */
export function requestConstraint(body: ConstraintFields): Constraint | undefined {
  const format = body.response_format?.type;
  const structured = format === "json_schema" || format === "json_object";
  const chosen = [structured ? "response_format" : undefined, body.grammar != null ? "grammar" : undefined, body.regex != null ? "regex" : undefined]
    .filter((x): x is string => x !== undefined);
  if (chosen.length > 1) {
    throw new ApiError(400, `${chosen.join(" and ")} cannot be combined: a completion follows one constraint`, { param: chosen[1]!, code: "invalid_request" });
  }
  if (chosen.length === 0) return undefined;
  if (body.stop != null && [body.stop].flat().length > 0) {
    throw new ApiError(400, `stop cannot be combined with ${chosen[0]}: a stop string would cut the structured output short`, { param: "stop", code: "invalid_request" });
  }
  const options = { lenient: body.grammar_options?.lenient === true, maxWhitespace: body.grammar_options?.max_whitespace, reportIgnored: body.grammar_options?.report_ignored === true, anyOrder: body.grammar_options?.any_order === true };
  let spec: ConstraintSpec;
  let param: string;
  if (body.grammar != null) {
    spec = { kind: "grammar", text: body.grammar };
    param = "grammar";
  } else if (body.regex != null) {
    spec = { kind: "regex", pattern: body.regex };
    param = "regex";
  } else if (format === "json_schema") {
    spec = { kind: "json_schema", schema: body.response_format?.json_schema?.schema ?? {} };
    param = "response_format.json_schema.schema";
  } else {
    spec = { kind: "json_object" };
    param = "response_format";
  }
  try {
    return compileConstraint(spec, { ...options, path: param });
  } catch (err) {
    if (err instanceof GrammarError) {
      throw new ApiError(400, `invalid ${param}: ${err.message}`, { param: err.path.startsWith(param) ? err.path.split(" ")[0]! : param, code: "invalid_grammar", cause: err });
    }
    throw err;
  }
}
