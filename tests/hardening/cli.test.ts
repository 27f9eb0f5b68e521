/** The CLI explains itself: `--help` lists every command, flag and variable; `--version` prints the package's. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { SETTINGS } from "../../src/server/config.ts";
import { runCli } from "./gateway-process.ts";

describe("CLI help and version", () => {
  for (const flag of ["--help", "-h", "help"]) {
    test(`${flag} lists every command, every flag with its variable, and exits 0`, () => {
      const r = runCli([flag]);
      assert.equal(r.status, 0, r.stderr);
      for (const command of ["policy check", "policy schema", "auth hash-key", "audit verify"]) assert.ok(r.stdout.includes(command), command);
      for (const [name, env] of Object.entries(SETTINGS)) assert.match(r.stdout, new RegExp(`--${name} <value>\\s+${env}\\n`));
      for (const env of ["RSK_UPSTREAM_API_KEY", "RSK_AUDIT_KEY"]) assert.ok(r.stdout.includes(env), env);
    });
  }

  test("--version prints package.json's version", () => {
    const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    const r = runCli(["--version"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${version}\n`);
  });

  test("an unknown option is still a start-up error naming it", () => {
    const r = runCli(["--no-such-flag"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no-such-flag/);
  });
});
