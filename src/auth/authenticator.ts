/** Who is calling: a bearer token checked against hashed API keys (constant time) or, optionally, a JWT (jose). */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { createLocalJWKSet, createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from "jose";
import type { AuthFile, CallerLimits } from "./file.ts";

/** An authenticated caller. */
export interface Principal {
  /** Key id (or `jwt:<sub>`): names the caller in audit records and rate-limit buckets. */
  id: string;
  /** Tenant, for audit and billing; null when the key has none. */
  tenant: string | null;
  /** Policies this caller may select; undefined = all. */
  policies?: ReadonlySet<string>;
  /** Rate limits; undefined = unlimited. */
  limits?: CallerLimits;
}

/** The caller when no auth is configured (open gateway). */
export const ANONYMOUS: Principal = { id: "anonymous", tenant: null };

/** sha256 of a key, hex: what the auth file stores (`rsk auth hash-key`). */
export function hashKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

interface KeyEntry {
  digest: Buffer;
  principal: Principal;
}

/** Resolves bearer tokens to principals; undefined when the token is not valid. */
export class Authenticator {
  readonly #keys: KeyEntry[];
  readonly #jwt: AuthFile["jwt"];
  readonly #jwks: JWTVerifyGetKey | undefined;

  constructor(file: AuthFile) {
    this.#keys = file.keys.map((k) => ({
      digest: Buffer.from(k.sha256, "hex"),
      principal: { id: k.id, tenant: k.tenant ?? null, policies: k.policies && new Set(k.policies), limits: k.limits },
    }));
    this.#jwt = file.jwt;
    this.#jwks = file.jwt && (/^https?:\/\//i.test(file.jwt.jwks)
      ? createRemoteJWKSet(new URL(file.jwt.jwks))
      : createLocalJWKSet(JSON.parse(readFileSync(file.jwt.jwks, "utf8"))));
  }

  /** How many keys are configured and whether JWTs are accepted, for the start-up log. */
  describe(): string {
    return `${this.#keys.length} API key(s)${this.#jwt ? `, JWT from ${this.#jwt.issuer}` : ""}`;
  }

  /** The principal for `token`, or undefined. Key lookup compares every configured digest (no early exit). */
  async authenticate(token: string): Promise<Principal | undefined> {
    const digest = createHash("sha256").update(token, "utf8").digest();
    let found: Principal | undefined;
    for (const key of this.#keys) {
      if (timingSafeEqual(digest, key.digest) && !found) found = key.principal;
    }
    if (found) return found;
    if (this.#jwt && this.#jwks && token.split(".").length === 3) return this.#verifyJwt(token, this.#jwt, this.#jwks);
    return undefined;
  }

  async #verifyJwt(token: string, jwt: NonNullable<AuthFile["jwt"]>, jwks: JWTVerifyGetKey): Promise<Principal | undefined> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, jwks, { issuer: jwt.issuer, audience: jwt.audience }));
    } catch {
      return undefined;
    }
    const sub = typeof payload.sub === "string" ? payload.sub.slice(0, 128) : "unknown";
    const tenant = payload[jwt.tenantClaim];
    const claimed = payload[jwt.policiesClaim];
    const policies = Array.isArray(claimed) && claimed.every((p) => typeof p === "string")
      ? new Set(claimed as string[])
      : jwt.policies && new Set(jwt.policies);
    return { id: `jwt:${sub}`, tenant: typeof tenant === "string" ? tenant : null, policies, limits: jwt.limits };
  }
}
