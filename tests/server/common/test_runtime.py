"""The server's process settings: freed memory kept and given back."""

import platform

import pytest

from backend.runtime import keep_freed_memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_servers_can_keep_freed_memory_and_give_it_back_on_glibc():
    from backend.runtime import release_memory

    assert keep_freed_memory(mmap_threshold=32 << 20, trim_threshold=128 << 20) is True
    assert release_memory() is True


def test_a_workers_own_memory_is_counted_again_only_once_it_has_grown(monkeypatch):
    import numpy as np

    from backend import runtime

    monkeypatch.setattr(runtime, "_looked_at", [0])
    assert 0 < runtime.private_bytes() <= runtime.resident_bytes()
    assert runtime.over_memory(1) is True  # the first look: over a bound of one byte
    assert runtime.over_memory(1) is False  # nothing grew since: not counted again
    grown = np.ones(2 * runtime.LOOK_AGAIN_BYTES, np.uint8)  # resident growth past the step
    assert runtime.over_memory(1) is True and grown.sum() == grown.size
    assert runtime.over_memory(0) is False  # no bound
