/**
 * Many upstreams behind one backend (`RSK_UPSTREAMS`): a model's targets are tried in order (fallback), consecutive
 * weighted targets share load (weighted random among those whose breaker lets them), and each target is retried with
 * exponential backoff and jitter on failures that happen before anything was produced: connect errors, first-byte
 * timeouts, 5xx, 429 (its Retry-After honoured up to `maxMs`). Once a first event has come from an upstream the
 * request is committed to it: a later failure ends the response with an error event, never a retry.
 */
import { ApiError } from "../../server/errors.ts";
import type { Backend, BackendEvent, BackendRequest, ModelCard } from "../types.ts";
import { UpstreamBackend } from "../upstream/backend.ts";
import { UpstreamError } from "../upstream/failures.ts";
import { type BreakerState, CircuitBreaker } from "./breaker.ts";
import type { RoutingFile } from "./schema.ts";

/** One upstream as the router sees it. */
interface Route {
  readonly name: string;
  readonly backend: UpstreamBackend;
  readonly breaker: CircuitBreaker;
  readonly maxConcurrent: number;
  inFlight: number;
}

/** One target of a model: an upstream, its share of a balanced group, the model name it is asked for. */
interface Target {
  readonly route: Route;
  readonly weight: number | undefined;
  readonly model: string | undefined;
}

/** What the router reports (metrics and log lines). */
export interface RouterEvents {
  /** A breaker changed state. */
  breaker?: (upstream: string, state: BreakerState) => void;
  /** An attempt failed before its first event and another will be made (`next`: the upstream tried next). */
  retry?: (upstream: string, error: UpstreamError, next: string) => void;
  /** An upstream failure (its kind), for the upstream error metric. */
  failure?: (kind: string) => void;
}

/** Errors worth another attempt: nothing was produced yet and the upstream, not the request, is at fault. */
function retryable(err: unknown): err is UpstreamError {
  if (!(err instanceof UpstreamError)) return false;
  if (err.kind === "connect" || err.kind === "timeout" || err.kind === "reset") return true;
  return err.kind === "status" && (err.status === 429 || err.status >= 500);
}

/** Milliseconds a 429's Retry-After asks for (seconds or a date), if any. */
function retryAfterMs(err: UpstreamError): number | undefined {
  const value = err.headers["retry-after"];
  if (value === undefined) return undefined;
  return /^\d+$/.test(value) ? Number(value) * 1000 : Math.max(0, Date.parse(value) - Date.now());
}

/** A backend that routes each request to one of several upstreams. */
export class RoutedBackend implements Backend {
  readonly #routes = new Map<string, Route>();
  readonly #models: [pattern: string, targets: Target[]][];
  readonly #retry: RoutingFile["retry"];

  constructor(file: RoutingFile, env: Record<string, string | undefined>, private readonly events: RouterEvents = {}) {
    this.#retry = file.retry;
    const breaker = file.breaker;
    for (const [name, u] of Object.entries(file.upstreams)) {
      this.#routes.set(name, {
        name,
        backend: new UpstreamBackend({
          url: u.url,
          dialect: u.dialect,
          apiKey: u.apiKeyEnv ? env[u.apiKeyEnv] : undefined,
          firstByteTimeoutMs: u.firstByteTimeoutMs,
          idleTimeoutMs: u.idleTimeoutMs,
          onFailure: (kind) => events.failure?.(kind),
        }),
        breaker: new CircuitBreaker(breaker.failures, breaker.openMs, (state) => events.breaker?.(name, state)),
        maxConcurrent: u.maxConcurrent ?? Infinity,
        inFlight: 0,
      });
    }
    // Exact names first, then longer prefixes, then "*".
    this.#models = Object.entries(file.models)
      .map(([pattern, targets]): [string, Target[]] => [pattern, targets.map((t) => {
        const spec = typeof t === "string" ? { upstream: t } : t;
        return { route: this.#routes.get(spec.upstream)!, weight: "weight" in spec ? spec.weight : undefined, model: "model" in spec ? spec.model : undefined };
      })])
      .sort(([a], [b]) => Number(a.endsWith("*")) - Number(b.endsWith("*")) || b.length - a.length);
  }

  /** The routed model names (patterns ending in `*` are not listed). */
  async models(): Promise<ModelCard[]> {
    return this.#models.filter(([p]) => !p.endsWith("*")).map(([id]) => ({ id, object: "model", created: 0, owned_by: "rsk" }));
  }

  /** Ready while every routed model has a target whose breaker is not open and whose upstream answers. */
  async ready(): Promise<boolean> {
    const up = new Map<Route, Promise<boolean>>();
    const healthy = (r: Route) => {
      if (!up.has(r)) up.set(r, r.breaker.state === "open" ? Promise.resolve(false) : r.backend.ready());
      return up.get(r)!;
    };
    for (const [, targets] of this.#models) {
      const answers = await Promise.all(targets.map((t) => healthy(t.route)));
      if (!answers.includes(true)) return false;
    }
    return true;
  }

  /** Streams from the first target that produces an event, retrying and falling back before that. */
  async *generate(request: BackendRequest): AsyncIterable<BackendEvent> {
    const targets = this.#targetsFor(request.body.model);
    let last: ApiError | undefined;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i]!;
      const { route } = target;
      for (let attempt = 0; attempt <= this.#retry.attempts; attempt++) {
        if (request.signal.aborted) return;
        if (route.inFlight >= route.maxConcurrent || !route.breaker.allow()) {
          last ??= new ApiError(503, `upstream "${route.name}" is unavailable (circuit open or at its concurrency limit)`, { code: "upstream_unavailable" });
          break;
        }
        route.inFlight++;
        const body = target.model ? { ...request.body, model: target.model } : request.body;
        const events = route.backend.generate({ ...request, body } as BackendRequest)[Symbol.asyncIterator]();
        let first: IteratorResult<BackendEvent>;
        try {
          first = await events.next();
        } catch (err) {
          route.inFlight--;
          if (!retryable(err)) {
            route.breaker.released();
            throw err;
          }
          route.breaker.failed();
          last = err;
          const wait = this.#backoff(attempt, err);
          const next = wait === undefined || attempt === this.#retry.attempts ? targets[i + 1]?.route.name : route.name;
          if (next === undefined) break;
          this.events.retry?.(route.name, err, next);
          if (wait === undefined) break;
          await sleep(wait, request.signal);
          continue;
        }
        // Committed to this upstream: whatever happens now reaches the client as this response's end.
        route.breaker.succeeded();
        try {
          if (!first.done) yield first.value;
          for (let step = await events.next(); !step.done; step = await events.next()) yield step.value;
        } finally {
          route.inFlight--;
          await events.return?.();
        }
        return;
      }
    }
    throw last ?? new ApiError(503, "no upstream could take the request", { code: "upstream_unavailable" });
  }

  /** This model's targets in the order to try them: each balanced group shuffled by weight. */
  #targetsFor(model: string): Target[] {
    const match = this.#models.find(([p]) => (p.endsWith("*") ? model.startsWith(p.slice(0, -1)) : p === model));
    if (!match) throw new ApiError(404, `model "${model.slice(0, 128)}" is not routed to any upstream`, { param: "model", code: "model_not_found" });
    const ordered: Target[] = [];
    const targets = match[1];
    for (let i = 0; i < targets.length;) {
      let j = i;
      while (j < targets.length && targets[j]!.weight !== undefined) j++;
      if (j === i) ordered.push(targets[i++]!);
      else {
        ordered.push(...weightedOrder(targets.slice(i, j)));
        i = j;
      }
    }
    return ordered;
  }

  /** The wait before retrying the same target (undefined: fall back now instead). */
  #backoff(attempt: number, err: UpstreamError): number | undefined {
    if (attempt >= this.#retry.attempts) return undefined;
    const asked = err.status === 429 ? retryAfterMs(err) : undefined;
    if (asked !== undefined) return asked <= this.#retry.maxMs ? asked : undefined;
    const ceiling = Math.min(this.#retry.maxMs, this.#retry.baseMs * 2 ** attempt);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }
}

/** A weighted random order: each pick proportional to the weights left. */
function weightedOrder(group: Target[]): Target[] {
  const left = [...group];
  const out: Target[] = [];
  while (left.length > 0) {
    let r = Math.random() * left.reduce((s, t) => s + t.weight!, 0);
    const k = left.findIndex((t) => (r -= t.weight!) < 0);
    out.push(...left.splice(k === -1 ? left.length - 1 : k, 1));
  }
  return out;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
