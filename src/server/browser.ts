/**
 * Browser-borne attacks on a gateway that listens locally: DNS rebinding (a page whose name resolves to 127.0.0.1
 * reads the gateway as its own origin), cross-site request forgery (a form posting `text/plain` or urlencoded
 * bodies) and foreign origins. Requests without an `Origin` header (SDKs, curl, servers) pass the origin check.
 */
import type { Context, MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { ApiError } from "./errors.ts";

/** DNS-rebinding defence: which `Host` names a gateway answers to. */
export interface HostCheck {
  /** The interface the server is bound to: a loopback one (127.x, ::1, localhost) turns the check on by default. */
  bindHost: string;
  /** Extra allowed `Host` names (`name` or `name:port`); `*` allows any. Unset: loopback names only, off elsewhere. */
  allowedHosts?: readonly string[];
}

/** What the browser rules allow. */
export interface BrowserRules {
  /** `Host` check; omitted = none (the plugin's default: the host app owns its names). */
  hosts?: HostCheck;
  /** Origins allowed cross-origin, as `scheme://host[:port]`; `*` = any; default none. */
  corsOrigins?: readonly string[];
}

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);
const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);
/** Headers a browser client may read from a cross-origin response. */
const EXPOSED = ["x-request-id", "x-rsk-policy", "x-rsk-policy-version", "x-rsk-grammar-warnings", "retry-after"];

/** True for an interface or `Host` name that only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return LOOPBACK_NAMES.has(h) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Splits a `Host` value into its name (lower-case, IPv6 kept in brackets) and port. */
function splitHost(value: string): { name: string; port: string } {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(value.trim().toLowerCase());
  return m ? { name: m[1]!, port: m[2] ?? "" } : { name: value.toLowerCase(), port: "" };
}

/** The `Host` predicate for a check, or null when every name is accepted. */
export function hostPredicate(check: HostCheck | undefined): ((host: string) => boolean) | null {
  if (!check) return null;
  const listed = check.allowedHosts?.map((h) => h.toLowerCase());
  if (listed?.includes("*")) return null;
  if (!listed?.length && !isLoopback(check.bindHost)) return null;
  const bind = check.bindHost.toLowerCase();
  return (host) => {
    const { name, port } = splitHost(host);
    // Loopback names cannot be produced by rebinding (the page's own name is what the browser sends).
    if (isLoopback(name) || name === bind || `[${bind}]` === name) return true;
    return listed?.some((entry) => entry === name || entry === `${name}:${port}`) ?? false;
  };
}

/** Normalizes an origin list entry: lower case, no trailing slash. */
const normalizeOrigin = (o: string) => o.trim().toLowerCase().replace(/\/+$/, "");

/**
 * The browser rules as middleware: `Host` check (all routes), origin check with CORS for allowed origins (all routes;
 * preflights answered by Hono's `cors`), and `Content-Type: application/json` on every body-carrying `/v1` request.
 */
export function browserRules(rules: BrowserRules): { everywhere: MiddlewareHandler; v1: MiddlewareHandler } {
  const hostOk = hostPredicate(rules.hosts);
  const origins = new Set((rules.corsOrigins ?? []).map(normalizeOrigin));
  const anyOrigin = origins.has("*");
  const corsHeaders = cors({
    origin: (origin) => origin,
    allowMethods: ["GET", "POST", "OPTIONS"],
    exposeHeaders: EXPOSED,
    maxAge: 600,
  });

  const everywhere: MiddlewareHandler = async (c, next) => {
    const host = c.req.header("host") ?? new URL(c.req.url).host;
    if (hostOk && !hostOk(host)) {
      throw new ApiError(403, `Host "${printable(host)}" is not served here (DNS rebinding defence); allow it with RSK_ALLOWED_HOSTS / --allowed-hosts`, {
        param: "host",
        code: "host_not_allowed",
      });
    }
    const origin = c.req.header("origin");
    if (origin === undefined || sameOrigin(origin, host)) return next();
    if (!anyOrigin && !origins.has(normalizeOrigin(origin))) {
      throw new ApiError(403, `cross-origin request from "${printable(origin)}" refused; allow a browser origin with RSK_CORS_ORIGINS / --cors-origins`, {
        param: "origin",
        code: "origin_not_allowed",
      });
    }
    return corsHeaders(c, next);
  };

  const v1: MiddlewareHandler = async (c, next) => {
    if (BODY_METHODS.has(c.req.method)) requireJson(c);
    return next();
  };
  return { everywhere, v1 };
}

/** An origin whose host is the `Host` the request came to (scheme ignored: a TLS proxy may sit in front). */
function sameOrigin(origin: string, host: string): boolean {
  try {
    return new URL(origin).host === new URL(`http://${host}`).host;
  } catch {
    return false;
  }
}

/**
 * JSON only: HTML forms can send `text/plain`, urlencoded and multipart bodies cross-site without a preflight, never
 * `application/json`; refusing the rest makes every completion route immune to form-based CSRF.
 */
function requireJson(c: Context): void {
  const value = c.req.header("content-type");
  const [type, ...params] = (value ?? "").split(";").map((s) => s.trim().toLowerCase());
  const charsetOk = params.every((p) => p === "" || /^charset="?utf-8"?$/.test(p));
  if (type === "application/json" && charsetOk) return;
  const got = value === undefined ? "no Content-Type" : `Content-Type "${printable(value)}"`;
  throw new ApiError(415, `Content-Type must be application/json (optionally with charset=utf-8); got ${got}`, {
    param: "content-type",
    code: "unsupported_media_type",
  });
}

/** A header value safe to echo in an error message. */
const printable = (s: string) => s.replace(/[^\x20-\x7e]/g, "?").slice(0, 200);
