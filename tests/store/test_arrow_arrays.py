"""Arrow arrays made from NumPy buffers are the arrays ``pyarrow.array`` makes, without pandas."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest

from missionboard.store import arrow_arrays


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (np.array([3, -1, 2**40], dtype=np.int64), pa.int64()),
        (np.array([3, -1, 7], dtype=np.int64), pa.int32()),
        (np.array([1.5, 1e300, -0.0]), pa.float64()),
        (np.array([1, 2, 3], dtype=np.int32)[::2], pa.int32()),
        (np.zeros(0, dtype=np.int64), pa.int64()),
    ],
)
def test_numbers_are_the_array_pyarrow_makes(values: np.ndarray, kind: pa.DataType) -> None:
    assert arrow_arrays.numbers(values, kind).equals(pa.array(values, kind))


def test_nan_is_a_number_not_a_null() -> None:
    found = arrow_arrays.numbers(np.array([np.nan, 1.0]), pa.float64())
    assert found.null_count == 0


def test_numbers_take_the_type_of_their_numpy_array() -> None:
    assert arrow_arrays.numbers(np.array([1.0, 2.0], dtype=np.float32)).type == pa.float32()


@pytest.mark.parametrize("values", [[True, False, True, True, False, False, False, False, True], [], [False]])
def test_flags_are_the_boolean_array_pyarrow_makes(values: list[bool]) -> None:
    assert arrow_arrays.flags(np.array(values, dtype=bool)).equals(pa.array(values, pa.bool_()))


@pytest.mark.parametrize("names", [["o1", "ümlaut", ""], ["a", None, "b"], [None], []])
def test_strings_are_the_string_array_pyarrow_makes(names: list[str | None]) -> None:
    assert arrow_arrays.strings(names).equals(pa.array(names, pa.string()))


def test_chosen_strings_repeat_names_by_their_codes() -> None:
    found = arrow_arrays.chosen(["accepted", "proposed"], np.array([1, 0, 1, 1]))
    assert found.to_pylist() == ["proposed", "accepted", "proposed", "proposed"]


def test_making_arrays_imports_no_pandas() -> None:
    program = (
        "import sys, numpy as np\n"
        "from missionboard.store import arrow_arrays as a\n"
        "a.numbers(np.arange(3)); a.flags(np.ones(3, bool)); a.chosen(['x', None], np.zeros(2, np.int32))\n"
        "print('pandas' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", program], check=True, capture_output=True, text=True)
    assert done.stdout.strip() == "False"
