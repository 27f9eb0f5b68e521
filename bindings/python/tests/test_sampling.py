"""rsk.sample and Sampler: determinism, the final distribution, the config's checks and the typed kernel errors."""
import math
import unittest
from array import array

import rsk


def logits_of(n: int, seed: int = 1) -> array:
    """Deterministic spread-out logits (a small LCG: the test data must not depend on the library under test)."""
    state, out = seed, array("f")
    for _ in range(n):
        state = (state * 1103515245 + 12345) % (1 << 31)
        out.append((state / (1 << 31) - 0.5) * 8)
    return out


class SampleTest(unittest.TestCase):
    def test_greedy_takes_the_argmax_and_the_lowest_id_on_ties(self):
        draw = rsk.sample([0.5, 3.0, -1.0, 3.0], rsk.SamplerConfig(temperature=0))
        self.assertEqual((draw.token, draw.prob, draw.size), (1, 1.0, 1))

    def test_the_same_seed_and_step_draw_the_same_token_and_another_step_moves_the_uniform(self):
        logits = logits_of(500)
        config = rsk.SamplerConfig(top_k=40, top_p=0.95, temperature=0.8, seed=2**40 + 7, step=3)
        self.assertEqual(rsk.sample(logits, config), rsk.Sampler().sample(list(logits), config))
        self.assertEqual(rsk.sample(logits, config).uniform, rsk.uniform(2**40 + 7, 3))
        self.assertNotEqual(rsk.sample(logits, config.next(rsk.sample(logits, config))).uniform, rsk.uniform(2**40 + 7, 3))

    def test_distribution_is_ascending_sums_to_one_and_holds_the_draw(self):
        sampler = rsk.Sampler()
        draw = sampler.sample(logits_of(300), rsk.SamplerConfig(top_k=25, seed=5))
        ids, probs = sampler.distribution()
        self.assertEqual(len(ids), 25)
        self.assertEqual(ids, sorted(ids))
        self.assertAlmostEqual(math.fsum(probs), 1.0, delta=1e-12)
        self.assertEqual(probs[ids.index(draw.token)], draw.prob)

    def test_mask_bias_and_penalties_reach_the_kernel(self):
        logits = [5.0, 4.0, 3.0, 2.0]
        greedy = rsk.SamplerConfig(temperature=0)
        self.assertEqual(rsk.sample(logits, greedy, mask=rsk.TokenMask.from_ids(4, [2, 3])).token, 2)
        self.assertEqual(rsk.sample(logits, greedy, bias={0: -math.inf, 3: 2.5}).token, 3)
        self.assertEqual(rsk.sample(logits, rsk.SamplerConfig(temperature=0, presence_penalty=2), recent=[0]).token, 1)

    def test_mirostat_carries_mu_through_next(self):
        config = rsk.SamplerConfig(mirostat=2, mirostat_tau=3, mirostat_eta=0.5, mirostat_mu=6, seed=9)
        logits = logits_of(1000)
        draw = rsk.sample(logits, config)
        expected = 6 - 0.5 * (-math.log2(draw.prob) - 3)
        self.assertAlmostEqual(draw.mu_next, expected, delta=1e-9)
        following = config.next(draw)
        self.assertEqual((following.step, following.mirostat_mu), (1, draw.mu_next))

    def test_reads_a_float32_buffer_in_place(self):
        logits = array("f", [0.0] * 64)
        logits[17] = 9.0
        self.assertEqual(rsk.sample(memoryview(logits), rsk.SamplerConfig(temperature=0)).token, 17)
        read_only = memoryview(bytes(logits)).cast("f")
        self.assertEqual(rsk.sample(read_only, rsk.SamplerConfig(temperature=0)).token, 17)


class BatchTest(unittest.TestCase):
    def test_rows_draw_what_single_steps_draw_and_fail_alone(self):
        rows = [logits_of(300, 4), logits_of(300, 5), array("f", [-math.inf] * 300)]
        configs = [rsk.SamplerConfig(top_k=40, seed=11), rsk.SamplerConfig(mirostat=2, seed=12, step=5), rsk.SamplerConfig()]
        masks = [None, rsk.TokenMask.from_ids(300, [1, 2, 3, 250]), None]
        recents, biases = [[7, 7], None, None], [{5: 3.0}, None, None]
        results = rsk.sample_batch(rows, configs, masks=masks, recents=recents, biases=biases)
        for r in range(2):
            single = rsk.sample(rows[r], configs[r], mask=masks[r], recent=recents[r] or (), bias=biases[r])
            self.assertEqual(results[r], single)
        self.assertIsInstance(results[2], rsk.NothingToSampleError)

    def test_a_2d_float32_buffer_is_read_in_place_with_one_config_for_every_row(self):
        flat = logits_of(2 * 64, 6)
        grid = memoryview(flat).cast("B").cast("f", shape=[2, 64])
        config = rsk.SamplerConfig(temperature=0)
        tokens = [draw.token for draw in rsk.sample_batch(grid, config)]
        self.assertEqual(tokens, [rsk.sample(flat[:64], config).token, rsk.sample(flat[64:], config).token])

    def test_malformed_batches(self):
        with self.assertRaisesRegex(rsk.BufferSizeError, r"rows\[1\]: 3 logits, rows\[0\] has 2"):
            rsk.sample_batch([[1.0, 2.0], [1.0, 2.0, 3.0]], rsk.SamplerConfig())
        with self.assertRaisesRegex(rsk.BufferSizeError, "configs: 1 entries for 2 rows"):
            rsk.sample_batch([[1.0], [2.0]], [rsk.SamplerConfig()])
        with self.assertRaisesRegex(rsk.BufferSizeError, "an empty batch"):
            rsk.sample_batch([], rsk.SamplerConfig())


class ErrorTest(unittest.TestCase):
    def assert_status(self, cls, status, *args, **kwargs):
        with self.assertRaises(cls) as caught:
            rsk.sample(*args, **kwargs)
        self.assertEqual(caught.exception.status, status)
        self.assertIsInstance(caught.exception, rsk.KernelError)
        self.assertIsInstance(caught.exception, ValueError)

    def test_every_status_has_its_exception(self):
        self.assert_status(rsk.VocabularyError, -1, [])
        self.assert_status(rsk.NonFiniteLogitError, -2, [1.0, math.nan])
        self.assert_status(rsk.NonFiniteLogitError, -2, [1.0, math.inf])
        self.assert_status(rsk.ParameterError, -3, [1.0, 2.0], rsk.SamplerConfig(top_k=3))
        self.assert_status(rsk.ParameterError, -3, [1.0, 2.0], bias={2: 1.0})
        self.assert_status(rsk.NothingToSampleError, -4, [1.0, 2.0], mask=rsk.TokenMask(2, allow=False))
        self.assert_status(rsk.NothingToSampleError, -4, [-math.inf, -math.inf])
        self.assert_status(rsk.BufferSizeError, -5, [1.0, 2.0], mask=rsk.TokenMask(3))

    def test_a_forced_instruction_set_this_cpu_lacks(self):
        self.assert_status(rsk.InstructionSetError, -6, [1.0, 2.0], isa=4)  # wasm-simd128 on a native build

    def test_the_config_names_the_bad_field(self):
        for field, value in [("seed", -1), ("seed", 1 << 64), ("step", 1 << 53), ("top_k", 1.5), ("temperature", math.nan),
                             ("mirostat", 1), ("top_p", "0.9"), ("min_keep", True)]:
            with self.subTest(field=field, value=value), self.assertRaisesRegex(rsk.ParameterError, f"^.*: {field}:"):
                rsk.SamplerConfig(**{field: value})

    def test_non_numeric_input_is_a_type_error(self):
        with self.assertRaisesRegex(TypeError, "logits"):
            rsk.sample(["a"])
        with self.assertRaisesRegex(rsk.ParameterError, "recent/bias"):
            rsk.sample([1.0], recent=[1 << 40])

    def test_distribution_before_a_draw(self):
        sampler = rsk.Sampler()
        with self.assertRaises(RuntimeError):
            sampler.distribution()
        with self.assertRaises(rsk.NothingToSampleError):
            sampler.sample([-math.inf])
        with self.assertRaises(RuntimeError):
            sampler.distribution()


if __name__ == "__main__":
    unittest.main()
