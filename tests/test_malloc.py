"""The allocator setting the indexer embeds under: freed activations are reused, not faulted in again."""

from __future__ import annotations

import resource

import pytest

from briefing import malloc
from briefing.malloc import kept_freed_memory

SIZE = 16 << 20  # about the size of one layer's activations for a batch of 32 passages


def page_faults(rounds: int = 20) -> int:
    """Minor page faults taken to allocate, fill and free a 16 MiB block ``rounds`` times."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(rounds):
        block = bytearray(SIZE)  # malloc, then every page written
        del block
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@pytest.mark.skipif(malloc._glibc() is None, reason="glibc's mallopt only")
def test_freed_blocks_are_reused_inside_and_given_back_after():
    pages = SIZE // resource.getpagesize()
    with kept_freed_memory() as kept:
        assert kept
        inside = page_faults()
    after = page_faults()
    # Inside, the block is faulted in once and then reused; after the block, glibc's defaults map and fault it
    # in for every allocation again.
    assert inside < 3 * pages
    assert after > 15 * pages


def test_other_systems_are_left_alone(monkeypatch):
    monkeypatch.setattr(malloc.sys, "platform", "darwin")
    with kept_freed_memory() as kept:
        assert not kept
