"""Python values to the C buffers rsk.h takes: float32 and int32 arrays, without a copy when the caller has one."""
from array import array
from ctypes import c_float, c_int32

from .errors import ParameterError

_FLOAT32_FORMATS = ("f", "<f", "=f", "@f")


def float32_view(values, field: str):
    """(c_float array, owner): shares `values`' memory when it is a writable float32 buffer (array('f'), a numpy
    float32 array), else the owner is a new array('f') copy."""
    try:
        view = memoryview(values)
    except TypeError:
        view = None
    if view is not None and view.format in _FLOAT32_FORMATS and view.ndim == 1 and view.c_contiguous:
        if not view.readonly:
            return (c_float * len(view)).from_buffer(view), values
        owner = array("f")
        owner.frombytes(view.tobytes())
    else:
        try:
            owner = array("f", values)
        except TypeError as error:
            raise TypeError(f"{field}: expected a sequence of numbers or a float32 buffer ({error})") from None
    return (c_float * len(owner)).from_buffer(owner), owner


def int32_array(values, field: str):
    """A c_int32 array of token ids; an id that does not fit in int32 is a ParameterError naming the field."""
    try:
        converted = array("i", values)
    except OverflowError:
        raise ParameterError(f"{field}: a token id does not fit in int32") from None
    except TypeError as error:
        raise TypeError(f"{field}: expected a sequence of int token ids ({error})") from None
    return (c_int32 * len(converted)).from_buffer(converted)
