/** `rsk auth hash-key`: the sha256 of an API key, as the auth file stores it. */
import { hashKey } from "./authenticator.ts";

/** `rsk auth hash-key [key]`: prints the sha256 to put in the auth file; reads the key from stdin when not given. */
export async function hashKeyCommand(key: string | undefined): Promise<void> {
  let secret = key;
  if (secret === undefined) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
    secret = Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
  }
  if (!secret) throw new Error("usage: rsk auth hash-key [key]   (or pipe the key on stdin)");
  console.log(await hashKey(secret));
}
