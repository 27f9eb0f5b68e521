/**
 * Access control for `/v1/*`, as Hono middleware: who is calling (401), may they use the policy they select (403),
 * are they within their request rate (429). Every refusal is audited, counted per source per second so a flood writes
 * a handful of records (AuditSink.refused). The handler finds the caller in `c.get("caller")`.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AuditSink } from "../audit/sink.ts";
import { RequestTrail } from "../audit/trail.ts";
import type { PolicySource } from "../policy/source.ts";
import { ApiError } from "../server/errors.ts";
import { WIRE_ID } from "../server/wire.ts";
import { ANONYMOUS, type Authenticator, type Principal } from "./authenticator.ts";
import { RateLimited, type RateLimiter } from "./limiter.ts";

/** Header selecting a policy (same as the completion routes'). */
const POLICY_HEADER = "x-rsk-policy";

/** What access control is built from; everything optional except the policies (open, unlimited, unaudited). */
export interface AccessOptions {
  /** Checks bearer tokens; undefined = open gateway (anyone, every policy). */
  authenticator?: Authenticator;
  /** Per-caller rate limits; undefined = none. */
  limiter?: RateLimiter;
  /** Live policies, to resolve the default policy name for the 403 check. */
  policies: PolicySource;
  /** Audit log for refusals and (through the trail) gate decisions. */
  audit?: AuditSink;
  /** Where failures to charge completion tokens are reported (they happen after the response is under way). */
  onMeterError?: (err: unknown) => void;
  /** The client's address, to count refusals of callers without a valid key per address. Host-specific (Hono's
   * `getConnInfo` from `hono/bun` or `hono/deno`), so the host's entry point passes it; without it such refusals
   * count under one source, `anonymous`. */
  clientAddress?: (c: Context) => string | undefined;
}

/** The authenticated caller of one request, for the completion handler. */
export interface Caller {
  /** Who is calling. */
  principal: Principal;
  /** Request id (also the `x-request-id` response header and the audit records' `request`). */
  requestId: string;
  /** Audit and metering for this request's gate decisions. */
  trail: RequestTrail;
  /** Admission-queue fairness key: the tenant, else the key id; undefined on an open gateway (one shared lane). */
  fairnessKey: string | undefined;
  /** Charges the prompt estimate (body bytes / 4) to the tokens/min limit; throws a 429 when exhausted. */
  admitPrompt(bodyBytes: number): Promise<void>;
}

declare module "hono" {
  interface ContextVariableMap {
    /** Set by accessControl on every `/v1/*` request. */
    caller: Caller;
  }
}

/** An incoming `x-request-id` worth keeping (tracing across services), else a fresh one: never echo raw input. */
export function requestIdOf(incoming: string | undefined): string {
  return incoming !== undefined && WIRE_ID.test(incoming) ? incoming : crypto.randomUUID();
}

/** The middleware. */
export function accessControl(options: AccessOptions): MiddlewareHandler {
  return async (c, next) => {
    const startedAt = performance.now();
    const requestId = requestIdOf(c.req.header("x-request-id"));
    c.header("x-request-id", requestId);
    let principal = ANONYMOUS;
    const refuse = (err: ApiError): never => {
      const latencyMs = Math.round((performance.now() - startedAt) * 1000) / 1000;
      options.audit?.refused({
        event: err.status === 401 || err.status === 403 ? "auth" : "rate_limit",
        request: requestId,
        key: principal.id,
        tenant: principal.tenant,
        status: err.status,
        reason: err.code ?? undefined,
        latencyMs,
      }, refusalSource(principal, c, options.clientAddress));
      throw err;
    };

    if (options.authenticator) {
      // Authorization: Bearer (OpenAI SDKs), or x-api-key (Anthropic SDKs).
      const authorization = c.req.header("authorization");
      const token = authorization === undefined ? apiKeyHeader(c.req.header("x-api-key")) : bearerToken(authorization);
      const found = token === undefined ? undefined : await options.authenticator.check(token);
      if (!found?.ok) {
        principal = UNAUTHENTICATED;
        return refuse(new ApiError(401, found ? found.message : "missing API key: send Authorization: Bearer <key> (or x-api-key: <key>)", {
          code: "invalid_api_key",
          headers: { "www-authenticate": "Bearer" },
        }));
      }
      principal = found.principal;
    }
    const policy = c.req.header(POLICY_HEADER) ?? options.policies.current.defaultPolicy.name;
    if (principal.policies && !principal.policies.has(policy)) {
      refuse(new ApiError(403, `key "${principal.id}" may not use policy "${policy.slice(0, 64)}"; allowed: ${[...principal.policies].join(", ")}`, {
        param: POLICY_HEADER,
        code: "policy_forbidden",
      }));
    }
    const limiter = options.limiter;
    if (limiter) await limiter.admitRequest(principal).catch((err) => refuse(asRefusal(err)));
    const meter = limiter?.meter(principal, options.onMeterError ?? (() => {}));
    const summary = c.get("summary");
    const trail = new RequestTrail(options.audit, { request: requestId, key: principal.id, tenant: principal.tenant }, meter, startedAt, summary && ((d) => {
      if (d.kind === "finding") summary.finding(d.action);
    }));
    const admitPrompt = async (bodyBytes: number) => {
      if (limiter) await limiter.admitPrompt(principal, bodyBytes).catch((err) => refuse(asRefusal(err)));
    };
    const fairnessKey = principal === ANONYMOUS ? undefined : principal.tenant ?? principal.id;
    c.set("caller", { principal, requestId, trail, fairnessKey, admitPrompt });
    await next();
  };
}

/** Placeholder caller of a request refused with 401 (recorded as its `key`). */
const UNAUTHENTICATED: Principal = { id: "unauthenticated", tenant: null };

/** Who a refusal is counted against: the key id when known, else `addr:<address>` (`unknown` when the host gave
 * none), else `anonymous` when no address lookup is configured. Key ids never contain `:`, so neither collides. */
export function refusalSource(principal: Principal, c: Context, clientAddress: AccessOptions["clientAddress"]): string {
  if (principal !== ANONYMOUS && principal !== UNAUTHENTICATED) return principal.id;
  if (!clientAddress) return "anonymous";
  let address: string | undefined;
  try {
    address = clientAddress(c);
  } catch {
    address = undefined;
  }
  return address ? `addr:${address.slice(0, 64)}` : "unknown";
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), else undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = header === undefined ? null : /^Bearer[ \t]+(\S{1,4096})[ \t]*$/i.exec(header);
  return m?.[1];
}

/** The key of an `x-api-key` header (no whitespace, at most 4,096 characters), else undefined. */
function apiKeyHeader(header: string | undefined): string | undefined {
  return header !== undefined && /^\S{1,4096}$/.test(header) ? header : undefined;
}

function asRefusal(err: unknown): ApiError {
  if (err instanceof RateLimited || err instanceof ApiError) return err;
  throw err;
}
