"""timm ``features_only`` encoders behind one contract, and pretrained-weight resolution.

Encoder contract (written once, relied on by every decoder): ``forward(x)`` returns a list
of feature maps ordered shallow → deep, ``channels[i]`` channels at stride
``reductions[i]`` of the input (for all encoders here: 2, 4, 8, 16, 32).

Weights are random unless the user names them: ``pretrained`` is a local checkpoint file
(a timm/torchvision classifier state dict, ``.pth``/``.bin``/``.safetensors``; nothing is
downloaded), a timm pretrained tag for the row's encoder (``tv_in1k`` or
``densenet169.tv_in1k``), or an ``hf-hub:org/name`` id. Only the last two may download,
and only because the user asked.
"""

from __future__ import annotations

from pathlib import Path

import timm
import torch
from torch import nn

from models.errors import BadInputError

_WEIGHT_SUFFIXES = {".pth", ".pt", ".bin", ".safetensors", ".ckpt", ".npz"}


class TimmEncoder(nn.Module):
    """A timm backbone created with ``features_only=True``."""

    def __init__(self, timm_name: str, pretrained: str | None = None) -> None:
        super().__init__()
        self.timm_name = timm_name
        self.body = _create(timm_name, pretrained)
        self.channels: tuple[int, ...] = tuple(self.body.feature_info.channels())
        self.reductions: tuple[int, ...] = tuple(self.body.feature_info.reduction())

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return list(self.body(x))


def _create(timm_name: str, pretrained: str | None) -> nn.Module:
    if not pretrained:
        return timm.create_model(timm_name, pretrained=False, features_only=True)
    path = Path(pretrained).expanduser()
    if path.is_file():
        try:
            return timm.create_model(
                timm_name,
                pretrained=True,
                pretrained_cfg_overlay={"file": str(path)},
                features_only=True,
            )
        except Exception as e:  # noqa: BLE001 - any loading failure is the user's file
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise BadInputError(f"cannot load encoder weights from {path}: {msg}") from None
    if pretrained.startswith("hf-hub:"):
        model = timm.create_model(pretrained, pretrained=True, features_only=True)
        arch = model.pretrained_cfg.get("architecture")
        if arch != timm_name:
            raise BadInputError(f"{pretrained} is a {arch!r} model, this encoder is {timm_name!r}")
        return model
    if path.suffix in _WEIGHT_SUFFIXES or "/" in pretrained or path.is_dir():
        raise BadInputError(f"pretrained weights file not found: {pretrained}")
    name = pretrained if pretrained.startswith(timm_name + ".") else f"{timm_name}.{pretrained}"
    if not timm.list_pretrained(name):
        tags = ", ".join(timm.list_pretrained(timm_name + ".*")) or "none"
        raise BadInputError(f"unknown pretrained tag {pretrained!r} for {timm_name}; known: {tags}")
    return timm.create_model(name, pretrained=True, features_only=True)
