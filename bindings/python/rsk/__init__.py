"""rsk: Python bindings (ctypes) of the rsk sampler and token-mask kernels (the C ABI in kernels/include/rsk.h)."""
from ._library import ABI_VERSION, library
from .errors import (BufferSizeError, InstructionSetError, KernelError, LibraryLoadError, NonFiniteLogitError,
                     NothingToSampleError, ParameterError, VocabularyError)
from .masks import TokenMask
from .sampling import Draw, Sampler, SamplerConfig, sample, sample_batch, uniform

__all__ = [
    "ABI_VERSION", "BufferSizeError", "Draw", "InstructionSetError", "KernelError", "LibraryLoadError",
    "NonFiniteLogitError", "NothingToSampleError", "ParameterError", "Sampler", "SamplerConfig", "TokenMask",
    "VocabularyError", "library", "sample", "sample_batch", "uniform",
]
