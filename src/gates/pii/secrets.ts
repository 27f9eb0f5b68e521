/**
 * API keys of the major providers (documented prefixes and lengths), a generic high-entropy secret after a keyword,
 * URLs carrying credentials, and MAC addresses. Shapes only run on the folded view, like every detector.
 */
import type { DetectorSpec } from "./detectors.ts";
import { EDGE } from "./edges.ts";
import { isKeywordSecret, isMacAddress, isProviderKey, isUrlWithCredentials } from "./secret-validators.ts";

/** Names of the secret and device-identifier detectors. */
export type SecretDetector = "api_key" | "generic_secret" | "url_credentials" | "mac_address";

const TOKEN_END = "(?![A-Za-z0-9_\\-])";
const SECRET = "[SECRET]";
const HEX2 = "[0-9A-Fa-f]{2}";
/** Keywords that name a secret in config files, env dumps and chat (`api_key=`, `"client_secret": "…"`, `password is …`). */
const KEYWORD = "(?:[Aa][Pp][Ii][_\\-]?[Kk][Ee][Yy]|[Ss][Ee][Cc][Rr][Ee][Tt]|[Tt][Oo][Kk][Ee][Nn]|[Pp][Aa][Ss][Ss][Ww][Oo][Rr][Dd]|[Pp][Aa][Ss][Ss][Ww][Dd]|[Aa][Cc][Cc][Ee][Ss][Ss][_\\-]?[Kk][Ee][Yy])";
/**
 * Provider keys by documented prefix and length, one alternation so the policy pays for one scanner: OpenAI (`sk-`,
 * `sk-proj-`, `sk-svcacct-`, `sk-admin-`), Anthropic (`sk-ant-api03-`…), Stripe (`sk_`/`rk_` live/test, `whsec_`),
 * Google (`AIza`, `GOCSPX-`), Twilio (`SK`/`AC` + 32 hex), SendGrid (`SG.`), npm (`npm_`), Hugging Face (`hf_`,
 * `api_org_`), Azure storage/shared access keys in connection strings (the key name is redacted with the key).
 */
const PROVIDER_KEY = [
  "sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_\\-]+",
  "sk-ant-(?:api|admin|oat|ort)[0-9]{2}-[A-Za-z0-9_\\-]+",
  "(?:sk|rk)_(?:live|test)_[A-Za-z0-9]+", "whsec_[A-Za-z0-9]+",
  "AIza[0-9A-Za-z_\\-]{35}", "GOCSPX-[0-9A-Za-z_\\-]{28}",
  "(?:SK|AC)[0-9a-f]{32}",
  "SG\\.[A-Za-z0-9_\\-]{22}\\.[A-Za-z0-9_\\-]{43}",
  "npm_[A-Za-z0-9]{36}",
  "(?:hf_|api_org_)[A-Za-z0-9]+",
  "(?:AccountKey|SharedAccessKey)=[A-Za-z0-9+/]+={0,2}",
].join("|");
/** URL schemes that carry `user:password@` in practice (a closed list: an open `[a-z]+://` would follow every word). */
const SCHEME = "(?:[Hh][Tt][Tt][Pp][Ss]?|ftps?|sftp|ssh|git|svn|rsync|smb|postgres(?:ql)?|mysql|mariadb|mssql|sqlserver|oracle|mongodb(?:\\+srv)?|rediss?|amqps?|mqtts?|ldaps?|smtps?|imaps?|pop3s?|nats|kafka|clickhouse|couchdbs?|cassandra|neo4j(?:\\+s)?|bolt|wss?|s3|jdbc:[a-z0-9]+)";

/** Secret detector table. */
export const SECRET_DETECTORS: Readonly<Record<SecretDetector, DetectorSpec>> = {
  api_key: {
    pattern: `${EDGE}(?:${PROVIDER_KEY})${TOKEN_END}`,
    maxLength: 260, placeholder: SECRET, validate: isProviderKey,
  },
  generic_secret: {
    // Starts at the keyword (`OPENAI_API_KEY=` matches from `API_KEY`), so idle text spawns few threads; an unbounded
    // value (bounded by maxLength) keeps the DFA small where a counted repeat would multiply its states.
    pattern: `(?<![A-Za-z0-9])["']?${KEYWORD}["']?(?: ?[:=] ?| (?:is|was) )["']?[A-Za-z0-9+/_~\\-]+(?:\\.[A-Za-z0-9+/_~\\-]+)*=*["']?(?![A-Za-z0-9+/_~\\-=])`,
    maxLength: 180, placeholder: SECRET, validate: isKeywordSecret,
  },
  url_credentials: {
    pattern: `${EDGE}${SCHEME}://[^\\s:/?#@"'<>]+:[^\\s/?#@"'<>]+@[A-Za-z0-9\\-]+(?:\\.[A-Za-z0-9\\-]+)*(?::[0-9]{1,5})?(?![A-Za-z0-9\\-])`,
    maxLength: 400, placeholder: SECRET, validate: isUrlWithCredentials,
  },
  mac_address: {
    pattern: `(?<![A-Za-z0-9_:\\-.])(?:${HEX2}(?::${HEX2}){5}|${HEX2}(?:-${HEX2}){5}|[0-9A-Fa-f]{4}\\.[0-9A-Fa-f]{4}\\.[0-9A-Fa-f]{4})(?![A-Za-z0-9_\\-])`,
    maxLength: 17, placeholder: "[MAC]", validate: isMacAddress,
  },
};
