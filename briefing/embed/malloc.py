"""Keep the memory of freed activations for the next batch while an index is embedded (glibc only).

A torch forward pass over 32 passages allocates and frees about 80 MB of activations, the largest blocks 19-25 MB.
glibc's malloc serves blocks that size with fresh ``mmap`` pages, or trims them off the top of the heap when they are
freed, so every batch faults in and zeroes the same amount of memory again: 15,000-20,000 page faults per batch and
about 5% of an index build's CPU time on the 2-core machine in the README. With the mmap threshold at glibc's 32 MiB
maximum and trimming off, the pages stay mapped and are reused (under 1,000 faults per batch). The peak is unchanged:
each batch needs those pages anyway.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

# mallopt() parameters from glibc's <malloc.h>, and the values glibc starts with.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
DEFAULT_THRESHOLD = 128 * 1024
MMAP_THRESHOLD_MAX = 32 * 1024 * 1024  # the largest value glibc accepts on 64-bit systems
NO_TRIM = 1 << 30


@contextmanager
def kept_freed_memory() -> Iterator[bool]:
    """Within the block, freed blocks up to 32 MiB stay in the heap for reuse; afterwards the heap is trimmed and
    glibc's default thresholds set again (its dynamic mmap threshold stays off for the process, as after any
    ``mallopt``). Yields whether the options were set: False off Linux or on a C library without them (musl)."""
    libc = _glibc()
    kept = libc is not None and bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX)) and bool(
        libc.mallopt(M_TRIM_THRESHOLD, NO_TRIM))
    try:
        yield kept
    finally:
        if libc is not None:
            libc.mallopt(M_TRIM_THRESHOLD, DEFAULT_THRESHOLD)
            libc.mallopt(M_MMAP_THRESHOLD, DEFAULT_THRESHOLD)
            libc.malloc_trim(0)


def _glibc():
    """This process's C library through ctypes when it has ``mallopt`` and ``malloc_trim``, else None."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        libc.mallopt.argtypes, libc.mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
        libc.malloc_trim.argtypes, libc.malloc_trim.restype = (ctypes.c_size_t,), ctypes.c_int
    except (OSError, AttributeError):
        return None
    return libc
