"""The C allocator's thresholds for the large temporaries of an explained estimate.

An explained estimate allocates and frees arrays of 1-8 MB per call (`model.tree_shap`:
its table look-ups for up to 8 rows). glibc serves blocks over its mmap threshold
(128 KB at start) with fresh pages and returns freed memory over its trim threshold to
the system: each call then page-faults its temporaries anew (560,000 minor faults for a
batch of 1000, 7.0 s instead of 3.7). glibc raises both thresholds by itself after a large
block is freed (up to 32 MB and 64 MB on 64-bit), which building the tables at load used
to do; mapped tables allocate nothing, so the thresholds are set here, to those values.
"""

from __future__ import annotations

import ctypes
import functools

# mallopt's parameters (malloc.h) and the values glibc's dynamic thresholds stop at.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
TRIM_THRESHOLD_BYTES = 64 * 1024 * 1024


@functools.cache
def keep_freed_memory() -> bool:
    """Serve blocks under 32 MB from the heap and keep up to 64 MB of it freed, once per
    process; False where the C library has no `mallopt` (not glibc: left as it is)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    mmap_set = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
    trim_set = mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    return bool(mmap_set and trim_set)
