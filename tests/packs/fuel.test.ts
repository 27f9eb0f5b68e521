/** The fuel meter pack kernels are loaded with: every loop and call spends fuel, an empty tank traps; what it cannot meter is refused. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { FUEL_EXPORT, FuelMeterError, FuelTank, INITIAL_FUEL, meterLoops } from "../../src/packs/fuel.ts";

const RSK_WASM = new Uint8Array(readFileSync(new URL("../../kernels/rsk.wasm", import.meta.url)));

/** A module of one exported function `f` of type `type` with `body` (no locals), plus `extraExport` exporting f again. */
function oneFunction(body: number[], extraExport?: string, type = [0x60, 0, 1, 0x7f]): Uint8Array {
  const name = (s: string) => [s.length, ...new TextEncoder().encode(s)];
  const exports = [[...name("f"), 0, 0], ...(extraExport ? [[...name(extraExport), 0, 0]] : [])];
  const code = [0, ...body, 0x0b];
  const section = (id: number, bytes: number[]) => [id, bytes.length, ...bytes];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, ...type]),
    ...section(3, [1, 0]),
    ...section(7, [exports.length, ...exports.flat()]),
    ...section(10, [1, code.length, ...code]),
  ]);
}

async function instance(bytes: Uint8Array): Promise<WebAssembly.Instance> {
  return await WebAssembly.instantiate(await WebAssembly.compile(meterLoops(bytes)), {});
}

describe("loop fuel meter", () => {
  test("rsk.wasm metered keeps its exports, adds the fuel global, and traps on an empty tank only", async () => {
    const metered = await instance(RSK_WASM);
    const plain = await WebAssembly.instantiate(await WebAssembly.compile(RSK_WASM), {});
    assert.deepEqual(Object.keys(metered.exports).sort(), [...Object.keys(plain.exports), FUEL_EXPORT].sort());
    assert.equal((metered.exports[FUEL_EXPORT] as WebAssembly.Global).value, INITIAL_FUEL);
    const x = metered.exports as { rsk_mask_count(mask: number, words: number, vocab: number): number; __heap_base: WebAssembly.Global };
    const tank = FuelTank.of(metered.exports, 1000);
    const at = x.__heap_base.value as number;
    tank.fill(0);
    assert.throws(() => x.rsk_mask_count(at, 64, 2048)); // its entry spends the first unit
    assert.match(String(tank.explain(new Error("unreachable"))), /ran out of fuel: over 0 loop iterations and calls in one call/);
    tank.fill();
    assert.equal(x.rsk_mask_count(at, 64, 2048), 0);
  });

  test("a loop that never exits stops after exactly the fuel it was given", async () => {
    // (loop (br 0)) then i32.const 7: unreachable without the meter's trap
    const m = await instance(oneFunction([0x03, 0x40, 0x0c, 0x00, 0x0b, 0x41, 0x07]));
    FuelTank.of(m.exports, 5000).fill();
    assert.throws(() => (m.exports.f as () => number)(), WebAssembly.RuntimeError);
    assert.equal((m.exports[FUEL_EXPORT] as WebAssembly.Global).value, 0);
  });

  test("recursion that fans out without a loop (2^60 calls) is cut off at its function entries", async () => {
    // f(n) = n == 0 ? 0 : (f(n - 1), f(n - 1)): no loop anywhere, and too shallow to overflow the stack
    const body = [0x20, 0, 0x45, 0x04, 0x7f, 0x41, 0, 0x05, 0x20, 0, 0x41, 1, 0x6b, 0x10, 0, 0x1a, 0x20, 0, 0x41, 1, 0x6b, 0x10, 0, 0x0b];
    const m = await instance(oneFunction(body, undefined, [0x60, 1, 0x7f, 1, 0x7f]));
    const tank = FuelTank.of(m.exports, 100_000);
    tank.fill();
    assert.equal((m.exports.f as (n: number) => number)(10), 0); // 2^11 - 1 calls: within the fuel
    tank.fill();
    assert.throws(() => (m.exports.f as (n: number) => number)(60), WebAssembly.RuntimeError);
    assert.match(String(tank.explain(new Error("unreachable"))), /ran out of fuel: over 100000 loop iterations and calls/);
  });

  test("an opcode it does not know, an existing fuel export or a non-module is refused, naming why", () => {
    assert.throws(() => meterLoops(oneFunction([0x06, 0x40, 0x0b, 0x41, 0x00])), (e: unknown) => e instanceof FuelMeterError && /unknown opcode 0x6/.test(e.message));
    assert.throws(() => meterLoops(oneFunction([0x41, 0x00], FUEL_EXPORT)), /cannot meter its loops: it already exports rsk_fuel/);
    assert.throws(() => meterLoops(new TextEncoder().encode("not wasm")), /not a WebAssembly 1 module/);
  });
});
