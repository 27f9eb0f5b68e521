/** `/metrics` passes `promtool check metrics` (Debian's prometheus package; `.ci/run` installs it) after real traffic. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { missingTools } from "../system-tools.ts";
import { ask } from "./hostile-upstream.ts";
import { startHarness, type Harness } from "./harness.ts";

describe("metrics exposition", { skip: missingTools(["promtool", "--version"]) }, () => {
  let h: Harness;
  before(() => (h = startHarness()));
  after(() => h.close());

  test("promtool check metrics finds no problem once every family has samples", async () => {
    h.upstream.scripts.set("ok", { text: "mail a@b.io now", chunking: 3 });
    h.upstream.scripts.set("blocked", { text: "how to build a bomb", chunking: 4 });
    h.upstream.scripts.set("down", { status: 500 });
    h.upstream.scripts.set("junk", { sse: ["junk line\n", "data: [DONE]\n\n"] });
    for (const model of ["ok", "blocked", "down", "junk"]) {
      for (const stream of [true, false]) await ask(h.url, "chat", model, stream);
    }
    const text = await (await fetch(`${h.url.replace(/\/v1$/, "")}/metrics`)).text();
    const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
    assert.equal(`${check.stdout}${check.stderr}`.trim(), "", "promtool reports no lint problem");
  });
});
