/**
 * spin model-checks the Promela model generated from the SAME transition table the scheduler runs, and finds
 * the bugs seeded into copies of it. Needs `spin` and a C compiler (`.ci/run` installs spin when missing).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { HOLDS, LIFECYCLE, type LifecycleTable, type Move, type State } from "../../src/sched/lifecycle.ts";
import { type ModelBounds, promelaModel, TEST_BOUNDS } from "../../src/sched/promela.ts";
import { missingTools } from "../system-tools.ts";

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Generates, compiles and runs the verifier; returns pan's report. */
function verify(model: string): { errors: number; report: string } {
  const dir = mkdtempSync(join(tmpdir(), "rsk-spin-"));
  dirs.push(dir);
  writeFileSync(join(dir, "lifecycle.pml"), model);
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { cwd: dir, encoding: "utf8", timeout: 120_000 });
    if (r.error) throw new Error(`cannot run ${cmd} (install spin: apt-get install -y spin): ${r.error.message}`);
    return `${r.stdout}${r.stderr}`;
  };
  const generated = run("spin", ["-a", "lifecycle.pml"]);
  assert.ok(existsSync(join(dir, "pan.c")), `spin -a failed:\n${generated}`);
  run("cc", ["-O1", "-DSAFETY", "-o", "pan", "pan.c"]);
  const report = run("./pan", ["-m100000", "-w20"]);
  const errors = /errors: (\d+)/.exec(report);
  assert.ok(errors, `pan did not report:\n${report}`);
  return { errors: Number(errors[1]), report };
}

/** A copy of the shipped table with one row replaced. */
function seeded(from: State, event: string, change: Partial<Move>): LifecycleTable {
  const table = structuredClone(LIFECYCLE) as unknown as Record<State, Record<string, Move>>;
  table[from][event] = { ...table[from][event]!, ...change };
  return table;
}

describe("spin on the lifecycle model", { skip: missingTools(["spin", "-V"], ["cc", "--version"]) }, () => {
  test("the shipped table: bounds, conservation, all clients end, nothing held at the end, no deadlock", { timeout: 120_000 }, () => {
    const { errors, report } = verify(promelaModel());
    assert.equal(errors, 0, report);
    assert.match(report, /invalid end states\s+\+/, "deadlock (invalid end state) checking was on");
    assert.match(report, /unreached in proctype client\s+\(0 of/, "every row of the table was exercised");
  });

  test("seeded bug: cancelling a stream forgets to free its slot", { timeout: 120_000 }, () => {
    const { errors, report } = verify(promelaModel(seeded("streaming", "cancel", { slot: 0 })));
    assert.ok(errors > 0, report);
    assert.match(report, /assertion violated/);
  });

  test("seeded bug: a queued request that times out keeps its queue place", { timeout: 120_000 }, () => {
    const { errors, report } = verify(promelaModel(seeded("queued", "timeout", { queue: 0 })));
    assert.ok(errors > 0, report);
    assert.match(report, /assertion violated/);
  });

  test("seeded bug: a queued request that cannot leave deadlocks once slots are gone", { timeout: 120_000 }, () => {
    const table = seeded("admitted", "fail", { slot: 0 }) as Record<State, Record<string, Move>>;
    delete table.queued.cancel;
    delete table.queued.timeout;
    // The holding spec is relaxed so only the deadlock (not the conservation assertion) can catch it.
    const relaxed = { ...HOLDS, failed: "slot" } as const;
    const bounds: ModelBounds = { ...TEST_BOUNDS, queue: 2 };
    const { errors, report } = verify(promelaModel(table, bounds, relaxed));
    assert.ok(errors > 0, report);
    assert.match(report, /invalid end state/);
  });
});
