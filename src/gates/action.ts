/** How a resolved match is rewritten in the released text. */
import { isAlnumUnit } from "./text.ts";

/** Keep separators and the last four letters/digits, star the rest: `4111-1111-1111-1234` → `****-****-****-1234`. */
export function maskText(match: string): string {
  const out = match.split("");
  let keep = 4;
  for (let i = out.length - 1; i >= 0; i--) {
    if (!isAlnumUnit(match.charCodeAt(i))) continue;
    if (keep > 0) keep--;
    else out[i] = "*";
  }
  return out.join("");
}
