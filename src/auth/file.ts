/** The auth file (`RSK_AUTH`): API keys as sha256 hashes, each with a tenant, allowed policies and limits; optional JWT. */
import * as v from "valibot";
import { jsonPath } from "../policy/compile.ts";

const Limits = v.strictObject({
  requestsPerSecond: v.optional(v.pipe(v.number(), v.gtValue(0), v.maxValue(1e6), v.description("Sustained request rate."))),
  burst: v.optional(v.pipe(v.number(), v.minValue(1), v.maxValue(1e6), v.description("Requests allowed at once (default: max(1, requestsPerSecond))."))),
  tokensPerMinute: v.optional(v.pipe(v.number(), v.gtValue(0), v.maxValue(1e9), v.description("Prompt + completion tokens per minute (estimated as characters / 4)."))),
});

const Policies = v.optional(v.pipe(
  v.array(v.pipe(v.string(), v.minLength(1))),
  v.minLength(1, "list at least one policy, or omit the field to allow every policy"),
  v.description("Policy names this caller may select; omitted = every loaded policy."),
));

const Key = v.strictObject({
  id: v.pipe(v.string(), v.regex(/^[\w.-]{1,64}$/, "id must be 1-64 letters, digits, '.', '_' or '-'"), v.description("Names the key in logs and audit records (never the key itself).")),
  sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, "sha256 must be 64 lowercase hex digits (rsk auth hash-key)"), v.description("sha256 of the key, hex.")),
  tenant: v.optional(v.pipe(v.string(), v.maxLength(128))),
  policies: Policies,
  limits: v.optional(Limits),
});

const Jwt = v.strictObject({
  jwks: v.pipe(v.string(), v.minLength(1), v.description("JWKS file (relative to the auth file) or https URL.")),
  issuer: v.pipe(v.string(), v.minLength(1)),
  audience: v.pipe(v.string(), v.minLength(1)),
  tenantClaim: v.optional(v.pipe(v.string(), v.minLength(1)), "tenant"),
  policiesClaim: v.optional(v.pipe(v.string(), v.minLength(1)), "rsk_policies"),
  policies: Policies,
  limits: v.optional(Limits),
  requireExp: v.optional(
    v.pipe(v.boolean(), v.description("Refuse tokens without an `exp` claim (default true): a token that never expires stays valid after a leak. false only for an issuer that cannot set exp.")),
    true,
  ),
});

/** The auth file as written on disk. */
export const AuthFileSchema = v.pipe(
  v.strictObject({
    $schema: v.optional(v.string()),
    keys: v.optional(v.array(Key), []),
    jwt: v.optional(Jwt),
  }),
  v.check((f) => new Set(f.keys.map((k) => k.id)).size === f.keys.length, "key ids must be unique"),
  v.check((f) => new Set(f.keys.map((k) => k.sha256)).size === f.keys.length, "two keys have the same sha256"),
  v.check((f) => f.keys.length > 0 || f.jwt !== undefined, "configure at least one key or jwt (no RSK_AUTH = open gateway)"),
);

/** A validated auth file. */
export type AuthFile = v.InferOutput<typeof AuthFileSchema>;
/** Per-caller rate limits. */
export type CallerLimits = v.InferOutput<typeof Limits>;

/** An auth file that failed to load; the message lists every problem as `file: $.path: message`. */
export class AuthFileError extends Error {
  constructor(problems: string[]) {
    super(`invalid auth file:\n  ${problems.join("\n  ")}`);
    this.name = "AuthFileError";
  }
}

/** Validates an auth file's JSON; `origin` (its path or name) prefixes every problem. */
export function parseAuthFile(json: unknown, origin: string): AuthFile {
  const parsed = v.safeParse(AuthFileSchema, json);
  if (!parsed.success) {
    throw new AuthFileError(parsed.issues.map((i) => `${origin}: ${jsonPath(i.path?.map((p) => p.key) ?? [])}: ${i.message}`));
  }
  return parsed.output;
}
