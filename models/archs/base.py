"""Architecture registry: one row per ``--arch`` name.

A row says how to build the network; DenseDepth variants differ only by their timm encoder
name (a row of config, never a copied module). Every network maps an ImageNet-normalised
image ``[N, 3, H, W]`` float32 to a reciprocal-depth map ``[N, 1, H, W]`` at the input
resolution (see :mod:`models.depth_target`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from models.registry import Registry


@dataclass(frozen=True)
class ArchSpec:
    """One registered architecture.

    ``build(pretrained)`` returns a fresh module; ``pretrained`` is ``None`` (random init),
    a local checkpoint file, or a timm pretrained tag / ``hf-hub:`` name for the encoder.
    """

    name: str
    family: str
    description: str
    build: Callable[[str | None], nn.Module]
    encoder: str | None = None


ARCHS: Registry[ArchSpec] = Registry("architecture")


def register_arch(spec: ArchSpec) -> ArchSpec:
    return ARCHS.register(spec.name, spec)
