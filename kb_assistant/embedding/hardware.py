"""What the machine can do fast: native bfloat16 on CPU decides the embedding dtype."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_BF16_FLAGS = ("amx_bf16", "avx512_bf16")


@cache
def cpu_has_native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """True when the CPU advertises AMX-BF16 or AVX512-BF16 (bf16 matmuls then run ~2x fp32)."""
    try:
        flags = cpuinfo.read_text(errors="replace")
    except OSError:
        return False
    return any(flag in flags.split() for flag in _BF16_FLAGS)


def resolve_dtype(requested: str, device: str) -> str:
    """Map the `embedding_dtype` setting to `float32` or `bfloat16` for this machine."""
    if requested != "auto":
        return requested
    if device.startswith("cuda"):
        return "bfloat16"
    return "bfloat16" if device == "cpu" and cpu_has_native_bf16() else "float32"
