"""The server's process settings: freed memory kept and given back."""

import platform

import pytest

from backend.runtime import keep_freed_memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_servers_can_keep_freed_memory_and_give_it_back_on_glibc():
    from backend.runtime import release_memory

    assert keep_freed_memory(mmap_threshold=32 << 20, trim_threshold=128 << 20) is True
    assert release_memory() is True
