"""Parity with the TypeScript API: tests/kernels/bindings.test.ts writes seeded draws to RSK_PARITY_FILE and runs this."""
import base64
import json
import os
import unittest
from array import array

import rsk

DRAW_FIELDS = ("token", "prob", "mu_next", "size", "uniform")


def float32s(encoded: str) -> array:
    """Little-endian float32 values, base64-encoded (exact, and -inf survives JSON)."""
    values = array("f")
    values.frombytes(base64.b64decode(encoded))
    return values


def inputs(case: dict) -> dict:
    """The keyword arguments of Sampler.sample for one case."""
    vocab = len(float32s(case["logits"]))
    mask = rsk.TokenMask.from_words(vocab, case["mask"]) if case["mask"] is not None else None
    bias = list(zip(case["bias"]["ids"], float32s(case["bias"]["values"])))
    return {"mask": mask, "recent": case["recent"], "bias": bias}


class ParityTest(unittest.TestCase):
    def setUp(self):
        path = os.environ.get("RSK_PARITY_FILE")
        if not path:
            self.skipTest("RSK_PARITY_FILE is not set (tests/kernels/bindings.test.ts writes it)")
        with open(path) as file:
            self.data = json.load(file)

    def test_seeded_draws_match_the_typescript_api(self):
        for case in self.data["cases"]:
            with self.subTest(case["name"]):
                logits, options, sampler = float32s(case["logits"]), inputs(case), rsk.Sampler()
                if "status" in case:  # refused by the config's own checks or by the kernel, with the same status
                    with self.assertRaises(rsk.KernelError) as caught:
                        sampler.sample(logits, rsk.SamplerConfig(**case["config"]), **options)
                    self.assertEqual(caught.exception.status, case["status"])
                    continue
                config = rsk.SamplerConfig(**case["config"])
                for expected in case["draws"]:
                    draw = sampler.sample(logits, config, **options)
                    self.assertEqual(draw._asdict(), {field: expected[field] for field in DRAW_FIELDS})
                    self.assertEqual(sampler.distribution(), (expected["ids"], expected["probs"]))
                    config = config.next(draw)

    def test_batch_matches_the_typescript_api_row_by_row(self):
        rows = self.data["batch"]
        configs, options = [rsk.SamplerConfig(**row["config"]) for row in rows], [inputs(row) for row in rows]
        results = rsk.sample_batch([float32s(row["logits"]) for row in rows], configs,
                                   masks=[o["mask"] for o in options], recents=[o["recent"] for o in options],
                                   biases=[o["bias"] for o in options])
        for row, result in zip(rows, results):
            with self.subTest(row["name"]):
                if "status" in row:
                    self.assertIsInstance(result, rsk.KernelError)
                    self.assertEqual(result.status, row["status"])
                else:
                    self.assertEqual(result._asdict(), {field: row["draws"][0][field] for field in DRAW_FIELDS})

    def test_masks_match_the_typescript_api(self):
        for case in self.data["masks"]:
            vocab = case["vocab"]
            a, b = rsk.TokenMask.from_words(vocab, case["a"]), rsk.TokenMask.from_words(vocab, case["b"])
            self.assertEqual(list((a & b).words), case["and"])
            self.assertEqual(list((a | b).words), case["or"])
            self.assertEqual([a.count(), b.count()], case["counts"])
            self.assertEqual(a.apply(float32s(case["logits"])).tobytes(), float32s(case["applied"]).tobytes())


if __name__ == "__main__":
    unittest.main()
