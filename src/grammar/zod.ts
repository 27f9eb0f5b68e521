/**
 * Zod schemas for structured output in the plugin API. Zod 4 schemas go through zod's own `toJSONSchema`;
 * zod-to-json-schema (which only understands Zod 3 and returns an empty, accept-anything schema for Zod 4) is used
 * for Zod 3 schemas. No hand-written converter.
 */
import { toJSONSchema, type ZodType } from "zod";
import { zodToJsonSchema } from "zod-to-json-schema";

/** An OpenAI `response_format` for a Zod schema, strict, with local `$defs` only. */
export function zodResponseFormat(name: string, schema: ZodType): { type: "json_schema"; json_schema: { name: string; schema: Record<string, unknown>; strict: true } } {
  const json = "_zod" in schema
    ? (toJSONSchema(schema, { target: "draft-2020-12" }) as Record<string, unknown>)
    : (zodToJsonSchema(schema as unknown as Parameters<typeof zodToJsonSchema>[0], { $refStrategy: "root" }) as Record<string, unknown>);
  return { type: "json_schema", json_schema: { name, schema: json, strict: true } };
}
