"""``export_onnx(...)``: a trained run as an ONNX graph that maps RGB to metres.

The graph's input ``rgb`` is float32 ``[N, 3, H, W]`` sRGB in [0, 1] (batch, height and
width dynamic; the run was trained at ``config.width × config.height``); the ImageNet
normalisation and the reciprocal-depth → metres conversion are inside the graph, so its
output ``depth_m`` is float32 ``[N, 1, H, W]`` metres in ``[min_depth_m, max_depth_m]``.
Uses PyTorch's TorchScript-based exporter (the ``torch.export`` one needs ``onnxscript``).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import torch
from torch import nn

from assets_pipeline.fileio import atomic_write
from models.checkpoint import load_run
from models.data import IMAGENET_MEAN, IMAGENET_STD
from models.depth_target import target_to_depth
from models.errors import BadInputError


class RgbToDepth(nn.Module):
    """Normalisation + network + conversion to metres, for deployment."""

    def __init__(self, net: nn.Module, max_depth_m: float, min_depth_m: float) -> None:
        super().__init__()
        self.net = net
        self.max_depth_m, self.min_depth_m = max_depth_m, min_depth_m
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        return target_to_depth(
            self.net((rgb - self.mean) / self.std), self.max_depth_m, self.min_depth_m
        )


def export_onnx(
    checkpoint: str | os.PathLike, onnx_path: str | os.PathLike, *, opset: int = 17
) -> Path:
    """Write the ONNX file atomically and return its path."""
    run = load_run(checkpoint, "cpu")
    onnx_path = Path(onnx_path)
    if not onnx_path.parent.is_dir():
        raise BadInputError(f"output directory not found: {onnx_path.parent}")
    model = RgbToDepth(run.model, run.config.max_depth_m, run.config.min_depth_m).eval()
    w, h = run.size
    dummy = torch.rand(1, 3, h, w)

    def write(tmp: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's deprecation and tracer notes
            torch.onnx.export(
                model,
                (dummy,),
                str(tmp),
                dynamo=False,
                input_names=["rgb"],
                output_names=["depth_m"],
                opset_version=opset,
                dynamic_axes={
                    "rgb": {0: "batch", 2: "height", 3: "width"},
                    "depth_m": {0: "batch", 2: "height", 3: "width"},
                },
            )

    atomic_write(onnx_path, write, suffix=".onnx")
    return onnx_path
