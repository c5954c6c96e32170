"""``evaluate(...)``: metrics of a trained run on one split, at the dataset's native size.

The image is resized to the run's training resolution; the prediction (reciprocal depth) is
up-sampled bilinearly to the ground truth's native resolution and converted to metres; the
ground truth is never resampled. Metrics (:mod:`models.metrics`) cover the whole frame
(every pixel with depth > 0) and the face region (mask classes of the face, depth > 0),
pixel-pooled and per-image.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from models.checkpoint import load_run, write_json
from models.config import default_workers
from models.data import FaceDepthDataset, ShardSampler, make_loader, open_dataset
from models.depth_target import target_to_depth
from models.metrics import MetricAccumulator
from models.runtime import autocast, resolve_device


@torch.no_grad()
def evaluate(
    data: str | os.PathLike,
    checkpoint: str | os.PathLike,
    *,
    split: str = "test",
    out: str | os.PathLike | None = None,
    batch_size: int = 4,
    workers: int | None = None,
    device: str = "auto",
    limit: int | None = None,
    progress: bool = True,
) -> dict:
    """Evaluate ``checkpoint`` (a run directory or its ``.safetensors``) on ``split`` of
    ``data``; returns the result dict and writes it as JSON to ``out`` when given."""
    dev = resolve_device(device)
    run = load_run(checkpoint, dev)
    cfg = run.config
    info = open_dataset(data)
    ds = FaceDepthDataset(info, split, run.size, label_size=None, limit=limit)
    loader = make_loader(
        ds,
        batch_size,
        sampler=ShardSampler(len(ds), 0, 1, shuffle=False, seed=0),
        workers=default_workers() if workers is None else workers,
        device=dev,
    )
    accs = {"whole": MetricAccumulator(dev), "face": MetricAccumulator(dev)}
    for batch in tqdm(loader, desc=f"eval {split}", disable=not progress, leave=False):
        image = batch["image"].to(dev, non_blocking=True)
        gt = batch["depth"].to(dev, non_blocking=True)
        with autocast(dev, cfg.amp):
            pred = run.model(image)
        pred = F.interpolate(pred.float(), size=gt.shape[-2:], mode="bilinear", align_corners=False)
        pred_m = target_to_depth(pred, cfg.max_depth_m, cfg.min_depth_m)
        accs["whole"].update(pred_m, gt, batch["valid"].to(dev))
        accs["face"].update(pred_m, gt, batch["face"].to(dev))
    result = {
        "arch": cfg.arch,
        "checkpoint": str(run.weights),
        "epoch": run.epoch,
        "data": str(Path(data)),
        "split": split,
        "images": len(ds),
        "model_resolution": f"{run.size[0]}x{run.size[1]}",
        "ground_truth_resolution": f"{info.width}x{info.height}",
        "depth_range_m": [cfg.min_depth_m, cfg.max_depth_m],
        "whole": accs["whole"].result(),
        "face": accs["face"].result(),
    }
    if out is not None:
        write_json(Path(out), result)
    return result
