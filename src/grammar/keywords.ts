/**
 * What each JSON Schema keyword is to the compiler. JSON Schema treats every keyword it does not define as an
 * annotation, so only the validation keywords of drafts 4 to 2020-12 can make a schema refuse; everything else
 * (titles, examples, `x-*` / `_*` extensions, Snowplow's `self`, draft-04 `id`…) is ignored, and listed only when the
 * request asks (`grammar_options.report_ignored`).
 */

/** Keywords that validate an instance (any draft). A schema using one rsk cannot enforce is refused in strict mode. */
export const VALIDATION_KEYWORDS: ReadonlySet<string> = new Set([
  "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
  "maxLength", "minLength", "pattern", "format",
  "items", "additionalItems", "prefixItems", "maxItems", "minItems", "uniqueItems", "contains", "minContains", "maxContains", "unevaluatedItems",
  "maxProperties", "minProperties", "required", "properties", "patternProperties", "additionalProperties", "dependencies",
  "dependentRequired", "dependentSchemas", "propertyNames", "unevaluatedProperties",
  "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
  "$ref", "$dynamicRef", "$recursiveRef",
  // OpenAPI 3.0: `nullable: true` adds null to `type` (ajv enforces it too).
  "nullable",
]);

/** Keywords that hold sub-schemas but validate nothing by themselves (resolved through `$ref`). */
const CONTAINERS = new Set(["$defs", "definitions"]);

/** Keywords the spec names as annotations or identifiers (listed apart from unknown ones in reports). */
const ANNOTATIONS = new Set([
  "$schema", "$id", "id", "$anchor", "$dynamicAnchor", "$recursiveAnchor", "$vocabulary", "$comment", "title", "description",
  "default", "examples", "example", "deprecated", "readOnly", "readonly", "writeOnly", "contentMediaType", "contentEncoding",
  "contentSchema", "discriminator", "xml", "externalDocs",
]);

/** Whether `keyword` constrains instances (so it must be enforced or refused). */
export function validates(keyword: string): boolean {
  return VALIDATION_KEYWORDS.has(keyword);
}

/** Why an ignored keyword is ignored, for `report_ignored`; undefined for containers (never worth reporting). */
export function ignoredBecause(keyword: string): string | undefined {
  if (CONTAINERS.has(keyword)) return undefined;
  return ANNOTATIONS.has(keyword) ? "is an annotation" : "is not a JSON Schema validation keyword";
}

/** Keywords whose values are instances, not schemas (never searched for `$id`). */
export const DATA_KEYWORDS: ReadonlySet<string> = new Set(["enum", "const", "default", "examples", "example"]);
