"""Training loss: a weighted sum of registered terms on reciprocal-depth maps.

Terms (each ``term(pred, target, valid, cfg) -> scalar``, inputs ``[N, 1, H, W]``):

- ``l1``     point-wise ``|pred - target|`` (DenseDepth's L_depth)
- ``ssim``   ``clip((1 - SSIM) / 2, 0, 1)``, Gaussian 11×11 window, σ = 1.5 (Wang et al.
  2004), constants from the data range ``max_depth / min_depth`` as DenseDepth does
- ``grad``   L1 between Sobel derivatives (∂x, ∂y) of prediction and target
- ``normal`` per-pixel surface normals ``n = (-∂x t, -∂y t, 1) / ‖·‖`` from the same Sobel
  derivatives; the term is ``mean(1 - cos(n_pred, n_target))`` over pixels (Hu et al. 2019,
  "Revisiting Single Image Depth Estimation", arXiv:1803.08673)

Invalid pixels (``valid`` False, ground-truth depth 0) are masked everywhere: ``l1`` counts
valid pixels only; ``grad``/``normal`` count only pixels whose whole 3×3 Sobel stencil is
valid, and ``ssim`` only windows that lie entirely on valid pixels (computed without
padding). A term with nothing valid in the batch is 0. Default weights (DenseDepth's
``0.1·L1 + (1 − SSIM)/2 + L_grad`` plus the normal term at 1) live in :class:`LossWeights`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.registry import Registry

SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8.0


class LossWeights(BaseModel):
    """Weights of the loss terms (0 disables a term) and the SSIM window size."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    l1: float = Field(0.1, ge=0)
    ssim: float = Field(1.0, ge=0)
    grad: float = Field(1.0, ge=0)
    normal: float = Field(1.0, ge=0)
    ssim_window: int = Field(11, ge=3)

    @model_validator(mode="after")
    def _some_term(self) -> LossWeights:
        if self.ssim_window % 2 == 0:
            raise ValueError("ssim_window must be odd")
        if not any(w > 0 for w in (self.l1, self.ssim, self.grad, self.normal)):
            raise ValueError("at least one loss weight must be > 0")
        return self

    def term_weights(self) -> dict[str, float]:
        return {"l1": self.l1, "ssim": self.ssim, "grad": self.grad, "normal": self.normal}


LossTerm = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, "LossContext"], torch.Tensor]
LOSS_TERMS: Registry[LossTerm] = Registry("loss term")


class LossContext:
    """Per-call settings shared by the terms (SSIM data range and window)."""

    def __init__(self, data_range: float, ssim_window: int = 11) -> None:
        self.data_range = data_range
        self.ssim_window = ssim_window


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``x`` where ``mask``; 0 (with zero gradient) when nothing is masked in."""
    mask = mask.expand_as(x)
    total = torch.where(mask, x, torch.zeros_like(x)).sum()
    return total / mask.sum().clamp_min(1)


def erode(valid: torch.Tensor, k: int) -> torch.Tensor:
    """``[N, 1, H, W]`` bool → ``[N, 1, H-k+1, W-k+1]``: True where the k×k window is all
    valid (the footprint of an unpadded k×k convolution)."""
    return -F.max_pool2d(-valid.float(), k, stride=1) > 0.5


def sobel(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Unpadded Sobel derivatives (per pixel) of ``[N, 1, H, W]``: two ``[N, 1, H-2, W-2]``."""
    kx = SOBEL_X.to(x)
    gx = F.conv2d(x, kx.view(1, 1, 3, 3))
    gy = F.conv2d(x, kx.t().contiguous().view(1, 1, 3, 3))
    return gx, gy


def _l1(pred, target, valid, ctx):
    return masked_mean((pred - target).abs(), valid)


def _grad(pred, target, valid, ctx):
    (px, py), (tx, ty) = sobel(pred), sobel(target)
    return masked_mean((px - tx).abs() + (py - ty).abs(), erode(valid, 3))


def surface_normals(x: torch.Tensor) -> torch.Tensor:
    """Unit normals ``(-∂x, -∂y, 1)/‖·‖`` of ``[N, 1, H, W]``: ``[N, 3, H-2, W-2]``."""
    gx, gy = sobel(x)
    n = torch.cat([-gx, -gy, torch.ones_like(gx)], dim=1)
    return n / n.norm(dim=1, keepdim=True)


def _normal(pred, target, valid, ctx):
    cos = (surface_normals(pred) * surface_normals(target)).sum(dim=1, keepdim=True)
    return masked_mean(1.0 - cos, erode(valid, 3))


def gaussian_window(size: int, sigma: float = 1.5) -> torch.Tensor:
    r = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
    g = torch.exp(-(r**2) / (2 * sigma**2))
    g = g / g.sum()
    return g[:, None] * g[None, :]


def ssim_map(a: torch.Tensor, b: torch.Tensor, data_range: float, window: int = 11):
    """Unpadded SSIM map of ``[N, 1, H, W]`` images: ``[N, 1, H-w+1, W-w+1]``."""
    w = gaussian_window(window).to(a).view(1, 1, window, window)
    mu_a, mu_b = F.conv2d(a, w), F.conv2d(b, w)
    var_a = F.conv2d(a * a, w) - mu_a**2
    var_b = F.conv2d(b * b, w) - mu_b**2
    cov = F.conv2d(a * b, w) - mu_a * mu_b
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
    den = (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    return num / den


def _ssim(pred, target, valid, ctx):
    window = min(ctx.ssim_window, pred.shape[-1], pred.shape[-2])
    window -= 1 - window % 2  # keep it odd on tiny inputs
    # Invalid pixels hold arbitrary values; zero them so no NaN/inf enters the sums.
    pred = torch.where(valid, pred, torch.zeros_like(pred))
    target = torch.where(valid, target, torch.zeros_like(target))
    s = ssim_map(pred, target, ctx.data_range, window)
    return masked_mean((1.0 - s) / 2, erode(valid, window)).clamp(0.0, 1.0)


for _name, _fn in (("l1", _l1), ("ssim", _ssim), ("grad", _grad), ("normal", _normal)):
    LOSS_TERMS.register(_name, _fn)


class DepthLoss(torch.nn.Module):
    """``loss(pred, target, valid) -> (total, {term: value})`` on reciprocal depth.

    ``pred``/``target`` float ``[N, 1, H, W]`` (computed in float32 even under AMP),
    ``valid`` bool ``[N, 1, H, W]``; ``data_range`` is ``max_depth / min_depth``.
    """

    def __init__(self, weights: LossWeights, data_range: float) -> None:
        super().__init__()
        self.weights = {k: w for k, w in weights.term_weights().items() if w > 0}
        self.ctx = LossContext(data_range, weights.ssim_window)

    def forward(self, pred, target, valid):
        pred, target = pred.float(), target.float()
        terms = {k: LOSS_TERMS.get(k)(pred, target, valid, self.ctx) for k in self.weights}
        total = sum(self.weights[k] * v for k, v in terms.items())
        return total, {k: v.detach() for k, v in terms.items()}
