"""DenseDepth-style encoder–decoders over timm encoders (one decoder, many encoders).

After Alhashim & Wonka 2018, "High Quality Monocular Depth Estimation via Transfer Learning"
(arXiv:1812.11941; reference code MIT-licensed, not copied here). The decoder follows the
paper's Keras model: a 1×1 convolution squeezes the deepest feature map to half its
channels; four up-sampling blocks each (bilinear ×2 to the skip's size → concatenate the
skip → conv3×3 → LeakyReLU(0.2) → conv3×3 → LeakyReLU(0.2)) halve the width again; a 3×3
convolution gives one channel at stride 2. Unlike the paper (which predicts at half
resolution), the output is bilinearly up-sampled to the input resolution.

Variants are rows of ``VARIANTS``: ``--arch`` name → timm encoder name.
"""

from __future__ import annotations

from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from models.archs.base import ArchSpec, register_arch
from models.archs.encoders import TimmEncoder

VARIANTS: dict[str, str] = {
    "densedepth-121": "densenet121",
    "densedepth-161": "densenet161",
    "densedepth-169": "densenet169",
    "densedepth-201": "densenet201",
    "resnet-50": "resnet50",
    "resnet-101": "resnet101",
    "efficientnet-b0": "efficientnet_b0",
    "efficientnet-b7": "efficientnet_b7",
}

DECODER_WIDTH = 0.5  # the Keras DenseDepth: decoder starts at half the encoder's channels


class UpSampleBlock(nn.Module):
    """Up-sample to the skip's size, concatenate, two conv3×3 + LeakyReLU(0.2)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.conv_b = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        x = self.act(self.conv_a(torch.cat([x, skip], dim=1)))
        return self.act(self.conv_b(x))


class DenseDepthDecoder(nn.Module):
    """Decoder over encoder features (shallow → deep, any count ≥ 2)."""

    def __init__(self, channels: tuple[int, ...], width: float = DECODER_WIDTH) -> None:
        super().__init__()
        c = int(channels[-1] * width)
        self.squeeze = nn.Conv2d(channels[-1], c, 1)
        blocks = []
        for skip_c in reversed(channels[:-1]):
            blocks.append(UpSampleBlock(c + skip_c, c // 2))
            c //= 2
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Conv2d(c, 1, 3, padding=1)

    def forward(self, feats: list[torch.Tensor]) -> torch.Tensor:
        x = self.squeeze(feats[-1])
        for block, skip in zip(self.blocks, reversed(feats[:-1]), strict=True):
            x = block(x, skip)
        return self.head(x)


class DenseDepth(nn.Module):
    """``[N, 3, H, W]`` normalised image → ``[N, 1, H, W]`` reciprocal depth."""

    def __init__(self, timm_name: str, pretrained: str | None = None) -> None:
        super().__init__()
        self.encoder = TimmEncoder(timm_name, pretrained)
        self.decoder = DenseDepthDecoder(self.encoder.channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.decoder(self.encoder(x))
        return F.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=False)


def _build(timm_name: str, pretrained: str | None) -> nn.Module:
    return DenseDepth(timm_name, pretrained)


for _name, _timm in VARIANTS.items():
    register_arch(
        ArchSpec(
            name=_name,
            family="densedepth",
            description=f"DenseDepth decoder on timm {_timm}",
            build=partial(_build, _timm),
            encoder=_timm,
        )
    )
