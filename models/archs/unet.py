"""``unet-simple``: the plain U-Net of the original facial-depth work (≈17.27M parameters).

After Ronneberger et al. 2015 (U-Net, arXiv:1505.04597) in its widespread "bilinear"
form: double 3×3 conv–BN–ReLU blocks, four 2×2 max-poolings with 64-128-256-512-512
channels, bilinear up-sampling (not transposed convolutions) and concatenation with the skip,
each decoder block squeezing to half its input width, and a 1×1 head. Convolutions keep their
bias (as the original code did), which is what lands the count on 17,267,393 parameters.
Any input size works: each up-sampling goes to its skip's exact size.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from models.archs.base import ArchSpec, register_arch
from models.errors import BadInputError

ENCODER_CHANNELS = (64, 128, 256, 512, 512)
DECODER_CHANNELS = (256, 128, 64, 64)


class DoubleConv(nn.Sequential):
    """(conv3×3 → BN → ReLU) × 2; ``mid`` channels between the two convolutions."""

    def __init__(self, c_in: int, c_out: int, mid: int | None = None) -> None:
        mid = mid or c_out
        super().__init__(
            nn.Conv2d(c_in, mid, 3, padding=1),
            nn.BatchNorm2d(mid),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid, c_out, 3, padding=1),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True),
        )


class UpBlock(nn.Module):
    """Bilinear up-sampling to the skip's size, concatenation, then a DoubleConv."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv = DoubleConv(c_in, c_out, mid=c_in // 2)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.conv(torch.cat([skip, x], dim=1))


class UNetSimple(nn.Module):
    """``[N, 3, H, W]`` normalised image → ``[N, 1, H, W]`` reciprocal depth."""

    def __init__(self, in_channels: int = 3, out_channels: int = 1) -> None:
        super().__init__()
        enc = ENCODER_CHANNELS
        self.down = nn.ModuleList(
            [DoubleConv(in_channels, enc[0])]
            + [DoubleConv(enc[i], enc[i + 1]) for i in range(len(enc) - 1)]
        )
        ups, c = [], enc[-1]
        for skip_c, out_c in zip(reversed(enc[:-1]), DECODER_CHANNELS, strict=True):
            ups.append(UpBlock(c + skip_c, out_c))
            c = out_c
        self.up = nn.ModuleList(ups)
        self.head = nn.Conv2d(c, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, block in enumerate(self.down):
            if i:
                x = F.max_pool2d(x, 2)
            x = block(x)
            skips.append(x)
        x = skips.pop()
        for block in self.up:
            x = block(x, skips.pop())
        return self.head(x)


def _build(pretrained: str | None) -> nn.Module:
    if pretrained:
        raise BadInputError("unet-simple has no pretrained encoder; drop --pretrained")
    return UNetSimple()


register_arch(
    ArchSpec(
        name="unet-simple",
        family="unet",
        description="plain U-Net, 64-128-256-512-512, bilinear up-sampling, ≈17.27M params",
        build=_build,
    )
)
