/**
 * rsk as a Cloudflare Worker (`rsk/workers`): `export { default, BucketObject } from "rsk/workers"`. Settings are the
 * worker's vars and secrets (RSK_UPSTREAM_URL, RSK_AUTH_JSON, RSK_POLICY as URLs…); rate limits go to the
 * `RSK_BUCKETS` Durable Object binding, audit records to RSK_AUDIT_URL. Needs the `nodejs_compat`-free build and, to
 * see a client that goes away while nothing is being written, the `enable_request_signal` compatibility flag.
 */
import { env as workerEnv } from "cloudflare:workers";
import type { ExecutionContext } from "hono";
import { DurableBucketStore, type BucketNamespace } from "../auth/durable-store.ts";
import { defaultPolicies } from "../policy/default.ts";
import { buildGateway, type BuiltGateway } from "../server/build.ts";
import { readConfig } from "../server/config.ts";

/** The request of the moment, whose context (`waitUntil` keeps the isolate up) background audit sends go to. */
let current: ExecutionContext | undefined;

/** Builds the gateway from the worker's bindings; a bad setting throws here, at start-up. */
function build(env: Record<string, unknown>): BuiltGateway {
  const vars = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === "string"));
  const config = readConfig({}, vars);
  const buckets = env.RSK_BUCKETS as BucketNamespace | undefined;
  return buildGateway(config, {
    host: "workers",
    exposed: true,
    // Compiled here, at module scope: the first request pays no policy compile.
    policies: config.policy ? undefined : defaultPolicies(),
    buckets: buckets && new DurableBucketStore(buckets),
    sharedBuckets: "bind a Durable Object namespace of the exported BucketObject class as RSK_BUCKETS (memory buckets would be per isolate)",
    waitUntil: (promise) => current?.waitUntil(promise),
    clientAddress: (c) => c.req.header("cf-connecting-ip"),
    // Without `enable_request_signal` (and behind wrangler's dev proxy even with it) a client that leaves is seen only
    // as a cancelled response body: a held-back stream answers its headers early so that there is one to cancel.
    sseHeadersAfterMs: 1000,
    log: (line) => console.log(line),
  });
}

const gateway = build(workerEnv as Record<string, unknown>);

export { BucketObject } from "../auth/durable-store.ts";

/** The module worker. */
export default {
  fetch(request: Request, env: unknown, ctx: ExecutionContext): Response | Promise<Response> {
    current = ctx;
    return gateway.app.fetch(request, env, ctx);
  },
};
