"""OpenEXR reading/writing of float32 layers (depth "Z", normals "X","Y","Z").

Writes are atomic (temp file in the same directory, then rename). Compression is ZIP
(lossless), so depth is stored bit-exactly.
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
    write_exr(path, {DEPTH_CHANNEL: depth})


def read_depth(path: str | os.PathLike) -> np.ndarray:
    ch = read_exr(path)
    if DEPTH_CHANNEL not in ch:
        raise ValueError(f"{path} has no {DEPTH_CHANNEL!r} channel (has {sorted(ch)})")
    return ch[DEPTH_CHANNEL]
