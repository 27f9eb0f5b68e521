"""One sampling step through rsk_sample: the config, the draw, and a Sampler that reuses its buffers."""
import ctypes
import math
import threading
from array import array
from ctypes import POINTER, c_double, c_float, c_int32, c_uint32
from dataclasses import dataclass, fields, replace
from typing import NamedTuple

from ._buffers import float32_view, int32_array
from ._library import library
from .errors import BufferSizeError, KernelError, ParameterError, VocabularyError, check, error_for
from .masks import MAX_VOCAB, TokenMask

# io slots of rsk_sample (RSK_IO_* in rsk.h).
_IO_LEN, _N_RECENT, _ISA = 32, 13, 17  # slots 0..17 are the inputs SamplerConfig._slots holds
_TOKEN, _PROB, _MU_NEXT, _N_FINAL, _UNIFORM, _FINAL_IDS, _FINAL_PROBS = 20, 21, 22, 23, 24, 25, 26
_STATUS = 19  # rsk_sample_batch's row status


@dataclass(frozen=True)
class SamplerConfig:
    """rsk_sample's parameters (kernels/README.md). The defaults turn every stage off: plain temperature-1 sampling."""

    temperature: float = 1.0  #: <= 0: greedy (argmax, lowest id wins ties)
    top_k: int = 0  #: <= 0: off; more than the vocabulary: ParameterError
    top_p: float = 1.0  #: >= 1: off
    min_p: float = 0.0  #: <= 0: off
    typical_p: float = 1.0  #: >= 1: off
    min_keep: int = 0  #: every truncating stage keeps at least this many tokens
    mirostat: int = 0  #: 0: off, 2: Mirostat 2.0 (replaces top-k, typical-p, top-p and min-p)
    mirostat_tau: float = 5.0  #: target surprise in bits
    mirostat_eta: float = 0.1  #: learning rate
    mirostat_mu: float = 10.0  #: Mirostat state, carried by the caller (start at 2 * tau; see `next`)
    repeat_penalty: float = 1.0  #: 1: off
    frequency_penalty: float = 0.0  #: subtracted per occurrence in the recent window
    presence_penalty: float = 0.0  #: subtracted once if the token is in the recent window
    seed: int = 0  #: RNG key, in [0, 2^64)
    step: int = 0  #: RNG counter, in [0, 2^53): the same (seed, step) draws the same token in every binding

    def __post_init__(self):
        for field in fields(self):
            value = getattr(self, field.name)
            if field.type is int:
                if not isinstance(value, int) or isinstance(value, bool):
                    raise ParameterError(f"{field.name}: expected an int, got {value!r}")
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ParameterError(f"{field.name}: expected a finite number, got {value!r}")
        if not 0 <= self.seed < 1 << 64:
            raise ParameterError(f"seed: expected an int in [0, 2^64), got {self.seed}")
        if not 0 <= self.step < 1 << 53:
            raise ParameterError(f"step: expected an int in [0, 2^53), got {self.step}")
        if self.mirostat not in (0, 2):
            raise ParameterError(f"mirostat: expected 0 (off) or 2 (Mirostat 2.0), got {self.mirostat}")
        # io slots 0..17, encoded once: the config is frozen and encoding it on every step is most of a call's cost.
        object.__setattr__(self, "_slots", (
            self.temperature, self.top_k, self.top_p, self.min_p, self.typical_p, self.min_keep, self.mirostat,
            self.mirostat_tau, self.mirostat_eta, self.mirostat_mu, self.repeat_penalty, self.frequency_penalty,
            self.presence_penalty, 0, self.seed & 0xFFFFFFFF, self.seed >> 32, self.step, 0))

    def next(self, draw: "Draw") -> "SamplerConfig":
        """The config of the following step: the RNG counter advanced and Mirostat's mu updated by `draw`."""
        return replace(self, step=self.step + 1, mirostat_mu=draw.mu_next)


class Draw(NamedTuple):
    """A sampled token and what the kernel reports about it (a named tuple: cheap to build on every step)."""

    token: int  #: the drawn token id
    prob: float  #: its probability under the final distribution
    mu_next: float  #: Mirostat's mu after this step (the input mu when Mirostat is off)
    size: int  #: number of tokens in the final distribution
    uniform: float  #: the uniform draw in [0, 1) used


class Sampler:
    """rsk_sample with buffers kept between calls (not thread-safe: `rsk.sample` keeps one per thread)."""

    def __init__(self):
        self._io = (c_double * _IO_LEN)()
        self._work = (c_double * 0)()
        self._work_for = None  # the (vocabulary, token ids) self._work was sized for
        self._final = None

    def sample(self, logits, config: SamplerConfig = SamplerConfig(), *, mask: TokenMask | None = None, recent=(),
               bias=None, isa: int = 0) -> Draw:
        """One step over `logits` (floats, or a float32 buffer read in place); `recent` is the penalty window,
        `bias` a {token: bias} mapping or (token, bias) pairs (-inf bans). Raises a KernelError subclass."""
        lib = library()
        values, _ = float32_view(logits, "logits")  # the ctypes array keeps its owner alive
        vocab = len(values)
        if not 0 < vocab <= MAX_VOCAB:
            raise VocabularyError(f"logits: {vocab} values")
        if mask is not None and (not isinstance(mask, TokenMask) or mask.vocab != vocab):
            raise BufferSizeError(f"mask: expected a TokenMask of {vocab} tokens, got {mask!r}")
        tokens, bias_values, n_recent = _pack(recent, bias)
        self._size_work(vocab, len(tokens))
        _encode(self._io, config, n_recent, isa)
        self._final = None
        words = mask.words if mask is not None else None
        check(lib.rsk_sample(values, vocab, words, len(words) if words is not None else 0,
                             tokens, len(tokens), bias_values, len(bias_values), self._io, _IO_LEN,
                             self._work, len(self._work)))
        io = self._io
        self._final = (int(io[_N_FINAL]), int(io[_FINAL_IDS]), int(io[_FINAL_PROBS]))
        return Draw(int(io[_TOKEN]), io[_PROB], io[_MU_NEXT], int(io[_N_FINAL]), io[_UNIFORM])

    def _size_work(self, vocab: int, n_tokens: int) -> None:
        """Grows the work buffer to rsk_work_len(vocab, n_tokens) doubles (asked once per shape in a row)."""
        if self._work_for == (vocab, n_tokens):
            return
        need = library().rsk_work_len(vocab, n_tokens)
        if need == 0:
            raise BufferSizeError(f"recent/bias: {n_tokens} token ids is more than the kernels take")
        if len(self._work) < need:
            self._work = (c_double * need)()
        self._work_for = (vocab, n_tokens)

    def distribution(self) -> tuple[list[int], list[float]]:
        """The last successful step's final distribution: token ids ascending and their probabilities."""
        if self._final is None:
            raise RuntimeError("distribution(): no successful sample() on this Sampler yet")
        n, ids, probs = self._final
        return ctypes.cast(self._work, POINTER(c_int32))[ids:ids + n], self._work[probs:probs + n]

    def sample_batch(self, rows, configs, *, masks=None, recents=None, biases=None, isa: int = 0) -> list:
        """One rsk_sample_batch call over `rows` (equal-length logits rows, or a 2-D float32 buffer read in place);
        `configs` is one SamplerConfig for all rows or one per row, `masks` / `recents` / `biases` one entry per row
        (or None). Returns, per row, its Draw or the KernelError that refused it (rows fail alone)."""
        lib = library()
        logits, n, vocab = _rows(rows)
        configs = [configs] * n if isinstance(configs, SamplerConfig) else list(configs)
        masks, recents, biases = (list(x) if x is not None else [None] * n for x in (masks, recents, biases))
        for name, given in (("configs", configs), ("masks", masks), ("recents", recents), ("biases", biases)):
            if len(given) != n:
                raise BufferSizeError(f"{name}: {len(given)} entries for {n} rows")
        slots, words, ids, values, most = array("d"), array("I"), [], [], 0
        for r, (config, mask, recent, bias) in enumerate(zip(configs, masks, recents, biases)):
            if not isinstance(config, SamplerConfig):
                raise TypeError(f"configs[{r}]: expected a SamplerConfig, got {config!r}")
            mask_at = -1
            if mask is not None:
                if not isinstance(mask, TokenMask) or mask.vocab != vocab:
                    raise BufferSizeError(f"masks[{r}]: expected a TokenMask of {vocab} tokens, got {mask!r}")
                mask_at = len(words)
                words.frombytes(bytes(mask.words))
            tokens_at, bias_at, n_recent = len(ids), len(values), 0
            if recent is not None or bias:
                recent, pairs = list(recent if recent is not None else ()), list(bias.items() if hasattr(bias, "items") else bias or ())
                n_recent = len(recent)
                ids.extend(recent + [token for token, _ in pairs])
                values.extend(value for _, value in pairs)
                most = max(most, len(ids) - tokens_at)
            # One row of io slots (rsk.h): the config's inputs 0..17, then MASK_AT, the outputs 19..26 (zero),
            # TOKENS_AT, N_TOKENS, BIAS_AT, ADVANCE (0: the caller keeps the state) and MASS (an output).
            slots.extend(config._slots)
            slots[-18 + _N_RECENT], slots[-1] = n_recent, isa
            slots.extend((mask_at, 0, 0, 0, 0, 0, 0, 0, 0, tokens_at, len(ids) - tokens_at, bias_at, 0, 0))
        io = (c_double * len(slots)).from_buffer(slots)
        tokens = int32_array(ids, "recents/biases")
        bias_values, _ = float32_view(values, "biases")
        mask_words = (c_uint32 * len(words)).from_buffer(words)
        self._size_work(vocab, most)
        self._final = None
        check(lib.rsk_sample_batch(logits, n, vocab, vocab, mask_words, len(words), tokens, len(tokens), bias_values,
                                   len(bias_values), io, len(io), self._work, len(self._work)))
        return [_row_result(slots[base + _STATUS:base + _UNIFORM + 1]) for base in range(0, len(slots), _IO_LEN)]


_NO_TOKENS, _NO_BIAS = (c_int32 * 0)(), (c_float * 0)()


def _pack(recent, bias):
    """(token ids: the recent window then the bias ids, bias values, window length) as rsk_sample takes them."""
    if not bias and (recent is None or len(recent) == 0):
        return _NO_TOKENS, _NO_BIAS, 0
    pairs = list(bias.items() if hasattr(bias, "items") else bias or ())
    recent = list(recent if recent is not None else ())
    tokens = int32_array(recent + [token for token, _ in pairs], "recent/bias")
    return tokens, float32_view([value for _, value in pairs], "bias")[0], len(recent)


def _encode(io, config: SamplerConfig, n_recent: int, isa: int) -> None:
    io[:_ISA + 1] = config._slots
    io[_N_RECENT], io[_ISA] = n_recent, isa


def _rows(rows):
    """(c_float array over every row, rows, vocabulary): a C-contiguous 2-D float32 buffer is read in place, other
    rows are copied into one array('f')."""
    try:
        view = memoryview(rows)
    except TypeError:
        view = None
    if view is not None and view.ndim == 2 and view.c_contiguous:
        (n, vocab), flat = view.shape, float32_view(view.cast("B").cast(view.format.lstrip("<=@")), "rows")[0]
    else:
        joined, n, vocab = array("f"), 0, None
        for r, row in enumerate(rows):
            values, _ = float32_view(row, f"rows[{r}]")
            if vocab is not None and len(values) != vocab:
                raise BufferSizeError(f"rows[{r}]: {len(values)} logits, rows[0] has {vocab}")
            joined.frombytes(bytes(values))
            n, vocab = n + 1, len(values)
        flat = (c_float * len(joined)).from_buffer(joined)
    if n == 0:
        raise BufferSizeError("rows: an empty batch")
    if not 0 < (vocab or 0) <= MAX_VOCAB:
        raise VocabularyError(f"rows: {vocab} logits per row")
    return flat, n, vocab


def _row_result(out) -> Draw | KernelError:
    """A batch row's Draw, or the KernelError its status names, from its io slots STATUS..UNIFORM."""
    status, token, prob, mu_next, size, uniform = out
    if status != 0:
        return error_for(int(status), "batch row")
    return Draw(int(token), prob, mu_next, int(size), uniform)


_local = threading.local()


def _thread_sampler() -> Sampler:
    sampler = getattr(_local, "sampler", None)
    if sampler is None:
        sampler = _local.sampler = Sampler()
    return sampler


def sample(logits, config: SamplerConfig = SamplerConfig(), **options) -> Draw:
    """One sampling step (see Sampler.sample) with this thread's reused buffers."""
    return _thread_sampler().sample(logits, config, **options)


def sample_batch(rows, configs, **options) -> list:
    """One batch of sampling steps (see Sampler.sample_batch) with this thread's reused buffers."""
    return _thread_sampler().sample_batch(rows, configs, **options)


def uniform(seed: int, step: int) -> float:
    """The uniform double in [0, 1) rsk_sample draws for (seed, step)."""
    config = SamplerConfig(seed=seed, step=step)
    return library().rsk_uniform(config.seed & 0xFFFFFFFF, config.seed >> 32, float(config.step))
