"""LightGBM prediction through the library's C API, without the ``lightgbm`` Python package.

Importing ``lightgbm`` imports pandas, scikit-learn, scipy and pyarrow (≈190 MB of a server's
memory) although scoring needs none of them. This module loads the same shared library the
package ships (``lightgbm/lib/lib_lightgbm.so``, found with ``importlib.util.find_spec``,
which does not import the package) with ``ctypes`` and calls what scoring needs:

* ``LGBM_BoosterLoadModelFromString``: the booster text of a model file;
* ``LGBM_BoosterPredictForMat``: raw margins of a row-major float64 matrix, the call
  ``Booster.predict`` makes, so the scores are the package's to the last bit;
* ``LGBM_BoosterPredictForMatSingleRowFast``: one row through a prepared configuration,
  which skips the per-call set-up (a few microseconds instead of tens).

A ``Booster`` is safe to share between threads: the single-row configuration holds a buffer
and is used under a lock; matrix predictions need none.
"""

from __future__ import annotations

import ctypes
import importlib.util
import sys
import threading
import weakref
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ledgerline.fraud.errors import ModelFileError

FloatArray = npt.NDArray[np.float64]

_DTYPE_FLOAT64 = 1
_ROW_MAJOR = 1
_PREDICT_RAW_SCORE = 1
_ALL_ITERATIONS = -1


class LightGBMError(RuntimeError):
    """The LightGBM library refused a call (its own message) or could not be found."""


def library_path() -> Path:
    """Where the installed ``lightgbm`` package keeps its shared library."""
    spec = importlib.util.find_spec("lightgbm")
    if spec is None or not spec.submodule_search_locations:
        raise LightGBMError("the lightgbm package is not installed")
    if sys.platform == "win32":  # pragma: no cover - the platform runs on Linux
        name = "lib_lightgbm.dll"
    elif sys.platform == "darwin":  # pragma: no cover
        name = "lib_lightgbm.dylib"
    else:
        name = "lib_lightgbm.so"
    for folder in spec.submodule_search_locations:
        for candidate in (Path(folder) / "lib" / name, Path(folder) / "bin" / name):
            if candidate.is_file():
                return candidate
    raise LightGBMError(f"{name} not found in the lightgbm package")  # pragma: no cover


@cache
def _library() -> Any:
    lib = ctypes.cdll.LoadLibrary(str(library_path()))
    lib.LGBM_GetLastError.restype = ctypes.c_char_p
    return lib


def _check(lib: Any, status: int) -> None:
    if status != 0:
        raise LightGBMError(lib.LGBM_GetLastError().decode("utf-8", "replace"))


def _free(lib: Any, booster: ctypes.c_void_p, fast: list[ctypes.c_void_p]) -> None:
    for handle in fast:
        lib.LGBM_FastConfigFree(handle)
    lib.LGBM_BoosterFree(booster)


class Booster:
    """A LightGBM model loaded from its text form; raw margins only (what scoring needs)."""

    def __init__(self, model_text: str) -> None:
        try:
            self._lib = _library()
        except (LightGBMError, OSError) as exc:
            raise ModelFileError(f"cannot load the LightGBM library: {exc}") from exc
        handle = ctypes.c_void_p()
        iterations = ctypes.c_int(0)
        status = self._lib.LGBM_BoosterLoadModelFromString(
            ctypes.c_char_p(model_text.encode("utf-8")),
            ctypes.byref(iterations),
            ctypes.byref(handle),
        )
        if status != 0:
            message = self._lib.LGBM_GetLastError().decode("utf-8", "replace")
            raise ModelFileError(f"not a LightGBM model: {message}")
        self._handle = handle
        self._fast: list[ctypes.c_void_p] = []
        weakref.finalize(self, _free, self._lib, handle, self._fast)
        self.iterations = iterations.value
        width = ctypes.c_int(0)
        _check(self._lib, self._lib.LGBM_BoosterGetNumFeature(handle, ctypes.byref(width)))
        self.width = width.value
        self._lock = threading.Lock()
        self._row_out = np.zeros(1, dtype=np.float64)
        self._row_out_len = ctypes.c_int64(0)

    def predict(self, matrix: FloatArray, num_threads: int = 0) -> FloatArray:
        """Raw margins of the rows of ``matrix`` (``num_threads`` 0: OpenMP's default)."""
        data = np.ascontiguousarray(matrix, dtype=np.float64)
        if data.ndim != 2 or data.shape[1] != self.width:
            raise ValueError(f"expected a matrix of {self.width} columns, got {data.shape}")
        rows = data.shape[0]
        out = np.zeros(rows, dtype=np.float64)
        if rows == 0:
            return out
        out_len = ctypes.c_int64(0)
        parameters = f"num_threads={num_threads}" if num_threads > 0 else ""
        _check(
            self._lib,
            self._lib.LGBM_BoosterPredictForMat(
                self._handle,
                data.ctypes.data_as(ctypes.c_void_p),
                ctypes.c_int(_DTYPE_FLOAT64),
                ctypes.c_int32(rows),
                ctypes.c_int32(self.width),
                ctypes.c_int(_ROW_MAJOR),
                ctypes.c_int(_PREDICT_RAW_SCORE),
                ctypes.c_int(0),
                ctypes.c_int(_ALL_ITERATIONS),
                ctypes.c_char_p(parameters.encode()),
                ctypes.byref(out_len),
                out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
            ),
        )
        if out_len.value != rows:  # pragma: no cover - a binary model has one output per row
            raise LightGBMError(f"expected {rows} predictions, got {out_len.value}")
        return out

    def predict_row(self, row: FloatArray) -> float:
        """Raw margin of one row: a C-contiguous float64 array of ``width`` values."""
        if row.dtype != np.float64 or row.shape != (self.width,) or not row.flags.c_contiguous:
            raise ValueError(f"expected a contiguous float64 row of {self.width} values")
        with self._lock:
            if not self._fast:
                self._fast.append(self._prepare_single_row())
            _check(
                self._lib,
                self._lib.LGBM_BoosterPredictForMatSingleRowFast(
                    self._fast[0],
                    row.ctypes.data_as(ctypes.c_void_p),
                    ctypes.byref(self._row_out_len),
                    self._row_out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
                ),
            )
            return float(self._row_out[0])

    def _prepare_single_row(self) -> ctypes.c_void_p:
        handle = ctypes.c_void_p()
        _check(
            self._lib,
            self._lib.LGBM_BoosterPredictForMatSingleRowFastInit(
                self._handle,
                ctypes.c_int(_PREDICT_RAW_SCORE),
                ctypes.c_int(0),
                ctypes.c_int(_ALL_ITERATIONS),
                ctypes.c_int(_DTYPE_FLOAT64),
                ctypes.c_int32(self.width),
                ctypes.c_char_p(b"num_threads=1"),
                ctypes.byref(handle),
            ),
        )
        return handle
