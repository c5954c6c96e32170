"""Loss terms against hand-computed values, with masks."""

from __future__ import annotations

import math

import pytest
import torch
from pydantic import ValidationError

from models.depth_target import depth_to_target, target_to_depth
from models.losses import LOSS_TERMS, DepthLoss, LossContext, LossWeights, gaussian_window

CTX = LossContext(data_range=100.0, ssim_window=11)


def term(name, pred, target, valid, ctx=CTX):
    return float(LOSS_TERMS.get(name)(pred, target, valid, ctx))


def ramp(h, w, slope_x=0.0, slope_y=0.0, c=0.0):
    yy, xx = torch.meshgrid(
        torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64), indexing="ij"
    )
    return (c + slope_x * xx + slope_y * yy)[None, None]


def all_valid(x):
    return torch.ones_like(x, dtype=torch.bool)


@pytest.mark.parametrize("name", ["l1", "ssim", "grad", "normal"])
def test_identical_inputs_give_zero(name):
    x = torch.rand(2, 1, 24, 20, generator=torch.Generator().manual_seed(0)) * 5 + 1
    assert term(name, x, x.clone(), all_valid(x)) == pytest.approx(0.0, abs=1e-6)


def test_tilted_plane_normal_and_gradient():
    a = 0.5
    pred, target = ramp(16, 16, slope_x=a, c=3.0), ramp(16, 16, c=3.0)
    # Sobel/8 of a ramp of slope a is exactly a: n_pred = (-a, 0, 1)/sqrt(1+a²), n_gt = (0,0,1).
    assert term("normal", pred, target, all_valid(pred)) == pytest.approx(
        1 - 1 / math.sqrt(1 + a * a), rel=1e-9
    )
    assert term("grad", pred, target, all_valid(pred)) == pytest.approx(a, rel=1e-9)
    # Two planes tilted along different axes: cos = 1 / (1 + a²).
    other = ramp(16, 16, slope_y=a, c=3.0)
    assert term("normal", pred, other, all_valid(pred)) == pytest.approx(
        1 - 1 / (1 + a * a), rel=1e-9
    )


def test_normal_term_is_per_pixel_not_whole_image():
    # Left half tilted one way, right half the other: whole-image gradient vectors would
    # cancel; per-pixel normals do not.
    pred = torch.cat([ramp(8, 8, slope_x=1.0), ramp(8, 8, slope_x=-1.0, c=7.0)], dim=-1)
    target = ramp(8, 16)
    valid = all_valid(pred)
    valid[..., 7:9] = False  # leave out the crease
    assert term("normal", pred, target, valid) == pytest.approx(1 - 1 / math.sqrt(2), rel=1e-9)


def test_l1_counts_valid_pixels_only():
    pred = torch.tensor([[[[1.0, 2.0], [3.0, 100.0]]]])
    target = torch.tensor([[[[1.5, 2.0], [1.0, 0.0]]]])
    valid = target > 0
    assert term("l1", pred, target, valid) == pytest.approx((0.5 + 0 + 2.0) / 3)


def test_stencils_touching_invalid_pixels_are_excluded():
    a = 0.25
    pred, target = ramp(9, 9, slope_x=a), ramp(9, 9)
    valid = all_valid(pred)
    valid[0, 0, 4, 4] = False
    pred[0, 0, 4, 4], target[0, 0, 4, 4] = 1e6, -1e6  # garbage where there is no surface
    # Every counted 3x3 stencil is pure ramp, so the exact plane values survive.
    assert term("grad", pred, target, valid) == pytest.approx(a, rel=1e-9)
    assert term("normal", pred, target, valid) == pytest.approx(1 - 1 / math.sqrt(1 + a * a))


@pytest.mark.parametrize("name", ["l1", "ssim", "grad", "normal"])
def test_invalid_pixel_values_do_not_matter(name):
    g = torch.Generator().manual_seed(1)
    pred = torch.rand(1, 1, 32, 32, generator=g) * 4 + 1
    target = torch.rand(1, 1, 32, 32, generator=g) * 4 + 1
    valid = all_valid(pred)
    valid[..., 12:16, 5:20] = False
    base = term(name, pred, target, valid)
    pred2, target2 = pred.clone(), target.clone()
    pred2[~valid], target2[~valid] = 1e4, 0.0
    assert term(name, pred2, target2, valid) == pytest.approx(base, rel=1e-6, abs=1e-9)
    assert base > 0


def test_ssim_of_constant_images():
    c1, c2, rng = 2.0, 3.0, 100.0
    pred, target = torch.full((1, 1, 20, 20), c1), torch.full((1, 1, 20, 20), c2)
    k1 = (0.01 * rng) ** 2
    ssim = (2 * c1 * c2 + k1) / (c1**2 + c2**2 + k1)  # contrast-structure factor is 1
    assert term("ssim", pred, target, all_valid(pred)) == pytest.approx((1 - ssim) / 2, rel=1e-5)


def test_ssim_matches_direct_computation_on_one_window():
    g = torch.Generator().manual_seed(2)
    a = torch.rand(1, 1, 11, 11, generator=g, dtype=torch.float64) * 10
    b = a + torch.rand(1, 1, 11, 11, generator=g, dtype=torch.float64) * 3
    w = gaussian_window(11).double()
    mu_a, mu_b = (w * a).sum(), (w * b).sum()
    va, vb = (w * (a - mu_a) ** 2).sum(), (w * (b - mu_b) ** 2).sum()
    cov = (w * (a - mu_a) * (b - mu_b)).sum()
    k1, k2 = (0.01 * 100) ** 2, (0.03 * 100) ** 2
    ssim = (2 * mu_a * mu_b + k1) * (2 * cov + k2) / ((mu_a**2 + mu_b**2 + k1) * (va + vb + k2))
    assert term("ssim", a, b, all_valid(a)) == pytest.approx(float((1 - ssim) / 2), rel=1e-6)


def test_ssim_window_touching_invalid_pixel_is_dropped():
    # 11x12 image: two 11x11 windows; the invalid pixel sits only in the first one.
    g = torch.Generator().manual_seed(3)
    a = torch.rand(1, 1, 11, 12, generator=g, dtype=torch.float64) * 10
    b = torch.rand(1, 1, 11, 12, generator=g, dtype=torch.float64) * 10
    valid = all_valid(a)
    valid[0, 0, 5, 0] = False
    only_second = term("ssim", a[..., 1:], b[..., 1:], all_valid(a[..., 1:]))
    assert term("ssim", a, b, valid) == pytest.approx(only_second, rel=1e-12)


def test_weighted_sum_and_empty_mask():
    g = torch.Generator().manual_seed(4)
    pred = (torch.rand(2, 1, 24, 24, generator=g) * 4 + 1).requires_grad_()
    target = torch.rand(2, 1, 24, 24, generator=g) * 4 + 1
    valid = all_valid(target)
    w = LossWeights(l1=0.3, ssim=0.0, grad=2.0, normal=0.5)
    total, terms = DepthLoss(w, 100.0)(pred, target, valid)
    assert set(terms) == {"l1", "grad", "normal"}
    ctx = LossContext(100.0)
    expected = sum(
        wt * term(k, pred.detach(), target, valid, ctx)
        for k, wt in (("l1", 0.3), ("grad", 2.0), ("normal", 0.5))
    )
    assert total.item() == pytest.approx(expected, rel=1e-5)
    total0, _ = DepthLoss(LossWeights(), 100.0)(pred, target, torch.zeros_like(valid))
    total0.backward()
    assert total0.item() == 0.0 and torch.isfinite(pred.grad).all()


def test_default_weights_and_validation():
    w = LossWeights()
    assert (w.l1, w.ssim, w.grad, w.normal) == (0.1, 1.0, 1.0, 1.0)
    with pytest.raises(ValidationError):
        LossWeights(l1=0, ssim=0, grad=0, normal=0)
    with pytest.raises(ValidationError):
        LossWeights(ssim_window=10)
    with pytest.raises(ValidationError):
        LossWeights(l1=-1)


def test_reciprocal_target_round_trip_and_clipping():
    depth = torch.tensor([0.0, 0.01, 0.5, 1.0, 5.0, 9.0])
    t = depth_to_target(depth, 5.0, 0.05)
    assert t.tolist() == pytest.approx([0.0, 100.0, 10.0, 5.0, 1.0, 1.0])
    back = target_to_depth(t, 5.0, 0.05)
    assert back.tolist() == pytest.approx([5.0, 0.05, 0.5, 1.0, 5.0, 5.0])
    assert target_to_depth(torch.tensor([-3.0, 1e9]), 5.0, 0.05).tolist() == pytest.approx(
        [5.0, 0.05]
    )
