"""Depth EXR files: one float32 channel ``"Z"`` (``synth.spec.DEPTH_CHANNEL``), metres,
planar, 0 = no surface; ZIP compression (lossless). Writes are atomic
(:func:`assets_pipeline.fileio.atomic_write`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import OpenEXR

from assets_pipeline.fileio import atomic_write
from synth.spec import DEPTH_CHANNEL


def read_depth(path: str | os.PathLike) -> np.ndarray:
    """``[H, W]`` float32 metres from a depth EXR; raises ``ValueError`` if unreadable."""
    try:
        with OpenEXR.File(str(path)) as f:
            channels = f.channels()
            if DEPTH_CHANNEL not in channels:
                raise ValueError(
                    f"{path} has no {DEPTH_CHANNEL!r} channel (has {sorted(channels)})"
                )
            depth = np.asarray(channels[DEPTH_CHANNEL].pixels, dtype=np.float32)
    except (OSError, RuntimeError) as e:
        raise ValueError(f"cannot read depth EXR {path}: {e}") from None
    if depth.ndim != 2:
        raise ValueError(f"{path}: depth channel has shape {depth.shape}, expected (H, W)")
    return depth


def write_depth(path: str | os.PathLike, depth_m: np.ndarray) -> None:
    """Write ``[H, W]`` metres as a single float32 ``"Z"`` channel, atomically."""
    depth_m = np.ascontiguousarray(depth_m, dtype=np.float32)
    if depth_m.ndim != 2:
        raise ValueError(f"depth must be (H, W), got {depth_m.shape}")
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}

    def write(tmp: Path) -> None:
        with OpenEXR.File(header, {DEPTH_CHANNEL: depth_m}) as f:
            f.write(str(tmp))

    atomic_write(path, write, suffix=".exr")
