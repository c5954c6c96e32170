"""OpenEXR reading/writing of float32 layers (depth "Z", normals "X","Y","Z").

The one implementation of the dataset's EXR format: the writer, the exporters and
``models`` (which may import this module and ``synth.spec`` only: numpy and OpenEXR, no
renderer) all use it. Depth: one float32 channel ``"Z"`` (``synth.spec.DEPTH_CHANNEL``),
metres, planar, 0 = no surface. Writes are atomic (temp file in the same directory, then
rename). Compression is ZIP (lossless), so depth is stored bit-exactly.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import OpenEXR

from assets_pipeline.fileio import atomic_write
from synth.spec import DEPTH_CHANNEL


def write_exr(path: str | os.PathLike, channels: dict[str, np.ndarray]) -> None:
    """Write float32 (H,W) channels to ``path`` atomically."""
    path = Path(path)
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    data = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in channels.items()}

    def write(tmp: Path) -> None:
        with OpenEXR.File(header, data) as f:
            f.write(str(tmp))

    atomic_write(path, write, suffix=".exr")


def read_exr(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """All channels of an EXR file as float32 arrays."""
    with OpenEXR.File(str(path)) as f:
        return {k: np.asarray(c.pixels, dtype=np.float32) for k, c in f.channels().items()}


def write_depth(path: str | os.PathLike, depth: np.ndarray) -> None:
    """Planar depth in metres, single channel "Z", 0 = no surface."""
    if np.ndim(depth) != 2:
        raise ValueError(f"depth must be (H, W), got {np.shape(depth)}")
    write_exr(path, {DEPTH_CHANNEL: depth})


def read_depth(path: str | os.PathLike) -> np.ndarray:
    """``[H, W]`` float32 metres from a depth EXR; raises ``ValueError`` if unreadable."""
    try:
        ch = read_exr(path)
    except (OSError, RuntimeError) as e:
        raise ValueError(f"cannot read depth EXR {path}: {e}") from None
    if DEPTH_CHANNEL not in ch:
        raise ValueError(f"{path} has no {DEPTH_CHANNEL!r} channel (has {sorted(ch)})")
    depth = ch[DEPTH_CHANNEL]
    if depth.ndim != 2:
        raise ValueError(f"{path}: depth channel has shape {depth.shape}, expected (H, W)")
    return depth
