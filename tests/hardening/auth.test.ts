/** API keys and JWTs in front of /v1/*: 401 and 403 in OpenAI's shape, the auth file's errors, open routes stay open. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import OpenAI from "openai";
import { bearerToken } from "../../src/auth/access.ts";
import { Authenticator, hashKey } from "../../src/auth/authenticator.ts";
import { AuthFileError } from "../../src/auth/file.ts";
import { loadAuthFile } from "../../src/auth/load-file.ts";
import { startHarness, type Harness } from "../server/harness.ts";
import { authFile, chat, errorOf, KEYS, POLICIES, sha256Hex, tempDir, writeJson } from "./fixtures.ts";

const ISSUER = "https://issuer.example";
const AUDIENCE = "rsk-tests";

describe("auth", () => {
  const tmp = tempDir("auth");
  let h: Harness;
  let sign: (claims: Record<string, unknown>, opts?: { issuer?: string; audience?: string; exp?: string | null }) => Promise<string>;

  before(async () => {
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" };
    writeJson(tmp.dir, "jwks.json", { keys: [jwk] });
    sign = (claims, opts = {}) => {
      const jwt = new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: "k1" }).setIssuedAt().setSubject("user-7")
        .setIssuer(opts.issuer ?? ISSUER).setAudience(opts.audience ?? AUDIENCE);
      return (opts.exp === null ? jwt : jwt.setExpirationTime(opts.exp ?? "5m")).sign(privateKey);
    };
    // requireExp left out: the default (exp required) is what is tested.
    const file = writeJson(tmp.dir, "auth.json", { ...authFile(), jwt: { jwks: "jwks.json", issuer: ISSUER, audience: AUDIENCE, tenantClaim: "org", policiesClaim: "rsk_policies" } });
    h = startHarness({ policy: POLICIES, access: { authenticator: new Authenticator(loadAuthFile(file)) } });
    h.upstream.scripts.set("m", { text: "hello" });
  });
  after(async () => {
    await h.close();
    tmp.remove();
  });

  const unauthorized: [string, Record<string, string>][] = [
    ["no Authorization header", {}],
    ["wrong key", { authorization: "Bearer sk-wrong" }],
    ["a key's sha256 sent as the key", { authorization: `Bearer ${sha256Hex(KEYS.admin)}` }],
    ["Basic scheme", { authorization: `Basic ${btoa(`x:${KEYS.admin}`)}` }],
    ["Bearer without a token", { authorization: "Bearer " }],
    ["key with trailing garbage", { authorization: `Bearer ${KEYS.admin} x` }],
  ];
  for (const [name, headers] of unauthorized) {
    test(`${name} → 401 in OpenAI's shape`, async () => {
      const res = await chat(h, undefined, {}, headers);
      assert.equal(res.status, 401, res.text);
      const err = errorOf(res);
      assert.equal(err.type, "authentication_error");
      assert.equal(err.code, "invalid_api_key");
      assert.equal(res.headers.get("www-authenticate"), "Bearer");
      assert.ok(!res.text.includes(KEYS.admin.slice(3)), "the key is never echoed");
    });
  }

  test("the right key passes (OpenAI SDK), with a request id", async () => {
    const client = new OpenAI({ baseURL: h.url, apiKey: KEYS.admin, maxRetries: 0 });
    const { data, response } = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] }).withResponse();
    assert.equal(data.choices[0]?.message.content, "hello");
    assert.match(response.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
  });

  test("the SDK surfaces a 401 as AuthenticationError", async () => {
    const client = new OpenAI({ baseURL: h.url, apiKey: "sk-nope", maxRetries: 0 });
    await assert.rejects(client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] }), OpenAI.AuthenticationError);
  });

  test("a key limited to some policies gets 403 for others, including the default", async () => {
    const ok = await chat(h, KEYS.strictOnly, {}, { "x-rsk-policy": "strict" });
    assert.equal(ok.status, 200, ok.text);
    for (const headers of [{}, { "x-rsk-policy": "permissive" }, { "x-rsk-policy": "no-such-policy" }] as Record<string, string>[]) {
      const res = await chat(h, KEYS.strictOnly, {}, headers);
      assert.equal(res.status, 403, res.text);
      const err = errorOf(res);
      assert.equal(err.type, "permission_error");
      assert.equal(err.code, "policy_forbidden");
      assert.equal(err.param, "x-rsk-policy");
      assert.match(err.message, /strict-only.*allowed: strict/);
    }
  });

  test("/v1/models is behind auth; /healthz and /metrics are not", async () => {
    const base = h.url.replace("/v1", "");
    assert.equal((await fetch(`${h.url}/models`)).status, 401);
    assert.equal((await fetch(`${h.url}/models`, { headers: { authorization: `Bearer ${KEYS.admin}` } })).status, 200);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/metrics`)).status, 200);
  });

  test("a valid JWT passes; its policies claim restricts policies", async () => {
    assert.equal((await chat(h, await sign({ org: "acme" }))).status, 200);
    const restricted = await sign({ org: "acme", rsk_policies: ["permissive"] });
    assert.equal((await chat(h, restricted, {}, { "x-rsk-policy": "permissive" })).status, 200);
    assert.equal((await chat(h, restricted)).status, 403);
  });

  const badTokens: [string, () => Promise<string>][] = [
    ["wrong issuer", () => sign({}, { issuer: "https://evil.example" })],
    ["wrong audience", () => sign({}, { audience: "someone-else" })],
    ["expired", () => sign({}, { exp: "-1m" })],
    ["tampered payload", async () => {
      const [head, , sig] = (await sign({})).split(".");
      return `${head}.${Buffer.from(JSON.stringify({ sub: "root", iss: ISSUER, aud: AUDIENCE })).toString("base64url")}.${sig}`;
    }],
    ["unsigned (alg none)", async () => `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(JSON.stringify({ iss: ISSUER, aud: AUDIENCE })).toString("base64url")}.`],
  ];
  for (const [name, token] of badTokens) {
    test(`JWT ${name} → 401`, async () => {
      assert.equal((await chat(h, await token())).status, 401);
    });
  }

  test("a JWT without exp → 401 naming the claim; an expired one → 401 saying so", async () => {
    const res = await chat(h, await sign({ org: "acme" }, { exp: null }));
    assert.equal(res.status, 401, res.text);
    assert.equal(errorOf(res).code, "invalid_api_key");
    assert.match(errorOf(res).message, /JWT has no exp claim.*jwt\.requireExp: false/);
    const expired = await chat(h, await sign({}, { exp: "-1m" }));
    assert.equal(expired.status, 401);
    assert.match(errorOf(expired).message, /JWT expired \(its exp claim is in the past\)/);
    // Nothing more specific for a bad signature or issuer: probing learns nothing about keys or issuer.
    assert.equal(errorOf(await chat(h, await sign({}, { issuer: "https://evil.example", exp: null }))).message, "invalid API key or token");
  });

  test("jwt.requireExp: false accepts a token without exp (still checking signature, issuer and expiry when present)", async () => {
    const file = writeJson(tmp.dir, "no-exp.json", { jwt: { jwks: "jwks.json", issuer: ISSUER, audience: AUDIENCE, requireExp: false } });
    const auth = new Authenticator(loadAuthFile(file));
    const ok = await auth.check(await sign({}, { exp: null }));
    assert.ok(ok.ok && ok.principal.id === "jwt:user-7", JSON.stringify(ok));
    assert.deepEqual(await auth.check(await sign({}, { exp: "-1m" })), { ok: false, message: "JWT expired (its exp claim is in the past): get a new token" });
    assert.equal((await auth.check(await sign({}, { audience: "other", exp: null }))).ok, false);
    const mistyped = writeJson(tmp.dir, "bad-exp.json", { jwt: { jwks: "jwks.json", issuer: ISSUER, audience: AUDIENCE, requireExp: "no" } });
    assert.throws(() => loadAuthFile(mistyped), /bad-exp\.json: \$\.jwt\.requireExp: /);
  });

  test("hashKey (Web Crypto, every host) gives the sha256 the auth file stores", async () => {
    for (const key of [KEYS.admin, "", "ключ 🔑"]) assert.equal(await hashKey(key), sha256Hex(key));
  });

  test("bearer parsing: scheme is case-insensitive, whitespace tolerated, nothing else", () => {
    assert.equal(bearerToken("Bearer abc"), "abc");
    assert.equal(bearerToken("bearer  abc "), "abc");
    assert.equal(bearerToken("Bearer"), undefined);
    assert.equal(bearerToken("Bearer a b"), undefined);
    assert.equal(bearerToken("Token abc"), undefined);
    assert.equal(bearerToken(undefined), undefined);
  });

  test("the auth file is validated with file and JSON path in every problem", () => {
    const bad = writeJson(tmp.dir, "bad.json", {
      keys: [
        { id: "a", sha256: "ABC" },
        { id: "a b", sha256: sha256Hex("x"), limits: { requestsPerSecond: -1, tokenz: 1 } },
      ],
      jwt: { jwks: "x.json", issuer: "", audience: "a" },
    });
    assert.throws(() => loadAuthFile(bad), (err: Error) => {
      assert.ok(err instanceof AuthFileError);
      assert.match(err.message, /bad\.json: \$\.keys\[0\]\.sha256: sha256 must be 64 lowercase hex digits/);
      assert.match(err.message, /bad\.json: \$\.keys\[1\]\.id: id must be/);
      assert.match(err.message, /bad\.json: \$\.keys\[1\]\.limits\.requestsPerSecond/);
      assert.match(err.message, /bad\.json: \$\.keys\[1\]\.limits\.tokenz/);
      assert.match(err.message, /bad\.json: \$\.jwt\.issuer/);
      return true;
    });
    const dup = writeJson(tmp.dir, "dup.json", { keys: [{ id: "a", sha256: sha256Hex("x") }, { id: "b", sha256: sha256Hex("x") }] });
    assert.throws(() => loadAuthFile(dup), /two keys have the same sha256/);
    assert.throws(() => loadAuthFile(writeJson(tmp.dir, "empty.json", {})), /at least one key or jwt/);
    assert.throws(() => loadAuthFile(`${tmp.dir}/missing.json`), /missing\.json: .*no such file/i);
  });

  test("a local JWKS that is not a key set fails at start-up, before any JWT arrives", () => {
    const jwt = { jwks: "keys.json", issuer: "i", audience: "a", tenantClaim: "tenant", policiesClaim: "policies", requireExp: true };
    for (const localJwks of [{}, { keys: {} }, { keys: ["x"] }, []]) {
      assert.throws(() => new Authenticator({ keys: [], jwt, localJwks } as never), /jwt\.jwks "keys\.json" is not a JWK set/);
    }
  });
});
