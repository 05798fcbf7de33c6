"""What a long-running server lends model_core, which has no processes of its own to manage:
its big decodes' slots shared by every worker, and glibc's memory settings.

Slots: at most MODEL_CORE_DECODE_SLOTS big decodes at once among the processes that share
MODEL_CORE_DECODE_SLOTS_DIR (gunicorn.conf.py sets both: one fewer than its workers, so one
worker is always free for everyone else's requests). `install()` hands them to the library
(model_core.serving.DECODE_HOOKS) with `release_memory` after each big decode.

Memory:
glibc hands freed blocks above its thresholds straight back to the operating system, so a
server decoding a 280×280 canvas (300 KB of RGBA) on every request pays to fault that
memory back in each time: about half a millisecond per request, measured with
`benchmarks/preprocess_speed.py --keep-freed-memory`. Keeping freed memory in the process
costs a few megabytes and removes that.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import functools
import os
from collections.abc import Iterator
from pathlib import Path

from model_core.serving import DECODE_HOOKS

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


def private_bytes(pid: int | str = "self") -> int:
    """A process's own memory: its resident pages no other process shares (Linux's
    smaps_rollup, Private_Clean + Private_Dirty; 0 where there is none). A worker forked from a
    master holding the models shares their pages until it writes them: its resident size counts
    them, this does not. About a millisecond to read in a worker: not for every request."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    kib = sum(
        int(line.split()[1]) for line in text.splitlines() if line.startswith(("Private_Clean:", "Private_Dirty:"))
    )
    return kib * 1024


def resident_bytes() -> int:
    """This process's resident size (/proc/self/statm: microseconds to read; 0 where there is none)."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


LOOK_AGAIN_BYTES = 16 << 20  # the resident growth after which a worker's own memory is counted again
_looked_at = [0]  # the resident size when it was last counted (0: never)


def over_memory(limit: int) -> bool:
    """Whether this process holds more than `limit` bytes of its own even after handing freed
    memory back (a flood of huge pixel bodies leaves Python's own allocator fragmented, which no
    trim returns): a worker that is should be replaced, once its request is answered. Counted
    the first time and again only once the resident size has grown LOOK_AGAIN_BYTES since
    (memory of its own comes with resident growth; the models' shared pages are only read)."""
    if not limit:
        return False
    resident = resident_bytes()
    if _looked_at[0] and resident < _looked_at[0] + LOOK_AGAIN_BYTES:
        return False
    _looked_at[0] = resident
    if private_bytes() <= limit:
        return False
    release_memory()
    return private_bytes() > limit


class SharedSlots:
    """At most `count` big decodes at once among every process that uses one directory (a
    server's workers; gunicorn.conf.py sets MODEL_CORE_DECODE_SLOTS_DIR and, one fewer
    than its workers, MODEL_CORE_DECODE_SLOTS). Holding slot k is an exclusive flock on its
    file, opened anew by each holder (so threads exclude each other too); the kernel drops
    it if the holder dies. A slot is never waited for: a worker waiting is one fewer for
    everybody else's requests, and those must keep their latency through a burst."""

    def __init__(self, directory: str, count: int):
        self.directory, self.count = directory, count

    @contextlib.contextmanager
    def taken(self) -> Iterator[bool]:
        for k in range(self.count):
            fd = os.open(os.path.join(self.directory, f"slot-{k}"), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            try:
                yield True
            finally:
                os.close(fd)  # and with it the lock
            return
        yield False


@functools.cache
def shared_slots() -> SharedSlots | None:
    directory = os.environ.get("MODEL_CORE_DECODE_SLOTS_DIR", "")
    return SharedSlots(directory, max(1, int(os.environ.get("MODEL_CORE_DECODE_SLOTS", "1")))) if directory else None


def install() -> None:
    """Lend the library this process's server hooks (idempotent; the API's app does it)."""
    shared = shared_slots()
    DECODE_HOOKS.shared_slot = shared.taken if shared else None
    DECODE_HOOKS.after_big_decode = release_memory
