"""Arrow arrays made from NumPy arrays through their buffers, without importing pandas.

``pyarrow.array`` asks pandas whether its argument is a pandas object, a NumPy array or a list alike, and
importing pandas for that question cost 0.5 s of a mission's analysis that uses none of it (measured at
1M projects); so do ``pyarrow.repeat`` and ``to_numpy``. These build the same arrays (no NULLs) from the
values' memory. Only the analytics readers use them, which import Arrow themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

_NUMPY_OF: dict[pa.DataType, np.dtype[Any]] = {
    pa.int32(): np.dtype(np.int32),
    pa.int64(): np.dtype(np.int64),
    pa.float32(): np.dtype(np.float32),
    pa.float64(): np.dtype(np.float64),
}
"""The NumPy type whose memory each Arrow type shares."""
_ARROW_OF = {dtype: kind for kind, dtype in _NUMPY_OF.items()}


def numbers(values: np.ndarray, kind: pa.DataType | None = None) -> pa.Array:
    """``values`` as an Arrow array of ``kind`` (int32, int64, float32 or float64; by default the one of
    their NumPy type), as ``pyarrow.array(values, kind)`` makes it for a NumPy array: converted to
    ``kind`` first, NaN a value and not NULL."""
    kind = kind if kind is not None else _ARROW_OF[np.asarray(values).dtype]
    data = np.ascontiguousarray(values, dtype=_NUMPY_OF[kind])
    return pa.Array.from_buffers(kind, len(data), [None, pa.py_buffer(data)])


def flags(values: np.ndarray) -> pa.Array:
    """A NumPy bool array as an Arrow boolean array (its values packed into bits)."""
    bits = np.packbits(np.asarray(values, dtype=bool), bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])


def strings(names: Sequence[str | None]) -> pa.Array:
    """The strings (None: NULL) as an Arrow string array, a large one past 2 GiB of text."""
    encoded = [b"" if name is None else name.encode() for name in names]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(e) for e in encoded], dtype=np.int64)
    kind = pa.string() if offsets[-1] < 2**31 else pa.large_string()
    ends = offsets.astype(np.int32) if kind == pa.string() else offsets
    missing = [name is None for name in names]
    valid = flags(~np.array(missing, dtype=bool)).buffers()[1] if any(missing) else None
    return pa.Array.from_buffers(
        kind, len(encoded), [valid, pa.py_buffer(ends), pa.py_buffer(b"".join(encoded))]
    )


def chosen(names: Sequence[str], codes: np.ndarray) -> pa.Array:
    """A string array whose value ``i`` is ``names[codes[i]]`` (as a dictionary array cast to strings)."""
    return strings(names).take(numbers(codes, pa.int32()))
