/** Secrets in the shapes providers issue them (random bodies: none of these is a live credential). */
import type { Generated } from "./ids.ts";
import { ALNUM, type Draw, DIGITS, HEX, LOWER, UPPER } from "./random.ts";

const B64 = ALNUM + "+/";
const B64URL = ALNUM + "-_";

const base64url = (s: string): string => btoa(s).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");

/** A signed-looking JWT: real base64url JSON header and payload, random signature. */
function jwt(d: Draw): string {
  const header = base64url(JSON.stringify({ alg: d.pick(["HS256", "RS256", "ES256"]), typ: "JWT" }));
  const payload = base64url(JSON.stringify({ sub: d.digits(8), name: d.faker.person.firstName().normalize("NFD").replace(/[^\x20-\x7e]/g, ""), iat: d.int(1.6e9, 1.8e9) }));
  return `${header}.${payload}.${d.chars(B64URL, 43)}`;
}

/** A PEM private key block with a random base64 body (line breaks kept). */
function privateKey(d: Draw): string {
  const label = d.pick(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"]);
  const lines = Array.from({ length: d.int(3, 8) }, () => d.chars(B64, 64));
  lines.push(d.chars(B64, d.int(8, 60)) + d.pick(["", "=", "=="]));
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----`;
}

/** Every provider key shape the corpus uses, by kind. */
const SHAPES: Readonly<Record<string, (d: Draw) => string>> = {
  aws: (d) => d.pick(["AKIA", "ASIA"]) + d.chars(UPPER + DIGITS, 16),
  github: (d) => d.pick(["ghp_", "gho_", "ghs_"]) + d.chars(ALNUM, 36),
  github_pat: (d) => `github_pat_${d.chars(ALNUM, 22)}_${d.chars(ALNUM, 59)}`,
  slack: (d) => `${d.pick(["xoxb", "xoxp"])}-${d.digits(12)}-${d.digits(13)}-${d.chars(ALNUM, 24)}`,
  openai: (d) => d.chance(0.5) ? `sk-proj-${d.chars(B64URL, 74)}T3BlbkFJ${d.chars(B64URL, 74)}` : `sk-${d.chars(ALNUM, 20)}T3BlbkFJ${d.chars(ALNUM, 20)}`,
  anthropic: (d) => `sk-ant-api03-${d.chars(B64URL, 93)}AA`,
  stripe: (d) => `${d.pick(["sk_live_", "rk_live_", "sk_test_"])}${d.chars(ALNUM, d.pick([24, 99]))}`,
  google: (d) => `AIza${d.chars(B64URL, 35)}`,
  twilio: (d) => `SK${d.chars(HEX, 32)}`,
  sendgrid: (d) => `SG.${d.chars(B64URL, 22)}.${d.chars(B64URL, 43)}`,
  npm: (d) => `npm_${d.chars(ALNUM, 36)}`,
  huggingface: (d) => `hf_${d.chars(UPPER + LOWER, 34)}`,
  jwt,
  private_key: privateKey,
  bearer: (d) => d.chars(B64URL + ".", d.int(24, 64)),
  generic: (d) => d.chars(ALNUM, d.int(24, 40)),
};

/** Names a secret of each kind goes by in code and config (the generic kind always sits next to one). */
export const SECRET_NAMES: Readonly<Record<string, readonly string[]>> = {
  aws: ["AWS_ACCESS_KEY_ID", "aws_access_key_id"], github: ["GITHUB_TOKEN", "GH_TOKEN"], github_pat: ["GITHUB_TOKEN"],
  slack: ["SLACK_BOT_TOKEN", "slack_token"], openai: ["OPENAI_API_KEY"], anthropic: ["ANTHROPIC_API_KEY"],
  stripe: ["STRIPE_SECRET_KEY", "stripe.api_key"], google: ["GOOGLE_API_KEY", "apiKey"], twilio: ["TWILIO_API_KEY"],
  sendgrid: ["SENDGRID_API_KEY"], npm: ["NPM_TOKEN", "//registry.npmjs.org/:_authToken"], huggingface: ["HF_TOKEN"],
  jwt: ["token", "id_token"], private_key: ["key"], bearer: ["token"], generic: ["api_key", "secret", "client_secret", "password", "DB_PASSWORD"],
};

/** One secret of the given (or a random) kind. */
export function secret(d: Draw, kind?: string): Generated {
  const k = kind ?? d.pick(Object.keys(SHAPES));
  return { value: SHAPES[k]!(d), kind: k };
}

/** Every secret kind. */
export const SECRET_KINDS: readonly string[] = Object.keys(SHAPES);
