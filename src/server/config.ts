/** Gateway configuration from environment variables and CLI flags (flags win), validated with clear errors. */
import * as v from "valibot";
import { LOG_FORMATS, LOG_LEVELS } from "../obs/log.ts";

/** Flag name → environment variable, the stable configuration surface documented in the README. */
export const SETTINGS = {
  port: "PORT",
  host: "RSK_HOST",
  policy: "RSK_POLICY",
  "policy-refresh-ms": "RSK_POLICY_REFRESH_MS",
  upstream: "RSK_UPSTREAM_URL",
  "upstream-dialect": "RSK_UPSTREAM_DIALECT",
  upstreams: "RSK_UPSTREAMS",
  model: "RSK_MODEL",
  kernels: "RSK_KERNELS",
  packs: "RSK_PACKS",
  "pack-keys": "RSK_PACK_KEYS",
  "n-seq-max": "RSK_N_SEQ_MAX",
  "ctx-per-seq": "RSK_CTX_PER_SEQ",
  threads: "RSK_THREADS",
  "upstream-timeout-ms": "RSK_UPSTREAM_TIMEOUT_MS",
  "upstream-idle-ms": "RSK_UPSTREAM_IDLE_MS",
  "max-response-bytes": "RSK_MAX_RESPONSE_BYTES",
  "max-body-bytes": "RSK_MAX_BODY_BYTES",
  "max-tokens": "RSK_MAX_TOKENS",
  "max-choices": "RSK_MAX_CHOICES",
  auth: "RSK_AUTH",
  "audit-log": "RSK_AUDIT_LOG",
  "audit-flush-ms": "RSK_AUDIT_FLUSH_MS",
  "audit-url": "RSK_AUDIT_URL",
  redis: "RSK_REDIS_URL",
  "queue-size": "RSK_QUEUE_SIZE",
  "max-concurrent": "RSK_MAX_CONCURRENT",
  "queue-timeout-ms": "RSK_QUEUE_TIMEOUT_MS",
  "request-timeout-ms": "RSK_REQUEST_TIMEOUT_MS",
  "stream-buffer-bytes": "RSK_STREAM_BUFFER_BYTES",
  "grammar-cache-mb": "RSK_GRAMMAR_CACHE_MB",
  "allowed-hosts": "RSK_ALLOWED_HOSTS",
  "cors-origins": "RSK_CORS_ORIGINS",
  "read-timeout-ms": "RSK_READ_TIMEOUT_MS",
  "max-connections": "RSK_MAX_CONNECTIONS",
  "sse-heartbeat-ms": "RSK_SSE_HEARTBEAT_MS",
  "drain-ms": "RSK_DRAIN_MS",
  playground: "RSK_PLAYGROUND",
  "log-level": "RSK_LOG_LEVEL",
  "log-format": "RSK_LOG_FORMAT",
} as const;

const int = (min: number, max: number, fallback: number) =>
  v.optional(v.pipe(v.string(), v.regex(/^\d+$/, "must be a whole number"), v.transform(Number), v.minValue(min), v.maxValue(max)), String(fallback));

/** A comma-separated list: items trimmed, empty ones dropped, each checked by `item`. */
const list = (item: RegExp, message: string) =>
  v.optional(v.pipe(
    v.string(),
    v.transform((s) => s.split(",").map((x) => x.trim()).filter((x) => x !== "")),
    v.array(v.pipe(v.string(), v.regex(item, message))),
  ));

const Config = v.object({
  port: int(0, 65535, 8787),
  host: v.optional(v.pipe(v.string(), v.minLength(1)), "127.0.0.1"),
  policy: v.optional(v.pipe(v.string(), v.minLength(1))),
  "policy-refresh-ms": int(1000, 86_400_000, 60_000),
  upstream: v.optional(v.pipe(v.string(), v.url("must be an http(s) URL such as http://127.0.0.1:8000/v1"), v.regex(/^https?:/i, "must be http or https"))),
  "upstream-dialect": v.optional(v.picklist(["openai", "anthropic"], "must be openai or anthropic"), "openai"),
  upstreams: v.optional(v.pipe(v.string(), v.minLength(1))),
  model: v.optional(v.pipe(v.string(), v.minLength(1))),
  kernels: v.optional(v.picklist(["native", "wasm", "ts"], "must be native, wasm or ts")),
  packs: list(/^[^,]+$/, "must be kernel pack folders, comma-separated"),
  "pack-keys": list(/^[^,]+$/, "must be Ed25519 public JWK files, comma-separated"),
  "n-seq-max": int(1, 256, 8),
  "ctx-per-seq": int(16, 1 << 20, 2048),
  threads: v.optional(v.pipe(v.string(), v.regex(/^\d+$/, "must be a whole number"), v.transform(Number), v.minValue(1), v.maxValue(256))),
  "upstream-timeout-ms": int(1, 3_600_000, 60_000),
  "upstream-idle-ms": int(1, 3_600_000, 60_000),
  "max-response-bytes": int(1024, 1 << 30, 16 << 20),
  "max-body-bytes": int(1024, 1 << 30, 1 << 20),
  "max-tokens": int(1, 1 << 20, 32_768),
  "max-choices": int(1, 128, 8),
  auth: v.optional(v.pipe(v.string(), v.minLength(1))),
  "audit-log": v.optional(v.pipe(v.string(), v.minLength(1))),
  "audit-flush-ms": int(0, 60_000, 100),
  "audit-url": v.optional(v.pipe(v.string(), v.url("must be an http(s) URL"), v.regex(/^https?:/i, "must be http or https"))),
  redis: v.optional(v.pipe(v.string(), v.regex(/^rediss?:\/\//i, "must be a redis:// or rediss:// URL"))),
  "queue-size": int(0, 1 << 20, 4096),
  "max-concurrent": v.optional(v.pipe(v.string(), v.regex(/^\d+$/, "must be a whole number"), v.transform(Number), v.minValue(1), v.maxValue(1 << 16))),
  "queue-timeout-ms": int(0, 3_600_000, 30_000),
  "request-timeout-ms": int(0, 86_400_000, 0),
  "stream-buffer-bytes": int(1024, 1 << 30, 1 << 16),
  "grammar-cache-mb": int(1, 1 << 20, 256),
  "allowed-hosts": list(/^(\*|[a-z0-9_.-]+|\[[0-9a-f:.]+\])(:\d{1,5})?$/i, "must be host names (optionally with :port), comma-separated, or *"),
  "cors-origins": list(/^(\*|https?:\/\/([a-z0-9_.-]+|\[[0-9a-f:.]+\])(:\d{1,5})?)$/i, "must be origins such as https://app.example (scheme://host[:port], no path), comma-separated, or *"),
  "read-timeout-ms": int(100, 3_600_000, 30_000),
  "max-connections": int(1, 1 << 20, 8192),
  "sse-heartbeat-ms": int(100, 3_600_000, 15_000),
  "drain-ms": int(0, 3_600_000, 30_000),
  playground: v.optional(v.pipe(v.picklist(["0", "1", "false", "true", "off", "on"], "must be on or off (1/0, true/false)"), v.transform((x) => ["1", "true", "on"].includes(x))), "off"),
  "log-level": v.optional(v.picklist(LOG_LEVELS, `must be ${LOG_LEVELS.join(", ")}`), "info"),
  "log-format": v.optional(v.picklist(LOG_FORMATS, `must be ${LOG_FORMATS.join(" or ")}`), "json"),
});

/** Validated gateway settings. */
export type GatewayConfig = v.InferOutput<typeof Config> & {
  /** Upstream credential; environment only (`RSK_UPSTREAM_API_KEY`), never a flag, so it stays out of `ps`. */
  upstreamApiKey?: string;
  /** HMAC key of the audit log; environment only (`RSK_AUDIT_KEY`), never a flag. */
  auditKey?: string;
  /** The auth file's JSON itself, for hosts without a file system; environment only (`RSK_AUTH_JSON`). */
  authJson?: string;
};

/** Every flag name, for a host's argument parser. */
export const FLAGS = Object.keys(SETTINGS) as (keyof typeof SETTINGS)[];

/** Reads settings from parsed `flags` and `env`; throws an Error listing every bad setting by flag and variable. */
export function readConfig(flags: Partial<Record<keyof typeof SETTINGS, string>>, env: Record<string, string | undefined>): GatewayConfig {
  const raw: Record<string, string> = {};
  for (const [flag, name] of Object.entries(SETTINGS)) {
    const value = flags[flag as keyof typeof SETTINGS] ?? env[name];
    if (value !== undefined && value !== "") raw[flag] = value;
  }
  const parsed = v.safeParse(Config, raw);
  if (!parsed.success) {
    const lines = parsed.issues.map((i) => {
      const flag = (v.getDotPath(i) ?? "").split(".")[0] as keyof typeof SETTINGS; // a list item's path is `flag.index`
      return `--${flag} / ${SETTINGS[flag]}=${JSON.stringify(raw[flag])}: ${i.message}`;
    });
    throw new Error(`invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  const auditKey = env.RSK_AUDIT_KEY || undefined;
  const audited = parsed.output["audit-log"] ? "--audit-log / RSK_AUDIT_LOG" : parsed.output["audit-url"] ? "--audit-url / RSK_AUDIT_URL" : undefined;
  if (audited && (auditKey?.length ?? 0) < 16) {
    throw new Error(`invalid configuration:\n  ${audited} needs RSK_AUDIT_KEY (environment only), at least 16 characters`);
  }
  return { ...parsed.output, upstreamApiKey: env.RSK_UPSTREAM_API_KEY || undefined, auditKey, authJson: env.RSK_AUTH_JSON || undefined };
}
