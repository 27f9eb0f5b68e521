/** The part of the Workers runtime module rsk's worker entry uses (types only; the runtime provides it). */
declare module "cloudflare:workers" {
  /** The worker's bindings (vars, secrets, Durable Object namespaces), readable at module scope. */
  export const env: Record<string, unknown>;
}
