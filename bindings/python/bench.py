"""Small-vocabulary throughput of the Python binding, side by side in one process (V = 64, top-k 40, the same 64 rows
of logits and 64 configs in each case): `python3 bindings/python/bench.py`. Cases: the bare ctypes rsk_sample call per
row (the floor a per-call binding cannot beat), rsk.Sampler.sample per row, one rsk.Sampler.sample_batch call."""
import random
import timeit
from array import array
from ctypes import c_float

import rsk

VOCAB, ROWS = 64, 64


def main() -> None:
    rng = random.Random(1)
    logits = array("f", [rng.gauss(0, 2) for _ in range(VOCAB * ROWS)])
    grid = memoryview(logits).cast("B").cast("f", shape=[ROWS, VOCAB])
    rows = [logits[r * VOCAB:(r + 1) * VOCAB] for r in range(ROWS)]
    configs = [rsk.SamplerConfig(top_k=40, seed=r) for r in range(ROWS)]
    sampler = rsk.Sampler()
    sampler.sample(rows[0], configs[0])
    lib, io, work = rsk.library(), sampler._io, sampler._work
    views = [(c_float * VOCAB).from_buffer(row) for row in rows]

    def bare():
        for r in range(ROWS):
            io[:18] = configs[r]._slots
            lib.rsk_sample(views[r], VOCAB, None, 0, None, 0, None, 0, io, 32, work, len(work))

    def single():
        for r in range(ROWS):
            sampler.sample(rows[r], configs[r])

    cases = {"bare ctypes rsk_sample": bare, "rsk.Sampler.sample": single, f"rsk.Sampler.sample_batch": lambda: sampler.sample_batch(grid, configs)}
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(7):  # rounds interleave the cases, so a burst of load on the shared machine hits all of them
        for name, call in cases.items():
            best[name] = min(best[name], timeit.timeit(call, number=20) / 20 / ROWS)
    for name, seconds in best.items():
        print(f"{name:28} {seconds * 1e6:8.2f} µs/token  {1 / seconds / 1e6:6.3f} M tokens/s")


if __name__ == "__main__":
    main()
