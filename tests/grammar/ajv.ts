/** ajv set up as the independent judge of schema validity (draft 2020-12, draft-07 for `items` arrays), with the formats rsk enforces. */
import { Ajv2020 } from "ajv/dist/2020.js";
import { Ajv } from "ajv";

const TIME = /^([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([zZ]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/** A calendar date, checked by arithmetic (not by a pattern, so it judges rsk's regular language independently). */
function isDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return days !== undefined && day >= 1 && day <= days;
}

/** An IPv6 address as the WHATWG URL parser reads a bracketed host (no zone identifier). */
function isIpv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return false;
  try {
    return new URL(`http://[${s}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

const FORMATS: Record<string, RegExp | ((s: string) => boolean)> = {
  date: isDate,
  time: TIME,
  "date-time": (s) => /^.{10}[tT]/.test(s) && isDate(s.slice(0, 10)) && TIME.test(s.slice(11)),
  ipv6: isIpv6,
  duration: /^P(?!$)((\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?|(\d+W)?)$/,
  "json-pointer": /^(\/([^~/]|~0|~1)*)*$/,
  email: /^[^\s@"\\]+@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  uri: /^[a-z][a-z0-9+.-]*:[^\s"\\<>^`{|}]+$/i,
  ipv4: /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/,
};

const modern = new Ajv2020({ strict: false, allErrors: false });
const draft7 = new Ajv({ strict: false, allErrors: false });
for (const [name, re] of Object.entries(FORMATS)) {
  modern.addFormat(name, re);
  draft7.addFormat(name, re);
}

const compiled = new WeakMap<object, (value: unknown) => boolean>();

/**
 * Whether `value` is valid under `schema` according to ajv. Draft-04/06/07 schemas (by `$schema`, or draft-7 tuples) go
 * to the draft-7 validator; a `$schema` ajv has no meta-schema for (draft-04/06, Snowplow's iglu URI) is left out,
 * since it validates nothing.
 */
export function ajvValid(schema: Record<string, unknown>, value: unknown): boolean {
  let check = compiled.get(schema);
  if (!check) {
    const meta = typeof schema.$schema === "string" ? schema.$schema : "";
    const old = /draft-0[467]/.test(meta) || JSON.stringify(schema).includes('"additionalItems"');
    const ajv = old ? draft7 : modern;
    // Draft-04's `id` is `$id` (ajv 8 throws on `id`).
    const own = Object.fromEntries(Object.entries(schema).filter(([k]) => k !== "$schema" || /draft-07|2020-12/.test(meta)).map(([k, v]) => [k === "id" && typeof v === "string" ? "$id" : k, v]));
    const id = typeof own.$id === "string" ? own.$id : undefined;
    if (id !== undefined) ajv.removeSchema(id);
    const fn = ajv.compile(own);
    check = (v) => fn(v) as boolean;
    compiled.set(schema, check);
  }
  return check(value);
}
