/** The counter-based RNG is Philox4x32-10: Random123's known-answer vectors, natively and in the TS port. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { nativePaths } from "../../ffi/mod.ts";
import { openLibrary } from "../../ffi/native.ts";
import { philox4x32 } from "../../ffi/reference/math.ts";
import { rskSymbols } from "../../ffi/symbols.ts";

const known: ReadonlyArray<readonly [number[], number[], number[]]> = [
  [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
  [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]],
  [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]],
];

test("Philox4x32-10 known-answer vectors (TS port and librsk)", async () => {
  const lib = await openLibrary(nativePaths.library, rskSymbols);
  for (const [ctr, key, expected] of known) {
    assert.deepEqual(philox4x32(ctr, key), expected);
    const out = new Uint32Array(4);
    assert.equal(lib.symbols.rsk_philox4x32(Uint32Array.from(ctr), Uint32Array.from(key), out), 0);
    assert.deepEqual(Array.from(out), expected);
  }
  lib.close();
});
