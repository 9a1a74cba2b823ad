"""What this CPU does fast: int8 dot products (VNNI, ARM dot-product) and bfloat16 tiles (AMX-BF16)."""

from __future__ import annotations

import platform
from pathlib import Path


def _int8_ok(cpuinfo: str, machine: str) -> bool:
    """Decide from /proc/cpuinfo text and the machine name; see :func:`cpu_supports_int8`."""
    machine = machine.lower()
    words = set(cpuinfo.lower().split())
    if machine in {"x86_64", "amd64", "i686", "i386"}:
        return bool(words & {"avx512_vnni", "avx_vnni", "avx512vnni", "avxvnni"})
    if machine in {"aarch64", "arm64"}:
        # Apple silicon has no /proc/cpuinfo but always has the dot-product instructions.
        return "asimddp" in words or (not cpuinfo and machine == "arm64")
    return False


def cpu_supports_int8() -> bool:
    """Whether dynamic-int8 ONNX inference is both fast and accurate on this CPU.

    onnxruntime runs int8 MatMuls as u8 activations x s8 weights. On x86 that is only exact and fast with VNNI
    (``avx512_vnni`` or ``avx_vnni``); plain AVX2 uses an int16 multiply-add that can saturate and distort
    results, and older CPUs gain little. On ARM it needs the dot-product extension (``asimddp``). Anything
    else, or an unreadable /proc/cpuinfo on x86, returns False so callers stay on fp32.
    """
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        cpuinfo = ""
    return _int8_ok(cpuinfo, platform.machine())


def cpu_supports_bf16() -> bool:
    """Whether this CPU has AMX-BF16 tiles (``amx_bf16`` in /proc/cpuinfo), where bfloat16 indexing pays off.

    AVX512-BF16 alone only converts and dots vectors and gains far less; anything else, or no /proc/cpuinfo,
    returns False so indexing stays on ONNX Runtime."""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return bf16_ok(cpuinfo)


def bf16_ok(cpuinfo: str) -> bool:
    """Decide from /proc/cpuinfo text; see :func:`cpu_supports_bf16`."""
    return "amx_bf16" in cpuinfo.lower().split()
