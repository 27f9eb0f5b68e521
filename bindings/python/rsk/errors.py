"""Typed errors: one exception class per RSK_E_* status of rsk.h, plus the library load failure."""


class KernelError(ValueError):
    """A kernel refused its input; `status` is the RSK_E_* code it returned."""

    status = 0
    meaning = "unknown status"

    def __init__(self, detail: str = "", status: int | None = None):
        if status is not None:
            self.status = status
        message = f"{self.meaning} (status {self.status})"
        super().__init__(f"{message}: {detail}" if detail else message)


class VocabularyError(KernelError):
    """RSK_E_VOCAB: the vocabulary is empty or larger than 2^24 tokens."""

    status = -1
    meaning = "vocabulary size is 0 or larger than 2^24"


class NonFiniteLogitError(KernelError):
    """RSK_E_NONFINITE: a logit is NaN or +inf (-inf is allowed and means banned)."""

    status = -2
    meaning = "a logit is NaN or +inf"


class ParameterError(KernelError):
    """RSK_E_PARAM: a parameter is out of range or NaN, or a token id is outside the vocabulary."""

    status = -3
    meaning = "a parameter is out of range (or a token id is outside the vocabulary)"


class NothingToSampleError(KernelError):
    """RSK_E_EMPTY: every token is banned, masked or -inf."""

    status = -4
    meaning = "every token is banned, masked or -inf"


class BufferSizeError(KernelError):
    """RSK_E_BUFFER: a buffer is too short, or a mask is for another vocabulary."""

    status = -5
    meaning = "a buffer is too short or misaligned"


class InstructionSetError(KernelError):
    """RSK_E_ISA: the forced instruction set is not available on this CPU."""

    status = -6
    meaning = "the requested instruction set is not available"


_BY_STATUS = {cls.status: cls for cls in (VocabularyError, NonFiniteLogitError, ParameterError, NothingToSampleError, BufferSizeError, InstructionSetError)}


def error_for(status: int, detail: str = "") -> KernelError:
    """The KernelError subclass instance for a negative status."""
    cls = _BY_STATUS.get(status)
    return cls(detail) if cls else KernelError(detail, status)


def check(status: int, detail: str = "") -> int:
    """Returns a non-negative status; raises the matching KernelError subclass for a negative one."""
    if status < 0:
        raise error_for(status, detail)
    return status


class LibraryLoadError(OSError):
    """librsk could not be loaded: lists every path tried and why, and the RSK_LIBRARY override."""

    def __init__(self, message: str, tried: list[str], override: str | None):
        self.tried = tuple(tried)
        lines = "\n    ".join(tried) or "(nothing)"
        super().__init__(f"{message}\n  tried:\n    {lines}\n  RSK_LIBRARY={override or '(unset)'}")
