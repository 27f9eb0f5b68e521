/** ajv set up as the independent judge of schema validity (draft 2020-12, draft-07 for `items` arrays), with the formats rsk enforces (ajv-formats is not installed: written here). */
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

/** RFC 3987 `ucschar`, by code point arithmetic: U+00A0–U+D7FF, U+F900–U+FDCF, U+FDF0–U+FFEF, planes 1–13 and U+E1000 on but each plane's last two. */
function isUcschar(cp: number): boolean {
  if (cp < 0x10000) return (cp >= 0xa0 && cp <= 0xd7ff) || (cp >= 0xf900 && cp <= 0xfdcf) || (cp >= 0xfdf0 && cp <= 0xffef);
  if ((cp & 0xffff) > 0xfffd) return false;
  return cp < 0xe0000 || (cp >= 0xe1000 && cp < 0xf0000);
}

/** RFC 3987 `iprivate`: the private use areas (U+E000–U+F8FF, planes 15 and 16 but each plane's last two). */
const isIprivate = (cp: number) => (cp >= 0xe000 && cp <= 0xf8ff) || (cp >= 0xf0000 && (cp & 0xffff) <= 0xfffd);

/**
 * An RFC 3986 URI-reference, or with `iri` an RFC 3987 IRI-reference (unreserved characters plus `ucschar`, and
 * `iprivate` in the query), judged component by component: split by the RFC's Appendix B expression, then each part's
 * characters and shape checked (not one pattern, so it judges rsk's regular language independently).
 */
function isReference(s: string, iri: boolean): boolean {
  const m = /^(([^:/?#]+):)?(\/\/([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?$/su.exec(s);
  if (!m) return false;
  const [, , scheme, , authority, path = "", , query, , fragment] = m;
  // Each character (code point) outside a %XX triple must be one of `ascii` or, for an IRI, a ucschar (or `extra`).
  const pct = (text: string, ascii: RegExp, extra = (_cp: number) => false) => /^(%[0-9A-Fa-f]{2}|[^%])*$/su.test(text) &&
    [...text.replace(/%[0-9A-Fa-f]{2}/g, "")].every((c) => ascii.test(c) || (iri && (isUcschar(c.codePointAt(0)!) || extra(c.codePointAt(0)!))));
  const pchar = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]$/;
  if (scheme !== undefined && !/^[A-Za-z][A-Za-z0-9+.-]*$/.test(scheme)) return false;
  if (authority !== undefined) {
    const at = authority.lastIndexOf("@");
    const userinfo = at >= 0 ? authority.slice(0, at) : "", hostPort = authority.slice(at + 1);
    if (!pct(userinfo, /^[A-Za-z0-9\-._~!$&'()*+,;=:]$/)) return false;
    const hp = /^(\[[^\]]*\]|[^:]*)(:[0-9]*)?$/su.exec(hostPort);
    if (!hp) return false;
    const host = hp[1]!;
    if (host.startsWith("[")) {
      // IP-literals stay ASCII in IRIs too (RFC 3987 takes IP-literal from RFC 3986 unchanged).
      const inner = host.slice(1, -1);
      if (!(isIpv6(inner) || /^[vV][0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+$/.test(inner))) return false;
    } else if (!pct(host, /^[A-Za-z0-9\-._~!$&'()*+,;=]$/)) return false;
  } else if (path.startsWith("//")) return false;
  const segments = path.split("/");
  if (!segments.every((seg) => pct(seg, pchar))) return false;
  // A relative reference's first segment may not hold a colon (it would read as a scheme).
  if (scheme === undefined && authority === undefined && !path.startsWith("/") && segments[0]!.includes(":")) return false;
  const tail = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/?]$/;
  return (query === undefined || pct(query, tail, isIprivate)) && (fragment === undefined || pct(fragment, tail));
}

/** An RFC 3987 IRI (absolute: a scheme is required). */
export const isIri = (s: string) => /^[A-Za-z][A-Za-z0-9+.-]*:/.test(s) && isReference(s, true);
/** An RFC 3987 IRI-reference (an IRI or a relative reference). */
export const isIriReference = (s: string) => isReference(s, true);

const FORMATS: Record<string, RegExp | ((s: string) => boolean)> = {
  "uri-reference": (s) => isReference(s, false),
  iri: isIri,
  "iri-reference": isIriReference,
  // ajv-formats' hostname: at most 253 characters (a final dot aside), labels of 1–63.
  hostname: /^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[-0-9a-z]{0,61}[0-9a-z])?)*\.?$/i,
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
