/** The caller's address as a host hands it to the app (Hono's `c.env`), for counting refusals per source. */

/** What the host knows about the caller. */
export interface ClientInfo {
  /** The peer's IP address, when the runtime reports it. */
  address?: string;
}

/** The caller's address inside the app, from the `env` the host passed (`{ address }`). */
export const clientAddress = (c: { env: unknown }): string | undefined => (c.env as ClientInfo | undefined)?.address;
