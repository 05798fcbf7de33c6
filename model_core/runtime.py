"""Process settings for long-running servers that preprocess and classify one image at a time.

glibc hands freed blocks above its thresholds straight back to the operating system, so a
server decoding a 280×280 canvas (300 KB of RGBA) on every request pays to fault that
memory back in each time: about half a millisecond per request, measured with
`benchmarks/preprocess_speed.py --keep-freed-memory`. Keeping freed memory in the process
costs a few megabytes and removes that.
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # from glibc's <malloc.h>


def keep_freed_memory(mmap_threshold: int = 32 << 20, trim_threshold: int = 128 << 20) -> bool:
    """Raise glibc's mmap and trim thresholds; False where the C library is not glibc."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, mmap_threshold)) and bool(mallopt(M_TRIM_THRESHOLD, trim_threshold))


def release_memory() -> bool:
    """Hand freed heap memory back to the operating system now (glibc's malloc_trim): after a
    big image, so that a burst of them does not leave every worker holding its peak."""
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return False
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return bool(trim(0))
