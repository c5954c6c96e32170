"""Validated training configuration (STYLE.md §3): parsed once at the edge, saved with the run.

``TrainConfig`` is what ``models train`` builds from its options and what :func:`models.train`
takes. ``width``/``height`` of ``None`` mean the dataset's native size; the run directory
stores the resolved values in ``config.json``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.data import AugmentConfig
from models.errors import BadInputError
from models.losses import LossWeights

Device = Literal["auto", "cpu", "cuda"]
MIN_SIZE_PX = 32
# Options that may change when a run is resumed; everything else must match config.json.
RESUMABLE_CHANGES = frozenset({"epochs", "workers", "device", "log_every"})


def default_workers() -> int:
    """Loader processes: half the cores (the other half trains), at most 8."""
    return max(0, min(8, (os.cpu_count() or 1) // 2))


class TrainConfig(BaseModel):
    """Everything that defines a training run."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    data: Path
    arch: str
    out: Path
    epochs: int = Field(20, ge=1)
    batch_size: int = Field(6, ge=1)
    lr: float = Field(1e-3, gt=0)
    width: int | None = Field(None, ge=MIN_SIZE_PX)
    height: int | None = Field(None, ge=MIN_SIZE_PX)
    workers: int = Field(default_factory=default_workers, ge=0)
    pretrained: str | None = None
    max_depth_m: float = Field(5.0, gt=0)
    min_depth_m: float = Field(0.05, gt=0)
    loss: LossWeights = LossWeights()
    augment: AugmentConfig | None = AugmentConfig()
    limit: int | None = Field(None, ge=1, description="use at most N train and N val samples")
    device: Device = "auto"
    seed: int = Field(0, ge=0)
    amp: bool = Field(True, description="mixed precision (CUDA only)")
    log_every: int = Field(10, ge=1, description="TensorBoard step-logging interval")

    @model_validator(mode="after")
    def _check(self) -> TrainConfig:
        if self.min_depth_m >= self.max_depth_m:
            raise ValueError("min_depth_m must be < max_depth_m")
        if (self.width is None) != (self.height is None):
            raise ValueError("give both width and height, or neither")
        return self

    @property
    def data_range(self) -> float:
        """Range of the reciprocal target: ``max_depth / min_depth`` (SSIM constants)."""
        return self.max_depth_m / self.min_depth_m


def parse_resolution(text: str) -> tuple[int, int]:
    """``"640x480"`` → ``(640, 480)``; raises :class:`BadInputError` otherwise."""
    m = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text or "")
    if not m:
        raise BadInputError(f"bad resolution {text!r}; expected WIDTHxHEIGHT, e.g. 640x480")
    w, h = int(m.group(1)), int(m.group(2))
    if w < MIN_SIZE_PX or h < MIN_SIZE_PX:
        raise BadInputError(f"resolution {w}x{h} too small; each side must be >= {MIN_SIZE_PX}")
    return w, h


def config_differences(old: TrainConfig, new: TrainConfig) -> list[str]:
    """Fields (other than resumable ones) whose values differ, as ``name: old != new``."""
    a, b = old.model_dump(mode="json"), new.model_dump(mode="json")
    return [
        f"{k}: {a.get(k)!r} != {b.get(k)!r}"
        for k in sorted(set(a) | set(b))
        if k not in RESUMABLE_CHANGES and a.get(k) != b.get(k)
    ]
