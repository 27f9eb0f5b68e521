/** Reads the auth file (`RSK_AUTH`) on a server, and the JWKS file it names when that is a local path. */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { AuthSettings } from "./authenticator.ts";
import { AuthFileError, parseAuthFile } from "./file.ts";

/** Reads and validates the auth file; a relative JWKS path is resolved against the file's folder and read. */
export function loadAuthFile(file: string): AuthSettings {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new AuthFileError([`${file}: ${(err as Error).message}`]);
  }
  const settings = parseAuthFile(json, file);
  const jwt = settings.jwt;
  if (!jwt || /^https?:\/\//i.test(jwt.jwks)) return settings;
  jwt.jwks = resolve(dirname(file), jwt.jwks);
  try {
    return { ...settings, localJwks: JSON.parse(readFileSync(jwt.jwks, "utf8")) };
  } catch (err) {
    throw new AuthFileError([`${file}: $.jwt.jwks: cannot read ${jwt.jwks}: ${(err as Error).message}`]);
  }
}
