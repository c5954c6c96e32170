"""Metrics against hand-computed values on tiny arrays with masks."""

from __future__ import annotations

import math

import pytest
import torch

from models.metrics import METRIC_NAMES, MetricAccumulator, compute_metrics, markdown_rows


def t(values):
    return torch.tensor(values, dtype=torch.float64)


def test_hand_computed_values_with_invalid_pixel():
    gt = t([[[1.0, 2.0], [4.0, 0.0]]])  # the 0 has no surface: never counted
    pred = t([[[1.1, 1.5], [4.0, 9.0]]])
    m = compute_metrics(pred, gt, torch.ones_like(gt, dtype=torch.bool))
    assert m["pixels"] == 3
    assert m["abs_rel"] == pytest.approx((0.1 / 1 + 0.5 / 2 + 0.0) / 3)
    assert m["sq_rel"] == pytest.approx((0.01 / 1 + 0.25 / 2 + 0.0) / 3)
    assert m["rmse"] == pytest.approx(math.sqrt((0.01 + 0.25 + 0.0) / 3))
    assert m["rmse_log"] == pytest.approx(math.sqrt((math.log(1.1) ** 2 + math.log(0.75) ** 2) / 3))
    assert m["log10"] == pytest.approx((math.log10(1.1) + abs(math.log10(0.75))) / 3)
    # ratios max(p/g, g/p): 1.1, 1.333.., 1.0
    assert m["delta1"] == pytest.approx(2 / 3)
    assert m["delta2"] == pytest.approx(1.0)
    assert m["delta3"] == pytest.approx(1.0)


def test_ground_truth_is_the_denominator():
    m = compute_metrics(t([2.0]), t([1.0]), torch.tensor([True]))
    assert m["abs_rel"] == pytest.approx(1.0)  # |2-1|/1, not |2-1|/2
    assert m["sq_rel"] == pytest.approx(1.0)
    swapped = compute_metrics(t([1.0]), t([2.0]), torch.tensor([True]))
    assert swapped["abs_rel"] == pytest.approx(0.5)


def test_face_region_counts_only_masked_pixels():
    gt = t([[1.0, 1.0, 1.0, 2.0]])
    pred = t([[1.2, 50.0, 0.01, 2.0]])  # terrible outside the face
    face = torch.tensor([[True, False, False, True]])
    m = compute_metrics(pred, gt, face)
    assert m["pixels"] == 2
    assert m["abs_rel"] == pytest.approx((0.2 + 0.0) / 2)
    assert m["delta1"] == pytest.approx(1.0)
    # No constant fill: outside pixels are not counted as perfect pixels either.
    assert m["rmse"] == pytest.approx(math.sqrt(0.04 / 2))


def test_pooled_versus_per_image():
    gt = t([[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]])
    pred = t([[1.5, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0], [3.0, 3.0, 3.0, 3.0]])
    mask = torch.tensor(
        [[True, False, False, False], [True, True, True, False], [False, False, False, False]]
    )
    acc = MetricAccumulator()
    acc.update(pred, gt, mask)
    r = acc.result()
    assert r["pooled"]["pixels"] == 4 and r["per_image"]["images"] == 2  # 3rd image: empty
    assert r["pooled"]["abs_rel"] == pytest.approx(0.5 / 4)
    assert r["per_image"]["abs_rel"] == pytest.approx((0.5 + 0.0) / 2)
    assert r["pooled"]["rmse"] == pytest.approx(math.sqrt(0.25 / 4))
    assert r["per_image"]["rmse"] == pytest.approx((0.5 + 0.0) / 2)  # mean of per-image RMSE
    assert r["pooled"]["delta1"] == pytest.approx(3 / 4)
    assert r["per_image"]["delta1"] == pytest.approx((0.0 + 1.0) / 2)


def test_accumulating_batches_equals_one_pass():
    g = torch.Generator().manual_seed(0)
    gt = torch.rand(6, 1, 8, 8, generator=g, dtype=torch.float64) + 0.5
    pred = gt * (1 + 0.3 * torch.randn(6, 1, 8, 8, generator=g, dtype=torch.float64)).abs()
    mask = torch.rand(6, 1, 8, 8, generator=g) > 0.3
    whole = MetricAccumulator()
    whole.update(pred, gt, mask)
    parts = MetricAccumulator()
    for i in range(0, 6, 4):
        parts.update(pred[i : i + 4], gt[i : i + 4], mask[i : i + 4])
    for kind in ("pooled", "per_image"):
        for k in METRIC_NAMES:
            assert parts.result()[kind][k] == pytest.approx(whole.result()[kind][k], rel=1e-12)


def test_empty_and_bad_inputs():
    acc = MetricAccumulator()
    r = acc.result()
    assert r["pooled"]["pixels"] == 0 and math.isnan(r["pooled"]["abs_rel"])
    with pytest.raises(ValueError, match="> 0"):
        compute_metrics(t([0.0]), t([1.0]), torch.tensor([True]))
    with pytest.raises(ValueError, match="shapes"):
        compute_metrics(t([1.0, 2.0]), t([1.0]), torch.tensor([True]))


def test_markdown_row_in_paper_column_order():
    m = compute_metrics(t([1.1]), t([1.0]), torch.tensor([True]))
    text = markdown_rows("unet-simple", {"whole": {"pooled": m}})
    header, _, row = text.splitlines()
    assert header.split("|")[3:10] == [
        " AbsRel ",
        " SqRel ",
        " RMSE ",
        " RMSElog ",
        " δ<1.25 ",
        " δ<1.25² ",
        " δ<1.25³ ",
    ]
    cells = [c.strip() for c in row.split("|")[1:-1]]
    assert cells[:3] == ["unet-simple", "whole", f"{0.1:.4f}"]
    assert cells[4] == f"{math.sqrt(0.01):.4f}"  # RMSE
    assert cells[5] == f"{math.log(1.1):.4f}"  # RMSElog
