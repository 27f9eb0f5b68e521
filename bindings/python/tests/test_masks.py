"""TokenMask over rsk_mask_apply / and / or / count."""
import math
import unittest
from array import array

import rsk


class MaskTest(unittest.TestCase):
    def test_allow_ban_and_count_ignore_bits_past_the_vocabulary(self):
        mask = rsk.TokenMask(70)
        self.assertEqual((mask.count(), len(mask.words), mask.words[2]), (70, 3, 0b111111))
        mask.ban(0)
        mask.ban(69)
        self.assertEqual((mask.count(), 0 in mask, 1 in mask), (68, False, True))
        self.assertEqual(rsk.TokenMask.from_words(33, [0, 0xFFFFFFFF]).count(), 1)

    def test_and_or_in_place_and_new(self):
        a, b = rsk.TokenMask.from_ids(100, [1, 2, 3, 64]), rsk.TokenMask.from_ids(100, [3, 64, 99])
        self.assertEqual(a & b, rsk.TokenMask.from_ids(100, [3, 64]))
        self.assertEqual(a | b, rsk.TokenMask.from_ids(100, [1, 2, 3, 64, 99]))
        a &= b
        self.assertEqual(a.count(), 2)
        a |= rsk.TokenMask.from_ids(100, [7])
        self.assertEqual([t for t in range(100) if t in a], [3, 7, 64])

    def test_apply_bans_in_place_or_returns_a_copy(self):
        mask = rsk.TokenMask.from_ids(40, [5, 39])
        logits = array("f", range(40))
        self.assertIs(mask.apply(logits), logits)
        self.assertEqual([t for t, v in enumerate(logits) if v != -math.inf], [5, 39])
        listed = [1.0] * 40
        masked = mask.apply(listed)
        self.assertEqual((listed[0], masked[0], masked[5]), (1.0, -math.inf, 1.0))

    def test_shape_and_range_errors(self):
        with self.assertRaises(rsk.VocabularyError):
            rsk.TokenMask(0)
        with self.assertRaises(rsk.BufferSizeError):
            rsk.TokenMask(10) & rsk.TokenMask(40)
        with self.assertRaises(rsk.BufferSizeError):
            rsk.TokenMask(10).apply([0.0] * 11)
        with self.assertRaises(rsk.BufferSizeError):
            rsk.TokenMask.from_words(40, [0])
        with self.assertRaisesRegex(rsk.ParameterError, r"token: expected an int in \[0, 10\)"):
            rsk.TokenMask(10).allow(10)


if __name__ == "__main__":
    unittest.main()
