/** rsk on Bun (`rsk/bun`): `await startBun()` serves the gateway configured by RSK_* variables and PORT. */
import { clientAddress, serve } from "../../ffi/serve.ts";
import { overloaded, type StartedServer, startServer } from "./server.ts";

/** Serves the gateway on Bun.serve; the idle timeout outlasts the SSE heartbeat so quiet streams are never cut. */
export function startBun(env: Record<string, string | undefined> = process.env): Promise<StartedServer> {
  return startServer("bun", (built, config) => serve({
    port: config.port,
    hostname: config.host,
    fetch: (request, info) => built.app.fetch(request, info),
    idleTimeoutMs: Math.max(config["read-timeout-ms"], config["sse-heartbeat-ms"] + 5000),
    maxInFlight: config["max-connections"],
    overloaded: overloaded(config),
    log: (line) => console.error(line),
  }), { env, clientAddress });
}
