"""Finds, verifies and opens librsk, and declares the C signatures of rsk.h for ctypes."""
import ctypes
import functools
import hashlib
import json
import os
from ctypes import POINTER, c_double, c_float, c_int32, c_uint32
from pathlib import Path

from .errors import LibraryLoadError

#: RSK_ABI_VERSION of the rsk.h these bindings were written for; a library built from other headers is refused.
ABI_VERSION = 1

_PACKAGE = Path(__file__).resolve().parent
#: Where `pip install` puts the copy it packaged (its sha256 is recorded beside it, in librsk.json).
PACKAGED = _PACKAGE / "librsk.so"
#: Where `npm run build:kernels` puts the library, when running from the source checkout (bindings/python/rsk).
CHECKOUT = _PACKAGE.parents[2] / "kernels" / "build" / "librsk.so"
_IN_CHECKOUT = (_PACKAGE.parent / "pyproject.toml").is_file()

_f32, _u32, _i32, _f64 = POINTER(c_float), POINTER(c_uint32), POINTER(c_int32), POINTER(c_double)
_SIGNATURES = {
    "rsk_abi_version": (c_int32, []),
    "rsk_work_len": (c_uint32, [c_uint32, c_uint32]),
    "rsk_sample": (c_int32, [_f32, c_uint32, _u32, c_uint32, _i32, c_uint32, _f32, c_uint32, _f64, c_uint32, _f64, c_uint32]),
    "rsk_sample_batch": (c_int32, [_f32, c_uint32, c_uint32, c_uint32, _u32, c_uint32, _i32, c_uint32, _f32, c_uint32,
                                   _f64, c_uint32, _f64, c_uint32]),
    "rsk_mask_apply": (c_int32, [_f32, c_uint32, _u32, c_uint32]),
    "rsk_mask_and": (c_int32, [_u32, _u32, _u32, c_uint32]),
    "rsk_mask_or": (c_int32, [_u32, _u32, _u32, c_uint32]),
    "rsk_mask_count": (c_int32, [_u32, c_uint32, c_uint32]),
    "rsk_uniform": (c_double, [c_uint32, c_uint32, c_double]),
}


def _recorded_sha256(library: Path) -> tuple[str, Path] | None:
    """The sha256 recorded for `library` by the kernel build (manifest.json) or by the wheel build (librsk.json)."""
    for record in (library.parent / "manifest.json", library.parent / "librsk.json"):
        if record.is_file():
            return json.loads(record.read_text())["sha256"], record
    return None


def _open(library: Path) -> ctypes.CDLL:
    data = library.read_bytes()
    recorded = _recorded_sha256(library)
    if recorded is not None:
        actual = hashlib.sha256(data).hexdigest()
        if actual != recorded[0]:
            raise OSError(f"sha256 {actual} differs from {recorded[0]} recorded in {recorded[1]}: refusing to load it")
    lib = ctypes.CDLL(str(library))
    for name, (restype, argtypes) in _SIGNATURES.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    abi = lib.rsk_abi_version()
    if abi != ABI_VERSION:
        raise OSError(f"ABI version {abi}, these bindings expect {ABI_VERSION}")
    return lib


@functools.cache
def library() -> ctypes.CDLL:
    """The process's librsk, loaded once (see `load`)."""
    return load()


def load() -> ctypes.CDLL:
    """RSK_LIBRARY if set (and only it), else the packaged copy, else the checkout's build. The sha256 is checked
    against a manifest.json or librsk.json beside the file when there is one, then the ABI version."""
    override = os.environ.get("RSK_LIBRARY") or None
    if override:
        candidates = [Path(override)]
    else:
        candidates = [PACKAGED, CHECKOUT] if _IN_CHECKOUT else [PACKAGED]
    tried = []
    for path in candidates:
        if not path.is_file():
            tried.append(f"{path}: no such file")
            continue
        try:
            return _open(path)
        except (OSError, AttributeError, KeyError, ValueError) as error:
            tried.append(f"{path}: {error}")
    raise LibraryLoadError("librsk: cannot load the rsk kernels (build them with `npm run build:kernels`)", tried, override)
