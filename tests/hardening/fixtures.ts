/** Shared pieces of the hardening tests: temp folders, an auth file with known keys, raw requests to a harness. */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { hashKey } from "../../src/auth/authenticator.ts";
import type { AuthFile } from "../../src/auth/file.ts";
import type { Harness } from "../server/harness.ts";

/** Repository root (with a trailing slash). */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** The shipped policies folder: default, strict, permissive. */
export const POLICIES = `${ROOT}policies`;

/** A temporary folder and its removal. */
export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `rsk-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Plaintext keys the tests send; the auth file holds only their hashes. */
export const KEYS = {
  /** Every policy, no limits, tenant acme. */
  admin: "sk-admin-0123456789abcdef",
  /** Only the strict policy. */
  strictOnly: "sk-strict-0123456789abcdef",
  /** 2 requests/s with a burst of 2. */
  slow: "sk-slow-0123456789abcdef",
  /** 50 tokens per minute. */
  frugal: "sk-frugal-0123456789abcdef",
} as const;

/** sha256 of each of KEYS, as the auth file stores it. */
const DIGESTS = Object.fromEntries(await Promise.all(Object.entries(KEYS).map(async ([name, key]) => [name, await hashKey(key)]))) as Record<keyof typeof KEYS, string>;

/** The auth file for KEYS (plus optional extra sections). */
export function authFile(extra: Partial<AuthFile> = {}): AuthFile {
  return {
    keys: [
      { id: "admin", sha256: DIGESTS.admin, tenant: "acme" },
      { id: "strict-only", sha256: DIGESTS.strictOnly, policies: ["strict"] },
      { id: "slow", sha256: DIGESTS.slow, limits: { requestsPerSecond: 0.5, burst: 2 } },
      { id: "frugal", sha256: DIGESTS.frugal, limits: { tokensPerMinute: 50 } },
    ],
    ...extra,
  };
}

/** Writes `content` as JSON into `dir/name` and returns the path. */
export function writeJson(dir: string, name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content, null, 2));
  return path;
}

/** A response read whole. */
export interface Reply {
  /** HTTP status. */
  status: number;
  /** Response headers. */
  headers: Headers;
  /** Body text. */
  text: string;
}

/** POSTs a chat completion to the harness with `key` (none when undefined) and extra headers. */
export async function chat(h: Harness, key: string | undefined, body: object = {}, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`${h.url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key === undefined ? {} : { authorization: `Bearer ${key}` }), ...headers },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], ...body }),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The error body of a reply. */
export function errorOf(reply: Reply): { message: string; type: string; param: string | null; code: string | null } {
  return (JSON.parse(reply.text) as { error: ReturnType<typeof errorOf> }).error;
}

/** Waits `ms`. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** sha256 hex by node:crypto: what `hashKey` (Web Crypto) must agree with. */
export const sha256Hex = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex");
