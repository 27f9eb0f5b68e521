/** rsk on Node (`rsk/node`): `await startNode()` serves the gateway configured by RSK_* variables and PORT. */
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import type { Context } from "hono";
import { type StartedServer, startServer } from "./server.ts";

/** The peer address @hono/node-server exposes as `c.env.incoming`. */
const clientAddress = (c: Context): string | undefined =>
  (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress;

/**
 * Serves the gateway on node:http through @hono/node-server (which aborts a request's signal when its client goes
 * away). Beyond RSK_MAX_CONNECTIONS Node refuses the connection itself (`server.maxConnections`).
 */
export function startNode(env: Record<string, string | undefined> = process.env): Promise<StartedServer> {
  return startServer("node", async (built, config) => {
    const server = createAdaptorServer({ fetch: built.app.fetch }) as Server;
    server.maxConnections = config["max-connections"];
    // Receiving a request is bounded by the app (RSK_READ_TIMEOUT_MS); quiet SSE streams live on their heartbeat.
    server.requestTimeout = 0;
    server.headersTimeout = config["read-timeout-ms"];
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.port, config.host, () => resolve());
    });
    return {
      port: (server.address() as AddressInfo).port,
      stopAccepting: () => void server.close(),
      close: async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }, { env, clientAddress });
}
