"""Single-row LightGBM prediction through the C API's "fast" path.

``Booster.predict`` spends most of a one-row call in Python (building a predictor, copying
parameters, converting arrays). LightGBM's C API has a prepared single-row path
(``LGBM_BoosterPredictForMatSingleRowFast``) that skips all of it; this module wraps it and
falls back to ``Booster.predict`` when the library does not offer it. A lock makes one
instance safe to share between threads (the prepared configuration holds a buffer).
"""

from __future__ import annotations

import ctypes
import threading
import weakref
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt

_PREDICT_RAW_SCORE = 1
_DTYPE_FLOAT64 = 1


def _free(lib: Any, handle: ctypes.c_void_p) -> None:
    lib.LGBM_FastConfigFree(handle)


class SingleRowPredictor:
    """Raw margin of one float64 row (``width`` columns) for ``booster``."""

    def __init__(self, booster: lgb.Booster, width: int) -> None:
        self._booster = booster
        self._width = width
        self._lock = threading.Lock()
        self._out = np.zeros(1, dtype=np.float64)
        self._out_len = ctypes.c_int64(0)
        self._handle: ctypes.c_void_p | None = None
        try:
            from lightgbm.basic import _LIB  # type: ignore[attr-defined]

            handle = ctypes.c_void_p()
            status = _LIB.LGBM_BoosterPredictForMatSingleRowFastInit(
                booster._handle,
                ctypes.c_int(_PREDICT_RAW_SCORE),
                ctypes.c_int(0),
                ctypes.c_int(-1),
                ctypes.c_int(_DTYPE_FLOAT64),
                ctypes.c_int32(width),
                ctypes.c_char_p(b"num_threads=1"),
                ctypes.byref(handle),
            )
            if status == 0:
                self._handle = handle
                self._lib = _LIB
                self._call = _LIB.LGBM_BoosterPredictForMatSingleRowFast
                self._out_ptr = self._out.ctypes.data_as(ctypes.POINTER(ctypes.c_double))
                weakref.finalize(self, _free, _LIB, handle)
        except (ImportError, AttributeError, OSError):
            self._handle = None

    @property
    def fast(self) -> bool:
        return self._handle is not None

    def predict(self, row: npt.NDArray[np.float64]) -> float:
        """``row`` must be a C-contiguous float64 array of ``width`` values."""
        if self._handle is None:
            return float(self._booster.predict(row.reshape(1, -1), raw_score=True)[0])
        with self._lock:
            status = self._call(
                self._handle,
                row.ctypes.data_as(ctypes.c_void_p),
                ctypes.byref(self._out_len),
                self._out_ptr,
            )
            if status != 0:
                return float(self._booster.predict(row.reshape(1, -1), raw_score=True)[0])
            return float(self._out[0])
