/** The CLI's `--help` text: every command, and every setting as flag and environment variable (from SETTINGS). */
import { SETTINGS } from "./server/config.ts";

/** Commands besides serving, with what they do. */
const COMMANDS: [string, string][] = [
  ["rsk [flags]", "serve the gateway (the default command)"],
  ["rsk policy check <file-or-folder>", "validate policy files as the server does; exit 1 listing every problem"],
  ["rsk policy schema", "print policies/policy.schema.json (JSON Schema of the policy format)"],
  ["rsk upstreams schema", "print the JSON Schema of the RSK_UPSTREAMS routing file"],
  ["rsk auth hash-key", "read an API key on stdin and print the sha256 an auth file stores"],
  ["rsk audit verify <log> [--live]", "check an audit log's HMAC chain (RSK_AUDIT_KEY); exit 1 naming the first gap"],
  ["rsk pack keygen [--out <prefix>]", "make an Ed25519 key pair for signing kernel packs (<prefix>.private.jwk, .public.jwk)"],
  ["rsk pack sign <dir> --key <file>", "check a pack folder's sha256s and sign its kernels.json (writes kernels.json.jws)"],
  ["rsk pack verify <dir> --pub <file>", "load a pack as the server would (signature, ABI, hashes, self-tests); exit 1 saying why not"],
  ["rsk help | --help | -h", "this text"],
  ["rsk --version | -v", "the version"],
];

/** Settings that are environment-only (secrets stay out of `ps`). */
const ENV_ONLY: [string, string][] = [
  ["RSK_UPSTREAM_API_KEY", "sent upstream as Authorization: Bearer"],
  ["RSK_AUDIT_KEY", "HMAC key of the audit log or sink (≥ 16 characters)"],
  ["RSK_AUTH_JSON", "the auth file's JSON itself (hosts without a file system)"],
  ["RSK_LLAMA_LIB", "path of libllama.so for the local backend"],
  ["OTEL_EXPORTER_OTLP_ENDPOINT", "export traces over OTLP/HTTP JSON to <url>/v1/traces (servers; off when unset)"],
  ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "the same, the whole traces URL"],
  ["OTEL_SERVICE_NAME", "service.name of the spans (default rsk)"],
  ["OTEL_TRACES_SAMPLER", "sampler (default parentbased_always_on; OTEL_TRACES_SAMPLER_ARG its ratio)"],
  ["OTEL_SDK_DISABLED", "true: no traces (also OTEL_TRACES_EXPORTER=none)"],
];

/** The help text (`npm start -- --help`). */
export function helpText(version: string): string {
  const width = Math.max(...COMMANDS.map(([c]) => c.length), ...Object.keys(SETTINGS).map((f) => f.length + 10), ...ENV_ONLY.map(([e]) => e.length));
  const lines = [`rsk ${version}: a streaming safety gateway for LLM inference`, "", "Commands:"];
  for (const [command, what] of COMMANDS) lines.push(`  ${command.padEnd(width)}  ${what}`);
  lines.push("", "Flags (each also an environment variable; a flag wins; the README's Configuration table has defaults):");
  for (const [flag, env] of Object.entries(SETTINGS)) lines.push(`  ${`--${flag} <value>`.padEnd(width)}  ${env}`);
  lines.push("", "Environment only:");
  for (const [env, what] of ENV_ONLY) lines.push(`  ${env.padEnd(width)}  ${what}`);
  return `${lines.join("\n")}\n`;
}
