/** The gateway as a runtime-neutral Hono app: routes, body limit, errors in OpenAI's shape, metrics. */
import type { Context, MiddlewareHandler } from "hono";
import { Hono } from "hono/tiny";
import type { PolicySource } from "../policy/source.ts";
import { type RequestRecord, requestLog } from "../obs/request-log.ts";
import { type AccessOptions, accessControl } from "../auth/access.ts";
import { GatewayMetrics } from "../metrics/gateway.ts";
import type { Exposable } from "../metrics/registry.ts";
import { SchedulerMetrics } from "../sched/metrics.ts";
import { Scheduler } from "../sched/scheduler.ts";
import { requestBody } from "./body.ts";
import { type BrowserRules, browserRules } from "./browser.ts";
import { type CompletionDeps, completionHandler } from "./completions.ts";
import { CHAT_DOOR, COMPLETION_DOOR } from "./door.ts";
import { embeddingsHandler } from "./embeddings.ts";
import { scanHandler } from "./scan.ts";
import { messagesErrorBody } from "./messages-error.ts";
import { once } from "./once.ts";
import { Drain, SHUTTING_DOWN } from "./drain.ts";
import { ApiError, asApiError } from "./errors.ts";
import { DEFAULT_SSE_HEARTBEAT_MS } from "./heartbeat.ts";

/** Everything the app is built from. */
export interface GatewayOptions extends Omit<CompletionDeps, "metrics" | "scheduler" | "drain"> {
  /** Drain state the host flips on shutdown (`/readyz` false, new requests 503, in-flight ones tracked). */
  drain?: Drain;
  /** Largest request body accepted, in bytes (413 beyond). */
  maxBodyBytes: number;
  /** Shared metric families; a fresh set when omitted. */
  metrics?: GatewayMetrics;
  /** Admission queue and slots; default: 4,096 queue places in front of the backend's own slot count. */
  scheduler?: Scheduler;
  /** Where unexpected (500) errors are reported. */
  onInternalError?: (err: unknown) => void;
  /** API keys/JWT, rate limits and audit log for `/v1/*`; omitted = open, unlimited, unaudited. */
  access?: Omit<AccessOptions, "policies">;
  /** DNS-rebinding `Host` check (omitted = none) and allowed CORS origins (omitted = no foreign browser origin). */
  browser?: BrowserRules;
  /** Longest time to receive a request body, in ms (408 and the connection closed beyond); default 30 s. */
  readTimeoutMs?: number;
  /** Silence before an SSE `: keep-alive` comment, in ms; default 15 s. */
  sseHeartbeatMs?: number;
  /** One-line operational notes (e.g. a client that left mid-body); default: none. */
  log?: (line: string) => void;
  /** Where each `/v1` request's record goes when it ends (the CLI writes one JSON line per request). */
  requestLog?: (record: RequestRecord) => void;
  /** Serve the policy playground at `/playground` (default off). */
  playground?: boolean;
  /** More `/metrics` families from the host (the CLI adds process metrics). */
  extraMetrics?: readonly Exposable[];
}

/** Waits for a policy source's first set; 503 while there is none (its reason goes to the source's reload report). */
function policiesReady(policies: PolicySource): MiddlewareHandler {
  return async (_c, next) => {
    try {
      await policies.ready;
    } catch {
      throw new ApiError(503, "no policy is loaded yet: the gateway's policy source failed (see its log)", { code: "policies_unavailable", type: "server_error" });
    }
    return next();
  };
}

/** `error` in the shape of the request's door (OpenAI's unless the route set another). */
function errorBody(c: Context, error: ApiError): object {
  const shape = c.get("errorBody");
  return shape ? shape(error) : error.toBody();
}

/** Builds the gateway app; mount it (`app.route("/", rsk(...))`) or serve it directly. */
export function createGateway(options: GatewayOptions): Hono {
  const metrics = options.metrics ?? new GatewayMetrics();
  const scheduler = options.scheduler ?? new Scheduler({ slots: options.backend.slots });
  const drain = options.drain ?? new Drain();
  const deps: CompletionDeps = { ...options, metrics, scheduler, drain };
  const schedulerMetrics = new SchedulerMetrics(scheduler);
  const app = new Hono();

  // Errors of a door's route (auth, body limits, validation, upstream) in that door's shape.
  app.use("/v1/messages", async (c, next) => {
    c.set("errorBody", messagesErrorBody);
    return next();
  });
  app.use(async (c, next) => {
    await next();
    metrics.requests.inc({ route: c.req.routePath === "/*" ? "unmatched" : c.req.routePath, status: String(c.res.status) });
  });
  const browser = browserRules(options.browser ?? {});
  const heartbeatMs = options.sseHeartbeatMs ?? DEFAULT_SSE_HEARTBEAT_MS;
  app.use(async (c, next) => {
    c.set("sseHeartbeatMs", heartbeatMs);
    return next();
  });
  app.use(browser.everywhere);
  // Every body-carrying /v1 route, present and future: JSON only (CSRF), then the body under a size and time limit.
  app.use("/v1/*", browser.v1);
  app.use("/v1/*", requestBody({ maxBytes: options.maxBodyBytes, timeoutMs: options.readTimeoutMs ?? 30_000, log: options.log }));
  app.use("/v1/*", async (_c, next) => {
    if (drain.draining) throw SHUTTING_DOWN;
    return next();
  });
  app.use("/v1/*", policiesReady(options.policies));
  app.use("/healthz", policiesReady(options.policies));
  app.use("/v1/*", requestLog(options.requestLog));
  app.use("/v1/*", accessControl({ ...options.access, policies: options.policies }));

  app.post("/v1/chat/completions", completionHandler(CHAT_DOOR, deps));
  app.post("/v1/completions", completionHandler(COMPLETION_DOOR, deps));
  // The Anthropic and Responses doors are loaded by their first request (an edge isolate compiles only what it serves).
  app.post("/v1/messages", completionHandler(once(() => import("./messages.ts").then((m) => m.MESSAGES_DOOR)), deps));
  app.post("/v1/responses", completionHandler(once(() => import("./responses.ts").then((m) => m.RESPONSES_DOOR)), deps));
  app.post("/v1/embeddings", embeddingsHandler(deps));
  app.get("/v1/models", async (c) => c.json({ object: "list", data: await options.backend.models(c.req.raw.signal) }));
  app.get("/v1/models/:id{.+}", async (c) => {
    const id = c.req.param("id");
    const card = (await options.backend.models(c.req.raw.signal)).find((m) => m.id === id);
    if (!card) throw new ApiError(404, `no model "${id.slice(0, 128)}" is served here`, { param: "model", code: "model_not_found" });
    return c.json(card);
  });
  app.get("/livez", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    if (drain.draining) return c.json({ status: "draining" }, 503);
    const ready = options.backend.ready ? await options.backend.ready() : true;
    return ready ? c.json({ status: "ready" }) : c.json({ status: "backend not ready" }, 503);
  });
  app.get("/healthz", (c) => {
    const { byName, defaultPolicy } = options.policies.current;
    return c.json({ status: "ok", policies: [...byName.keys()], defaultPolicy: defaultPolicy.name });
  });
  app.get("/v1/rsk/status", (c) => c.json(scheduler.status()));
  app.post("/v1/rsk/scan", scanHandler(deps));
  if (options.playground) app.get("/playground", async (c) => (await import("./playground.ts")).playgroundHandler(c));
  const extra = options.extraMetrics ?? [];
  app.get("/metrics", (c) => c.text(metrics.expose() + schedulerMetrics.expose() + "\n" + extra.map((m) => `${m.expose()}\n`).join(""), 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }));

  app.notFound((c) => {
    const err = new ApiError(404, `no route for ${c.req.method} ${new URL(c.req.url).pathname}`, { code: "unknown_route" });
    return c.json(errorBody(c, err), 404);
  });
  app.onError((err, c) => {
    const api = asApiError(err);
    if (api.status >= 500 && !(err instanceof ApiError)) options.onInternalError?.(err);
    return c.json(errorBody(c, api), api.status as 400, api.headers);
  });
  return app;
}
