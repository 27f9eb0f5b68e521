/**
 * The JSONPath subset policy argument rules are addressed by: `$`, `.name`, `['name']`, `[*]`, `[n]`. A path selects
 * nodes of a tool call's arguments; a rule applies to every string and number value the path selects and to every
 * one inside an object or array it selects (so `$.to` covers each address of a `to` array).
 *
 * Hand-written: the JSONPath packages on npm evaluate a path over a whole parsed document, while the argument gate
 * needs to test one value's position as the arguments stream in, before the document exists.
 */

/** One step of a path: a member name, an array index, or any child (`[*]`). */
export type JsonPathSegment = { readonly name: string } | { readonly index: number } | { readonly any: true };

/** Longest path text accepted. */
export const MAX_JSON_PATH_LENGTH = 1024;

/** Where a value sits in a JSON document: member names and array indexes from the root. */
export type JsonLocation = readonly (string | number)[];

const SHORTHAND = /^[A-Za-z_][A-Za-z0-9_]*/;
const INDEX = /^\[(0|[1-9][0-9]{0,8})\]/;

/** Parses `path`; a string says what is wrong and at which character (counted from 1). */
export function parseJsonPath(path: string): JsonPathSegment[] | string {
  if (path.length > MAX_JSON_PATH_LENGTH) return `path longer than ${MAX_JSON_PATH_LENGTH} characters`;
  if (path[0] !== "$") return "a path starts with $";
  const out: JsonPathSegment[] = [];
  let i = 1;
  while (i < path.length) {
    const rest = path.slice(i);
    if (rest[0] === ".") {
      const name = SHORTHAND.exec(rest.slice(1));
      if (!name) return `expected a member name (letters, digits, _) after '.' at character ${i + 2}; use ['name'] for others`;
      out.push({ name: name[0] });
      i += 1 + name[0].length;
    } else if (rest.startsWith("[*]")) {
      out.push({ any: true });
      i += 3;
    } else if (rest.startsWith("['")) {
      let name = "";
      let j = i + 2;
      for (; j < path.length && path[j] !== "'"; j++) {
        if (path[j] === "\\") {
          const next = path[++j];
          if (next !== "'" && next !== "\\") return `only \\' and \\\\ escapes are supported in a quoted name (character ${j + 1})`;
        }
        name += path[j];
      }
      if (path[j] !== "'" || path[j + 1] !== "]") return `unterminated ['name'] starting at character ${i + 1}`;
      out.push({ name });
      i = j + 2;
    } else {
      const index = INDEX.exec(rest);
      if (!index) return `unsupported syntax at character ${i + 1}: the supported steps are .name, ['name'], [*] and [n]`;
      out.push({ index: Number(index[1]) });
      i += index[0].length;
    }
  }
  return out;
}

/** Whether `path` selects the value at `at` or an object or array holding it. */
export function selects(path: readonly JsonPathSegment[], at: JsonLocation): boolean {
  if (path.length > at.length) return false;
  for (let i = 0; i < path.length; i++) {
    const step = path[i]!, key = at[i]!;
    if ("name" in step ? step.name !== key : "index" in step ? step.index !== key : false) return false;
  }
  return true;
}
