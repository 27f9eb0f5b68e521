/** Who is calling: a bearer token checked against hashed API keys (constant time) or, optionally, a JWT (jose). */
import type { JSONWebKeySet, JWTVerifyGetKey } from "jose";
import { once } from "../server/once.ts";
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
export async function hashKey(key: string): Promise<string> {
  return [...await sha256(key)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** An auth file plus, when its JWKS is a local file, the key set read from it (`loadAuthFile` on servers). */
export type AuthSettings = AuthFile & { readonly localJwks?: JSONWebKeySet };

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/** Equal-length byte arrays compared in time independent of where they differ (Web Crypto has no such compare). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ (b[i] ?? 0);
  return diff === 0;
}

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
}

/** The outcome of checking a bearer token: the caller, or why the token was refused (sent to the client in the 401). */
export type Authentication = { ok: true; principal: Principal } | { ok: false; message: string };

/** What a refused token is told unless a more useful (and harmless) reason is known. */
const INVALID = "invalid API key or token";

interface KeyEntry {
  digest: Uint8Array;
  principal: Principal;
}

/** jose and the key set it checks JWTs against. */
interface JwtKeys {
  jose: typeof import("jose");
  keys: JWTVerifyGetKey;
}

/** Resolves bearer tokens to principals; undefined when the token is not valid. */
export class Authenticator {
  readonly #keys: KeyEntry[];
  readonly #jwt: AuthFile["jwt"];
  /** jose is loaded by the first JWT (a gateway with API keys only never loads it). */
  readonly #jwks: (() => Promise<JwtKeys>) | undefined;

  /**
   * Throws when `jwt.jwks` is a path but no key set was read from it (hosts without a file system need a URL), or
   * when what was read is not a key set.
   */
  constructor(file: AuthSettings) {
    this.#keys = file.keys.map((k) => ({
      digest: fromHex(k.sha256),
      principal: { id: k.id, tenant: k.tenant ?? null, policies: k.policies && new Set(k.policies), limits: k.limits },
    }));
    this.#jwt = file.jwt;
    if (!file.jwt) return;
    const remote = /^https?:\/\//i.test(file.jwt.jwks) ? new URL(file.jwt.jwks) : undefined;
    const local = remote ? undefined : keySet(file.localJwks ?? noLocalJwks(file.jwt.jwks), file.jwt.jwks);
    this.#jwks = once(() => import("jose").then((jose) => ({ jose, keys: remote ? jose.createRemoteJWKSet(remote) : jose.createLocalJWKSet(local!) })));
  }

  /** Whether any caller has rate limits (they need a bucket store shared by every instance). */
  get limited(): boolean {
    return this.#keys.some((k) => k.principal.limits !== undefined) || this.#jwt?.limits !== undefined;
  }

  /** How many keys are configured and whether JWTs are accepted, for the start-up log. */
  describe(): string {
    return `${this.#keys.length} API key(s)${this.#jwt ? `, JWT from ${this.#jwt.issuer}` : ""}`;
  }

  /** The principal for `token`, or undefined; see check() for the reason of a refusal. */
  async authenticate(token: string): Promise<Principal | undefined> {
    const result = await this.check(token);
    return result.ok ? result.principal : undefined;
  }

  /** Checks `token`. Key lookup compares every configured digest (no early exit). */
  async check(token: string): Promise<Authentication> {
    const digest = await sha256(token);
    let found: Principal | undefined;
    for (const key of this.#keys) {
      if (sameBytes(digest, key.digest) && !found) found = key.principal;
    }
    if (found) return { ok: true, principal: found };
    if (this.#jwt && this.#jwks && token.split(".").length === 3) return this.#verifyJwt(token, this.#jwt, await this.#jwks());
    return { ok: false, message: INVALID };
  }

  async #verifyJwt(token: string, jwt: NonNullable<AuthFile["jwt"]>, { jose, keys }: JwtKeys): Promise<Authentication> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jose.jwtVerify(token, keys, { issuer: jwt.issuer, audience: jwt.audience }));
    } catch (err) {
      return { ok: false, message: jwtRefusal(jose.errors, err) };
    }
    // Checked here rather than with jose's requiredClaims (which tests presence before issuer and audience), so only a
    // token that is otherwise valid hears about its missing exp. jose has already checked an exp that is present.
    if (jwt.requireExp && payload.exp === undefined) {
      return { ok: false, message: "JWT has no exp claim: this gateway accepts only tokens that expire (the auth file can opt out with jwt.requireExp: false)" };
    }
    const sub = typeof payload.sub === "string" ? payload.sub.slice(0, 128) : "unknown";
    const tenant = payload[jwt.tenantClaim];
    const claimed = payload[jwt.policiesClaim];
    const policies = Array.isArray(claimed) && claimed.every((p) => typeof p === "string")
      ? new Set(claimed as string[])
      : jwt.policies && new Set(jwt.policies);
    return { ok: true, principal: { id: `jwt:${sub}`, tenant: typeof tenant === "string" ? tenant : null, policies, limits: jwt.limits } };
  }
}

/** `set` if it has the shape of a JWK set (what jose would refuse at its first use is refused at start-up). */
function keySet(set: JSONWebKeySet, path: string): JSONWebKeySet {
  const keys = (set as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === "object" && k !== null && !Array.isArray(k))) {
    throw new Error(`auth: jwt.jwks "${path}" is not a JWK set (an object with a "keys" array of JWKs)`);
  }
  return set;
}

function noLocalJwks(path: string): never {
  throw new Error(`auth: jwt.jwks "${path}" is a file, but no key set was read from it: on a host without a file system give an https URL`);
}

/**
 * The 401 message for a JWT that jose refused. Only `exp` problems are named: jose checks exp after the signature,
 * issuer and audience, so they concern an otherwise valid token and tell its holder what to fix. Every other failure
 * gets the generic message, so nothing is learned about keys, issuer or audience by probing.
 */
function jwtRefusal(errors: typeof import("jose").errors, err: unknown): string {
  if (err instanceof errors.JWTExpired && err.claim === "exp") return "JWT expired (its exp claim is in the past): get a new token";
  if (err instanceof errors.JWTClaimValidationFailed && err.claim === "exp") return "JWT exp claim is not a number of seconds";
  return INVALID;
}
