/** Starts an HTTP server on whichever runtime is underneath (Bun.serve or Deno.serve): the app itself is neutral. */
import type { ClientInfo } from "../src/server/client.ts";
import { oneLine } from "../src/server/errors.ts";

/** A running server. */
export interface RunningServer {
  /** Bound port (the real one when 0 was asked for). */
  readonly port: number;
  /** Stops accepting connections; requests in flight go on (a drain). */
  stopAccepting(): void;
  /** Stops accepting connections and closes open ones. */
  close(): Promise<void>;
}

/** Where to listen and what to call per request. */
export interface ServeOptions {
  /** Port; 0 picks a free one. */
  port: number;
  /** Interface to bind. */
  hostname: string;
  /** The app's fetch handler; `env` (Hono's `c.env`) tells who is calling. */
  fetch: (request: Request, env: ClientInfo) => Response | Promise<Response>;
  /**
   * Longest silence on a connection outside the handler (request headers, keep-alive gaps, a response stream nobody
   * reads), in ms; omitted or 0 = none. Bun: `idleTimeout`, lifted while the handler runs (the app's own deadlines
   * bound that phase). Deno 2.9 has no such knob: there, half-sent headers are only shed when accepting fails.
   */
  idleTimeoutMs?: number;
  /** Requests in flight at most (headers received until the response is written); one more gets `overloaded()`. */
  maxInFlight?: number;
  /** The answer beyond `maxInFlight` (default: a bare 503); sent with `Connection: close`. */
  overloaded?: () => Response;
  /** Where one-line notes about the listener go (accept failures, at most one per second). */
  log?: (line: string) => void;
}

export { type ClientInfo, clientAddress } from "../src/server/client.ts";

// Minimal shapes of the two runtimes' serve APIs (declared here so neither runtime's global types are needed).
interface BunServer {
  port: number;
  pendingRequests: number;
  timeout(request: Request, seconds: number): void;
  requestIP(request: Request): { address: string } | null;
  stop(closeActive?: boolean): Promise<void> | void;
}
interface BunGlobal {
  serve(o: { port: number; hostname: string; idleTimeout: number; fetch: (request: Request, server: BunServer) => Response | Promise<Response> }): BunServer;
}
interface DenoServer { addr: { port: number }; finished: Promise<void>; shutdown(): Promise<void> }
interface DenoGlobal {
  serve(
    o: { port: number; hostname: string; onListen: () => void; onError: (error: unknown) => Response },
    handler: (request: Request, info: { completed: Promise<void>; remoteAddr?: { hostname?: string } }) => Response | Promise<Response>,
  ): DenoServer;
}

/** Serves `options.fetch` on Bun or Deno. */
export function serve(options: ServeOptions): RunningServer {
  const g = globalThis as { Bun?: BunGlobal; Deno?: DenoGlobal };
  if (g.Bun) return serveBun(g.Bun, options);
  if (g.Deno) return serveDeno(g.Deno, options);
  throw new Error("rsk needs Bun or Deno to serve HTTP (no Bun or Deno global found)");
}

function overload(options: ServeOptions): Response {
  const res = options.overloaded?.() ?? new Response("server busy\n", { status: 503 });
  res.headers.set("connection", "close");
  return res;
}

/**
 * Bun (1.4): `idleTimeout` is in whole seconds (1–255) and checked on a 4-second tick, so the effective limit is
 * up to 4 s longer; writes reset it. A pending handler counts as idle, so it is switched off per request while the
 * handler runs (`server.timeout(request, 0)`) and switched back on for the response: an SSE stream stays alive by
 * its heartbeat, a client that stopped reading is cut. `pendingRequests` counts requests until their response ends.
 */
function serveBun(bun: BunGlobal, options: ServeOptions): RunningServer {
  const idle = options.idleTimeoutMs ? Math.min(255, Math.max(1, Math.ceil(options.idleTimeoutMs / 1000))) : 0;
  const max = options.maxInFlight ?? Infinity;
  const server = bun.serve({
    port: options.port,
    hostname: options.hostname,
    idleTimeout: idle,
    fetch: async (request, srv) => {
      if (srv.pendingRequests > max) return overload(options); // this request is counted already
      const env: ClientInfo = { address: srv.requestIP(request)?.address };
      if (idle === 0) return options.fetch(request, env);
      srv.timeout(request, 0);
      try {
        return await options.fetch(request, env);
      } finally {
        try {
          srv.timeout(request, idle);
        } catch {
          // the connection is already gone
        }
      }
    },
  });
  return {
    port: server.port,
    stopAccepting: () => void server.stop(false),
    close: async () => void (await server.stop(true)),
  };
}

/**
 * Deno (2.9): no header or idle timeout, and no connection count, so requests in flight are counted here: from the
 * handler's start until `info.completed` settles (response written or connection closed), or until the handler
 * gives up on the request (`Connection: close`, e.g. a 408 for a body that timed out).
 *
 * Deno 2.9.6 limits, found by trying:
 * - Once a handler has started reading a request body and abandons it, nothing closes that connection until the
 *   client sends the rest or goes away: not `Connection: close`, not cancelling the body, not a graceful or an
 *   aborted shutdown of the server. The client gets its 408 on time and stops counting as in flight, but its
 *   descriptor is held (Bun closes it).
 * - When accepting fails (EMFILE: every descriptor held, often by connections that never finished their headers),
 *   `finished` rejects and the listener is gone; unobserved, that rejection kills the process. Here it is logged
 *   (at most once a second), the dead server is shut down gracefully (its idle and half-open connections close at
 *   once, responses in flight finish) and the same port is listened on again, retried until descriptors are free.
 * - It panics (ext/signals) if a signal listener is first registered while descriptors are exhausted: entry points
 *   register theirs before traffic arrives.
 */
function serveDeno(deno: DenoGlobal, options: ServeOptions): RunningServer {
  const max = options.maxInFlight ?? Infinity;
  let inFlight = 0;
  const handler = async (request: Request, info: { completed: Promise<void>; remoteAddr?: { hostname?: string } }) => {
    // An unread body is never touched here, so `closingAfter` does close these connections.
    if (inFlight >= max) return closingAfter(overload(options));
    inFlight++;
    let counted = true;
    const done = () => {
      if (counted) inFlight--;
      counted = false;
    };
    info.completed.then(done, done);
    const response = await options.fetch(request, { address: info.remoteAddr?.hostname });
    if (response.headers.get("connection")?.toLowerCase() === "close") done();
    return response;
  };
  const note = throttled(options.log ?? (() => {}), 1000);
  const onError = (err: unknown) => {
    if (!(err instanceof ConnectionClose)) note(`rsk: request failed: ${oneLine(err)}`);
    return new Response(null, { status: 500 });
  };
  let port = options.port;
  let current: DenoServer | undefined;
  const draining = new Set<Promise<void>>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const listen = (first: boolean) => {
    timer = undefined;
    if (closed) return;
    try {
      const server = deno.serve({ port, hostname: options.hostname, onListen: () => {}, onError }, handler);
      current = server;
      port = server.addr.port;
      server.finished.catch((err: unknown) => {
        if (closed || current !== server) return;
        note(`rsk: accepting connections failed (${oneLine(err)}); shedding idle connections, listening again on port ${port}`);
        current = undefined;
        const drained = server.shutdown().catch(() => {});
        draining.add(drained);
        void drained.then(() => draining.delete(drained));
        timer = setTimeout(() => listen(false), 50);
      });
    } catch (err) {
      if (first) throw err; // a real start-up error (port in use, bad host)
      note(`rsk: listening again on port ${port} failed (${oneLine(err)}); retrying`);
      timer = setTimeout(() => listen(false), 250);
    }
  };

  listen(true);
  // Deno's shutdown() is itself graceful (stops accepting, lets responses in flight finish): both calls share it.
  let shutdown: Promise<void> | undefined;
  const stop = () => {
    closed = true;
    clearTimeout(timer);
    return (shutdown ??= Promise.all([current?.shutdown(), ...draining]).then(() => {}));
  };
  return {
    port,
    stopAccepting: () => void stop(),
    close: stop,
  };
}

/** Raised by a `closingAfter` body once its last byte is out: it tells Deno to drop the connection. */
class ConnectionClose extends Error {}

/**
 * Deno 2.9 keeps a connection open after a `Connection: close` response while the request body is still arriving
 * (a sender refused at the cap would keep its descriptor). When the body was never read, a response body that
 * errors after its last byte makes it drop the connection: the client gets the status, headers and body, then the
 * close (the chunked body lacks its final empty chunk, which the sender of an unfinished request cannot use anyway).
 */
function closingAfter(response: Response): Response {
  const reader = response.body?.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const step = reader ? await reader.read() : { done: true as const, value: undefined };
      if (step.done) controller.error(new ConnectionClose("connection closed after the response"));
      else controller.enqueue(step.value);
    },
    cancel: (reason) => reader?.cancel(reason),
  });
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

/** `log`, at most once per `ms`; suppressed lines are counted in the next one (its other arguments, e.g. a level, pass on). */
export function throttled<A extends unknown[]>(log: (line: string, ...rest: A) => void, ms: number): (line: string, ...rest: A) => void {
  let last = -Infinity;
  let suppressed = 0;
  return (line, ...rest) => {
    const now = performance.now();
    if (now - last < ms) return void suppressed++;
    log(suppressed ? `${line} (+${suppressed} similar)` : line, ...rest);
    last = now;
    suppressed = 0;
  };
}

