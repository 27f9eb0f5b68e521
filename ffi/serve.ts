/** Starts an HTTP server on whichever runtime is underneath (Bun.serve or Deno.serve): the app itself is neutral. */

/** A running server. */
export interface RunningServer {
  /** Bound port (the real one when 0 was asked for). */
  readonly port: number;
  /** Stops accepting connections and closes open ones. */
  close(): Promise<void>;
}

/** Where to listen and what to call per request. */
export interface ServeOptions {
  /** Port; 0 picks a free one. */
  port: number;
  /** Interface to bind. */
  hostname: string;
  /** The app's fetch handler. */
  fetch: (request: Request) => Response | Promise<Response>;
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

// Minimal shapes of the two runtimes' serve APIs (declared here so neither runtime's global types are needed).
interface BunServer { port: number; pendingRequests: number; timeout(request: Request, seconds: number): void; stop(closeActive?: boolean): Promise<void> | void }
interface BunGlobal {
  serve(o: { port: number; hostname: string; idleTimeout: number; fetch: (request: Request, server: BunServer) => Response | Promise<Response> }): BunServer;
}
interface DenoServer { addr: { port: number }; finished: Promise<void>; shutdown(): Promise<void> }
interface DenoGlobal {
  serve(
    o: { port: number; hostname: string; onListen: () => void },
    handler: (request: Request, info: { completed: Promise<void> }) => Response | Promise<Response>,
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
      if (idle === 0) return options.fetch(request);
      srv.timeout(request, 0);
      try {
        return await options.fetch(request);
      } finally {
        try {
          srv.timeout(request, idle);
        } catch {
          // the connection is already gone
        }
      }
    },
  });
  return { port: server.port, close: async () => void (await server.stop(true)) };
}

/**
 * Deno (2.9): no header or idle timeout, and no connection count, so requests in flight are counted here
 * (`info.completed` settles when the response is written or the connection closes). When accepting fails
 * (EMFILE: every descriptor held, often by connections that never finished their headers), `Deno.serve`'s
 * `finished` rejects and the listener is gone; unobserved, that rejection kills the process. Here it is logged,
 * the dead server is shut down gracefully (its idle and half-open connections close at once, responses in flight
 * finish) and the same port is listened on again, retried until descriptors are free.
 * Deno 2.9.6 also panics (ext/signals) if a signal listener is first registered while descriptors are exhausted:
 * entry points register theirs before traffic arrives.
 */
function serveDeno(deno: DenoGlobal, options: ServeOptions): RunningServer {
  const max = options.maxInFlight ?? Infinity;
  let inFlight = 0;
  const handler = (request: Request, info: { completed: Promise<void> }) => {
    if (inFlight >= max) return overload(options);
    inFlight++;
    info.completed.then(done, done);
    return options.fetch(request);
  };
  const done = () => void inFlight--;
  const note = throttled(options.log ?? (() => {}), 1000);
  let port = options.port;
  let current: DenoServer | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  const listen = () => {
    retry = undefined;
    if (closed) return;
    try {
      const server = deno.serve({ port, hostname: options.hostname, onListen: () => {} }, handler);
      current = server;
      port = server.addr.port;
      server.finished.catch((err: unknown) => {
        if (closed) return;
        note(`rsk: accepting connections failed (${firstLine(err)}); idle connections shed, listening again on port ${port}`);
        server.shutdown().catch(() => {});
        retry = setTimeout(listen, 50);
      });
    } catch (err) {
      if (current === undefined) throw err; // the first listen: a real start-up error (port in use, bad host)
      note(`rsk: listening again on port ${port} failed (${firstLine(err)}); retrying`);
      retry = setTimeout(listen, 250);
    }
  };
  listen();
  return {
    port,
    close: async () => {
      closed = true;
      clearTimeout(retry);
      await current?.shutdown();
    },
  };
}

/** `log`, at most once per `ms`; suppressed lines are counted in the next one. */
export function throttled(log: (line: string) => void, ms: number): (line: string) => void {
  let last = -Infinity;
  let suppressed = 0;
  return (line) => {
    const now = performance.now();
    if (now - last < ms) return void suppressed++;
    log(suppressed ? `${line} (+${suppressed} similar)` : line);
    last = now;
    suppressed = 0;
  };
}

const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split("\n", 1)[0]!.slice(0, 200);
