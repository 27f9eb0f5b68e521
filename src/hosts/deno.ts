/**
 * rsk for `deno serve`, Deno Deploy and Netlify Edge (`rsk/deno`): `export { default } from "rsk/deno"`. Settings come
 * from the environment (`--allow-env`); nothing else is needed (no `--allow-read`, no `--allow-ffi`).
 */
import { buildGateway } from "../server/build.ts";
import type { ClientInfo } from "../server/client.ts";
import { clientAddress } from "../server/client.ts";
import { readConfig } from "../server/config.ts";

interface DenoHost {
  env: { toObject(): Record<string, string> };
  exit(code: number): never;
}

const deno = (globalThis as unknown as { Deno: DenoHost }).Deno;

/** Built at module load, so a bad setting stops `deno serve` before it listens, with one line saying why. */
const gateway = (() => {
  try {
    return buildGateway(readConfig({}, deno.env.toObject()), { host: "deno", exposed: true, clientAddress, log: (line) => console.error(line) });
  } catch (err) {
    console.error(`rsk: cannot start: ${err instanceof Error ? err.message : String(err)}`);
    return deno.exit(1);
  }
})();

/** The `deno serve` handler. */
export default {
  fetch(request: Request, info?: { remoteAddr?: { hostname?: string } }): Response | Promise<Response> {
    const client: ClientInfo = { address: info?.remoteAddr?.hostname };
    return gateway.app.fetch(request, client);
  },
};
