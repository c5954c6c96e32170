"""A network overfits 8 samples: loss and AbsRel both fall by at least 10×.

Exercises the whole training path short of the CLI: dataset → reciprocal target → network
→ loss → Adam, and metrics in metres. efficientnet-b0 at 64×48 is the cheapest arch on CPU;
the heads sit 0.7-1.0 m away with no surface behind them, as in plain-background samples.
"""

from __future__ import annotations

import time

import torch
from torch.utils.data import default_collate

from models.archs import build_model
from models.data import FaceDepthDataset, open_dataset
from models.depth_target import depth_to_target, target_to_depth
from models.losses import DepthLoss, LossWeights
from models.metrics import compute_metrics

from .conftest import write_fixture_dataset

MAX_D, MIN_D = 5.0, 0.05


def test_overfits_eight_samples(tmp_path):
    info = open_dataset(write_fixture_dataset(tmp_path / "ds", n=12, background=False))
    ds = FaceDepthDataset(info, "train", (64, 48))
    assert len(ds) == 8
    batch = default_collate([ds[i] for i in range(len(ds))])
    x, depth, valid = batch["image"], batch["depth"], batch["valid"]
    target = depth_to_target(depth, MAX_D, MIN_D)
    torch.manual_seed(0)
    model = build_model("efficientnet-b0")
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = DepthLoss(LossWeights(), MAX_D / MIN_D)

    def measure() -> tuple[float, float]:
        model.eval()
        with torch.no_grad():
            pred = model(x)
            loss, _ = loss_fn(pred, target, valid)
            absrel = compute_metrics(target_to_depth(pred, MAX_D, MIN_D), depth, valid)
        model.train()
        return loss.item(), absrel["abs_rel"]

    loss0, absrel0 = measure()
    t0, steps = time.perf_counter(), 0
    loss1, absrel1 = loss0, absrel0
    while steps < 400 and not (loss1 * 10 <= loss0 and absrel1 * 10 <= absrel0):
        for _ in range(25):
            loss, _ = loss_fn(model(x), target, valid)
            opt.zero_grad()
            loss.backward()
            opt.step()
        steps += 25
        loss1, absrel1 = measure()
    elapsed = time.perf_counter() - t0
    msg = f"loss {loss0:.4f}->{loss1:.4f}, AbsRel {absrel0:.4f}->{absrel1:.4f}, {steps} steps"
    assert loss1 * 10 <= loss0, msg
    assert absrel1 * 10 <= absrel0, msg
    print(f"{msg}, {elapsed:.1f} s")
