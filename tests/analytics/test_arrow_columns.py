"""Arrow columns read into NumPy arrays from their buffers (``participants``' readers): the values that
pyarrow's ``to_numpy`` gives, NULLs replaced, whatever the chunks, slices and NULLs."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from missionboard.analytics import participants

COLUMNS = {
    "one chunk": pa.chunked_array([pa.array([3, 1, 2], pa.int64())]),
    "chunks with NULLs": pa.chunked_array(
        [pa.array([1, None, 3], pa.int64()), pa.array([None, 5], pa.int64())]
    ),
    "a slice with NULLs": pa.array([1, 2, None, 4, 5, 6, 7, 8, 9, None], pa.int64()).slice(2),
    "a sliced chunk": pa.chunked_array([pa.array([7, 8, 9], pa.int64()).slice(1)]),
    "no chunks": pa.chunked_array([], pa.int64()),
    "int32, cast": pa.array([1, None, 3], pa.int32()),
}


@pytest.mark.parametrize("name", COLUMNS)
def test_an_integer_column_reads_as_to_numpy_gives_it_with_nulls_replaced(name: str) -> None:
    column = COLUMNS[name]
    expected = column.cast(pa.int64()).fill_null(-7).to_numpy()
    found = participants.ints(column, -7)
    assert found.dtype == np.int64
    assert found.tolist() == expected.tolist()


@pytest.mark.parametrize("name", COLUMNS)
def test_a_number_column_reads_as_float64_with_nulls_as_nan(name: str) -> None:
    column = COLUMNS[name]
    expected = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
    found = participants._floats(column)
    assert found.dtype == np.float64
    assert np.array_equal(found, expected.astype(np.float64), equal_nan=True)


def test_a_column_of_one_chunk_without_nulls_is_a_read_only_view_of_it() -> None:
    found = participants.ints(COLUMNS["one chunk"], 0)
    assert not found.flags.writeable


@pytest.mark.parametrize(
    "column",
    [
        pa.array([True, None, False, True] * 5).slice(3),
        pa.chunked_array([pa.array([True, False]), pa.array([None, True, True])]),
        pa.chunked_array([], pa.bool_()),
    ],
)
def test_a_boolean_column_reads_with_nulls_as_false(column: pa.Array | pa.ChunkedArray) -> None:
    expected = [bool(value) for value in column.to_pylist()]
    assert participants._bools(column).tolist() == expected
