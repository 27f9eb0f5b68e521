/** Plausibility checks for secrets without a checksum: random-looking values have mixed classes and high entropy. */

/** Shannon entropy in bits per character. */
export function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / text.length) * Math.log2(n / text.length);
  return bits;
}

/**
 * A generated key mixes letters and digits (`sk-proj-aaaaaaaa…` or a word such as `sk-this-is-my-key` is not one),
 * or is a long run of both letter cases at the entropy of random letters (Hugging Face tokens are 34 letters; words
 * in camel case capitalise only the first letter of each word).
 */
export function looksRandom(text: string): boolean {
  if (!/[A-Za-z]/.test(text)) return false;
  if (/[0-9]/.test(text)) return entropy(text) >= 3;
  const upper = text.replace(/[^A-Z]/g, "").length, lower = text.replace(/[^a-z]/g, "").length;
  return text.length >= 30 && upper >= text.length / 4 && lower >= text.length / 4 && entropy(text) >= 4;
}

/** Lengths after the prefix of the variable-length provider keys: [prefix, shortest, longest] (first match wins). */
const KEY_BODIES: readonly [string, number, number][] = [
  ["sk-ant-", 80, 200], ["sk-", 32, 200], ["sk_", 29, 252], ["rk_", 29, 252], ["whsec_", 32, 64], ["hf_", 30, 40],
  ["api_org_", 30, 40], ["AccountKey=", 40, 90], ["SharedAccessKey=", 40, 90],
];

/** A provider key has its documented length and a random-looking body (`sk-this-is-not-a-key` is not one). */
export function isProviderKey(text: string): boolean {
  const entry = KEY_BODIES.find(([prefix]) => text.startsWith(prefix));
  if (entry && (text.length - entry[0].length < entry[1] || text.length - entry[0].length > entry[2])) return false;
  const mixedCase = !text.startsWith("sk-") || (/[A-Z]/.test(text) && /[a-z]/.test(text.slice(3)));
  return mixedCase && looksRandom(text.slice(text.search(/[-_.=]/) + 1));
}

/** The value after `keyword: ` / `keyword=` in a generic secret: 16+ characters, letters and digits, ≥ 3.5 bits/char. */
export function isKeywordSecret(text: string): boolean {
  const value = /[:=]\s*["']?([^"'\s]+)["']?$|\s(?:is|was)\s+["']?([^"'\s]+)["']?$/.exec(text);
  const secret = value?.[1] ?? value?.[2] ?? "";
  return secret.length >= 16 && /[0-9]/.test(secret) && /[A-Za-z]/.test(secret) && entropy(secret) >= 3.5;
}

/** A URL's credentials are real when the password is not a placeholder such as `:password@` or `:***@`. */
export function isUrlWithCredentials(text: string): boolean {
  const auth = text.slice(text.indexOf("://") + 3, text.lastIndexOf("@"));
  const password = auth.slice(auth.indexOf(":") + 1);
  return password.length > 0 && !/^(?:\*+|x+|\.+|<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|password|pass|secret|pwd)$/i.test(password);
}

/** MAC addresses: all-zero and broadcast are not tied to a device. */
export function isMacAddress(text: string): boolean {
  const hex = text.replace(/[^0-9A-Fa-f]/g, "").toLowerCase();
  return hex !== "000000000000" && hex !== "ffffffffffff";
}
