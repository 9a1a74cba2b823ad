"""The allocator setting the indexer embeds under: freed activations are reused, not faulted in again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from briefing.embed import malloc
from briefing.embed.malloc import kept_freed_memory

SIZE = 16 << 20  # about the size of one layer's activations for a batch of 32 passages

# Run in a fresh interpreter: how glibc places a block depends on everything the process allocated before.
PROBE = f"""
import resource
from briefing.embed.malloc import kept_freed_memory

def page_faults(rounds=20):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(rounds):
        block = bytearray({SIZE})  # malloc, then every page written
        del block
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

with kept_freed_memory() as kept:
    inside = page_faults()
print(kept, inside, page_faults(), {SIZE} // resource.getpagesize())
"""


@pytest.mark.skipif(malloc._glibc() is None, reason="glibc's mallopt only")
def test_freed_blocks_are_reused_inside_and_given_back_after():
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode == 0, proc.stderr
    kept, inside, after, pages = proc.stdout.split()
    assert kept == "True"
    # Inside, the block is faulted in once and then reused; after the block, the heap has been trimmed and glibc's
    # defaults map the block afresh for every allocation.
    assert int(inside) < 3 * int(pages)
    assert int(after) > 15 * int(pages)


def test_other_systems_are_left_alone(monkeypatch):
    monkeypatch.setattr(malloc.sys, "platform", "darwin")
    with kept_freed_memory() as kept:
        assert not kept
