"""Depth metrics (Eigen et al. 2014), computed the honest way.

With prediction ``p`` and ground truth ``g`` in metres over the pixels of a mask (valid
pixels only: ``g > 0``; the face region is a mask, never a constant fill):

- ``abs_rel``  mean(|p − g| / g)            — ground truth in the denominator
- ``sq_rel``   mean((p − g)² / g)
- ``rmse``     sqrt(mean((p − g)²))
- ``rmse_log`` sqrt(mean((ln p − ln g)²))
- ``log10``    mean(|log10 p − log10 g|)
- ``delta1..3`` fraction with max(p / g, g / p) < 1.25, 1.25², 1.25³

Two poolings: ``pooled`` treats every pixel of the set as one sample (as the paper);
``per_image`` computes each image's metrics and averages them over images that have at least
one pixel in the mask. The accumulator keeps only sums, so shards can be all-reduced.
"""

from __future__ import annotations

import math

import torch

METRIC_NAMES = ("abs_rel", "sq_rel", "rmse", "rmse_log", "log10", "delta1", "delta2", "delta3")
PAPER_COLUMNS = ("abs_rel", "sq_rel", "rmse", "rmse_log", "delta1", "delta2", "delta3")
_LN10 = math.log(10.0)


def _per_image_sums(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``[N, 9]`` float64: pixel count, Σ|d|/g, Σd²/g, Σd², Σ(ln p − ln g)², Σ|log10 ratio|,
    and the counts under each δ threshold, per image."""
    n = pred.shape[0]
    p, g = pred.reshape(n, -1).double(), gt.reshape(n, -1).double()
    m = (mask.reshape(n, -1) & (g > 0)).double()
    g_safe = torch.where(m > 0, g, torch.ones_like(g))
    p_safe = torch.where(m > 0, p, torch.ones_like(p))
    if bool((p_safe <= 0).any()):
        raise ValueError("predicted depth must be > 0 on the evaluated pixels")
    d = p_safe - g_safe
    log_ratio = torch.log(p_safe) - torch.log(g_safe)
    ratio = torch.maximum(p_safe / g_safe, g_safe / p_safe)
    cols = [
        m,
        d.abs() / g_safe * m,
        d**2 / g_safe * m,
        d**2 * m,
        log_ratio**2 * m,
        log_ratio.abs() / _LN10 * m,
        (ratio < 1.25).double() * m,
        (ratio < 1.25**2).double() * m,
        (ratio < 1.25**3).double() * m,
    ]
    return torch.stack([c.sum(dim=1) for c in cols], dim=1)


def _finish(s: torch.Tensor) -> dict[str, float]:
    """Metrics from one row of sums (count first)."""
    n = s[0]
    mean = s[1:] / n
    return {
        "abs_rel": float(mean[0]),
        "sq_rel": float(mean[1]),
        "rmse": float(mean[2].sqrt()),
        "rmse_log": float(mean[3].sqrt()),
        "log10": float(mean[4]),
        "delta1": float(mean[5]),
        "delta2": float(mean[6]),
        "delta3": float(mean[7]),
    }


def compute_metrics(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor) -> dict[str, float]:
    """Pixel-pooled metrics over ``mask & (gt > 0)`` of tensors of the same shape."""
    acc = MetricAccumulator()
    acc.update(pred, gt, mask)
    return acc.result()["pooled"]


class MetricAccumulator:
    """Running sums for pixel-pooled and per-image metrics.

    ``update(pred, gt, mask)`` takes ``[N, ...]`` tensors (metres, bool mask); the first
    dimension indexes images. ``state`` is a float64 vector of 18 sums (all-reducible).
    """

    def __init__(self, device: torch.device | str = "cpu") -> None:
        self.state = torch.zeros(18, dtype=torch.float64, device=device)

    def update(self, pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor) -> None:
        if not (pred.shape == gt.shape == mask.shape):
            raise ValueError(f"shapes differ: {pred.shape}, {gt.shape}, {mask.shape}")
        sums = _per_image_sums(pred, gt, mask.bool()).to(self.state.device)
        self.state[:9] += sums.sum(dim=0)
        has = sums[:, 0] > 0
        if bool(has.any()):
            per = sums[has]
            cnt = per[:, :1]
            mean = per[:, 1:] / cnt
            vals = torch.cat([mean[:, :2], mean[:, 2:4].sqrt(), mean[:, 4:]], dim=1)
            self.state[9] += per.shape[0]
            self.state[10:] += vals.sum(dim=0)

    def result(self) -> dict[str, dict[str, float]]:
        """``{"pooled": {..., "pixels"}, "per_image": {..., "images"}}``; NaN when empty."""
        s = self.state.cpu()
        nan = {k: math.nan for k in METRIC_NAMES}
        pooled = _finish(s[:9]) if s[0] > 0 else dict(nan)
        pooled["pixels"] = int(s[0])
        if s[9] > 0:
            v = s[10:] / s[9]
            per_image = dict(zip(METRIC_NAMES, (float(x) for x in v), strict=True))
        else:
            per_image = dict(nan)
        per_image["images"] = int(s[9])
        return {"pooled": pooled, "per_image": per_image}


def markdown_rows(label: str, results: dict[str, dict]) -> str:
    """Header plus one row per region (pixel-pooled), columns in the paper's order."""
    head = "| model | region | AbsRel | SqRel | RMSE | RMSElog | δ<1.25 | δ<1.25² | δ<1.25³ |"
    rule = "|" + "---|" * 9
    rows = [head, rule]
    for region, res in results.items():
        vals = " | ".join(f"{res['pooled'][k]:.4f}" for k in PAPER_COLUMNS)
        rows.append(f"| {label} | {region} | {vals} |")
    return "\n".join(rows)
