"""Reciprocal depth targets, as in DenseDepth (Alhashim & Wonka 2018, arXiv:1812.11941).

The networks predict ``t = max_depth / depth`` (dimensionless, 1 at ``max_depth``, growing
towards the camera), which spends the output range where faces are: near the camera. Depth
is clipped to ``[min_depth, max_depth]`` before the division, so targets lie in
``[1, max_depth / min_depth]``. Pixels without a surface (depth 0) have no target; their
target is set to 0 and they must be masked by the caller (``valid``).
"""

from __future__ import annotations

import torch


def depth_to_target(depth_m: torch.Tensor, max_depth_m: float, min_depth_m: float) -> torch.Tensor:
    """Metres (any shape, 0 = no surface) -> reciprocal target, 0 where depth is 0."""
    _check(max_depth_m, min_depth_m)
    valid = depth_m > 0
    t = max_depth_m / depth_m.clamp(min_depth_m, max_depth_m)
    return torch.where(valid, t, torch.zeros_like(t))


def target_to_depth(target: torch.Tensor, max_depth_m: float, min_depth_m: float) -> torch.Tensor:
    """Network output -> metres, clipped to ``[min_depth_m, max_depth_m]`` (never 0)."""
    _check(max_depth_m, min_depth_m)
    return max_depth_m / target.float().clamp(1.0, max_depth_m / min_depth_m)


def _check(max_depth_m: float, min_depth_m: float) -> None:
    if not 0 < min_depth_m < max_depth_m:
        raise ValueError(f"need 0 < min_depth ({min_depth_m}) < max_depth ({max_depth_m})")
