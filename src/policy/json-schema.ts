/** policies/policy.schema.json, generated from the valibot schema so editors complete and check policy files. */
import { toJsonSchema } from "@valibot/to-json-schema";
import { PolicySchema } from "./schema.ts";

/** The policy file format as JSON Schema (draft-07, the draft editors support best), pretty-printed. */
export function policyJsonSchemaText(): string {
  // typeMode "input": describes what a file may contain, so fields with defaults stay optional.
  // `check` (unique rule ids, compilable patterns) and `finite` (JSON has no NaN/Infinity anyway) have no JSON
  // Schema form: the loader enforces them.
  const schema = toJsonSchema(PolicySchema, {
    typeMode: "input",
    errorMode: "throw",
    overrideAction: ({ valibotAction, jsonSchema }) => (valibotAction.type === "check" || valibotAction.type === "finite" ? jsonSchema : undefined),
  });
  return `${JSON.stringify(schema, null, 2)}\n`;
}
