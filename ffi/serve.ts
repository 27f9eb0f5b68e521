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
}

// Minimal shapes of the two runtimes' serve APIs (declared here so neither runtime's global types are needed).
interface BunServer { port: number; stop(closeActive?: boolean): Promise<void> | void }
interface BunGlobal { serve(o: { port: number; hostname: string; fetch: ServeOptions["fetch"]; idleTimeout: number }): BunServer }
interface DenoServer { addr: { port: number }; shutdown(): Promise<void> }
interface DenoGlobal {
  serve(o: { port: number; hostname: string; onListen: () => void }, handler: ServeOptions["fetch"]): DenoServer;
}

/** Serves `options.fetch` on Bun or Deno. */
export function serve(options: ServeOptions): RunningServer {
  const g = globalThis as { Bun?: BunGlobal; Deno?: DenoGlobal };
  if (g.Bun) {
    // idleTimeout 0: Bun (1.x) closes connections idle for 10 s by default, which would cut slow SSE streams.
    const server = g.Bun.serve({ port: options.port, hostname: options.hostname, fetch: options.fetch, idleTimeout: 0 });
    return { port: server.port, close: async () => void (await server.stop(true)) };
  }
  if (g.Deno) {
    const server = g.Deno.serve({ port: options.port, hostname: options.hostname, onListen: () => {} }, options.fetch);
    return { port: server.addr.port, close: () => server.shutdown() };
  }
  throw new Error("rsk needs Bun or Deno to serve HTTP (no Bun or Deno global found)");
}
