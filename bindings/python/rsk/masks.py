"""TokenMask: the allowed-token bitmask the kernels read (bit i & 31 of word i >> 5 = token i allowed)."""
from array import array
from ctypes import c_uint32

from ._buffers import float32_view
from ._library import library
from .errors import BufferSizeError, ParameterError, VocabularyError, check

MAX_VOCAB = 1 << 24


class TokenMask:
    """Allowed tokens of a vocabulary of `vocab` tokens; `&` and `|` run rsk_mask_and / rsk_mask_or."""

    __slots__ = ("vocab", "words")

    def __init__(self, vocab: int, allow: bool = True):
        if not isinstance(vocab, int) or isinstance(vocab, bool) or not 0 < vocab <= MAX_VOCAB:
            raise VocabularyError(f"vocab: expected an int in [1, 2^24], got {vocab!r}")
        self.vocab = vocab
        n = (vocab + 31) // 32
        self.words = (c_uint32 * n).from_buffer(array("I", [0xFFFFFFFF if allow else 0]) * n)
        if allow and vocab % 32:
            self.words[-1] = (1 << (vocab % 32)) - 1

    @classmethod
    def from_ids(cls, vocab: int, ids) -> "TokenMask":
        """A mask allowing exactly `ids`."""
        mask = cls(vocab, allow=False)
        for token in ids:
            mask.allow(token)
        return mask

    @classmethod
    def from_words(cls, vocab: int, words) -> "TokenMask":
        """A mask over existing uint32 words (ceil(vocab / 32) of them)."""
        mask = cls(vocab, allow=False)
        words = list(words)
        if len(words) != len(mask.words):
            raise BufferSizeError(f"words: expected {len(mask.words)} for {vocab} tokens, got {len(words)}")
        for i, word in enumerate(words):
            mask.words[i] = word
        return mask

    def _index(self, token: int) -> int:
        if not isinstance(token, int) or isinstance(token, bool) or not 0 <= token < self.vocab:
            raise ParameterError(f"token: expected an int in [0, {self.vocab}), got {token!r}")
        return token

    def allow(self, token: int) -> None:
        """Allows `token`."""
        token = self._index(token)
        self.words[token >> 5] |= 1 << (token & 31)

    def ban(self, token: int) -> None:
        """Forbids `token`."""
        token = self._index(token)
        self.words[token >> 5] &= ~(1 << (token & 31)) & 0xFFFFFFFF

    def __contains__(self, token: int) -> bool:
        return (self.words[self._index(token) >> 5] >> (token & 31)) & 1 == 1

    def count(self) -> int:
        """Allowed tokens among the first `vocab` (rsk_mask_count)."""
        return check(library().rsk_mask_count(self.words, len(self.words), self.vocab))

    def apply(self, logits):
        """Sets forbidden tokens' logits to -inf (rsk_mask_apply): in place in a writable float32 buffer such as
        array('f') (and returns it), else returns a new array('f')."""
        view, owner = float32_view(logits, "logits")
        if len(view) != self.vocab:
            raise BufferSizeError(f"logits: {len(view)} values for a mask of {self.vocab} tokens")
        check(library().rsk_mask_apply(view, self.vocab, self.words, len(self.words)))
        return owner

    def _combine(self, other: "TokenMask", into: "TokenMask", kernel) -> "TokenMask":
        if not isinstance(other, TokenMask):
            return NotImplemented
        if other.vocab != self.vocab:
            raise BufferSizeError(f"masks are for {self.vocab} and {other.vocab} tokens")
        check(kernel(into.words, self.words, other.words, len(self.words)))
        return into

    def __and__(self, other: "TokenMask") -> "TokenMask":
        return self._combine(other, TokenMask(self.vocab, allow=False), library().rsk_mask_and)

    def __or__(self, other: "TokenMask") -> "TokenMask":
        return self._combine(other, TokenMask(self.vocab, allow=False), library().rsk_mask_or)

    def __iand__(self, other: "TokenMask") -> "TokenMask":
        return self._combine(other, self, library().rsk_mask_and)

    def __ior__(self, other: "TokenMask") -> "TokenMask":
        return self._combine(other, self, library().rsk_mask_or)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TokenMask) and other.vocab == self.vocab and bytes(other.words) == bytes(self.words)

    def __repr__(self) -> str:
        return f"TokenMask(vocab={self.vocab}, allowed={self.count()})"
