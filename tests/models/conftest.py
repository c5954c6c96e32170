"""Tiny on-disk datasets in the exact ``synth generate`` layout, for the models tests.

Each sample is an ellipsoidal "face" 0.7-1.0 m away (depth 0 elsewhere, or a background
plane at 1.6 m on odd samples), labelled skin/nose/eyes/brows/lips/ears in the mask, and
Lambert-shaded from its own depth so the image carries the shape. Splits are by identity
(two samples per identity): the first identities train, then one val, one test.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from synth.exr_io import write_depth
from synth.spec import FACE_REGION_CLASSES, MASK_CLASS_IDS, MASK_CLASSES

# Tests never download weights (a pretrained hub name would otherwise reach the network).
os.environ["HF_HUB_OFFLINE"] = "1"
C = MASK_CLASS_IDS


def _sample(rng: np.random.Generator, w: int, h: int, background: bool):
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5
    cx, cy = w * rng.uniform(0.4, 0.6), h * rng.uniform(0.4, 0.6)
    ax, ay = w * rng.uniform(0.2, 0.3), h * rng.uniform(0.3, 0.4)
    u, v = (xx - cx) / ax, (yy - cy) / ay
    r2 = u**2 + v**2
    inside = r2 < 1
    d0, bulge = rng.uniform(0.85, 1.0), rng.uniform(0.08, 0.15)
    depth = np.where(inside, d0 - bulge * np.sqrt(np.clip(1 - r2, 0, 1)), 0).astype(np.float32)
    mask = np.where(inside, C["skin"], C["background"]).astype(np.uint8)

    def blob(x0, y0, rx, ry):
        return ((u - x0) / rx) ** 2 + ((v - y0) / ry) ** 2 < 1

    # Image left is the subject's right.
    for side, sx in (("right", -0.4), ("left", 0.4)):
        mask[blob(sx, -0.25, 0.18, 0.08) & inside] = C[f"{side}_eye"]
        mask[blob(sx, -0.45, 0.22, 0.06) & inside] = C[f"{side}_brow"]
        ear = blob(sx * 2.6, 0.0, 0.12, 0.25) & ~inside
        mask[ear], depth[ear] = C[f"{side}_ear"], d0
    mask[blob(0, 0.05, 0.12, 0.2) & inside] = C["nose"]
    mask[blob(0, 0.45, 0.3, 0.05) & inside] = C["upper_lip"]
    mask[blob(0, 0.55, 0.3, 0.05) & inside] = C["lower_lip"]
    head = depth > 0
    if background:
        depth[~head] = 1.6
        mask[~head] = C["scene"]
    gy, gx = np.gradient(np.where(head, depth, d0) * 100)
    n = np.stack([-gx, -gy, np.ones_like(gx)], -1)
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    shade = np.clip(n @ np.array([0.3, -0.3, 0.9]), 0, 1)[..., None]
    skin = np.array([200, 150, 120]) * rng.uniform(0.7, 1.1)
    bg = rng.uniform(20, 235, 3)
    rgb = np.where(head[..., None], skin * (0.3 + 0.7 * shade), bg)
    rgb = np.clip(rgb + rng.normal(0, 3, rgb.shape), 0, 255).astype(np.uint8)
    return rgb, depth, mask


def write_fixture_dataset(
    root: Path,
    n: int = 12,
    width: int = 64,
    height: int = 48,
    seed: int = 0,
    ext: str = "jpg",
    background: bool = True,
) -> Path:
    """Write ``n`` samples in the dataset layout; identities 0,0,1,1,...; the last two
    identities are val and test, the rest train. ``background``: odd samples get a plane
    at 1.6 m behind the head (else depth 0 around every head)."""
    root = Path(root)
    for sub in ("rgb", "depth", "mask"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    n_ids = (n + 1) // 2
    split_of = {i: "train" for i in range(n_ids - 2)} | {n_ids - 2: "val", n_ids - 1: "test"}
    rng = np.random.default_rng(seed)
    lines, counts = [], {"total": n, "train": 0, "val": 0, "test": 0}
    for i in range(n):
        sid = f"{i:06d}"
        rgb, depth, mask = _sample(rng, width, height, background=background and bool(i % 2))
        files = {"rgb": f"rgb/{sid}.{ext}", "depth": f"depth/{sid}.exr", "mask": f"mask/{sid}.png"}
        Image.fromarray(rgb).save(root / files["rgb"], quality=95)
        write_depth(root / files["depth"], depth)
        Image.fromarray(mask).save(root / files["mask"])
        split = split_of[i // 2]
        counts[split] += 1
        rec = {"id": sid, "index": i, "split": split, "identity_id": i // 2, "files": files}
        lines.append(json.dumps(rec))
    meta = {
        "schema_version": 1,
        "generator": "tests/models fixture",
        "fingerprint": f"fixture-{seed}-{n}",
        "seed": seed,
        "n": n,
        "mask_classes": {str(k): v for k, v in MASK_CLASSES.items()},
        "face_region_classes": list(FACE_REGION_CLASSES),
        "counts": counts,
        "config": {"width": width, "height": height},
    }
    (root / "dataset.json").write_text(json.dumps(meta, indent=2))
    (root / "samples.jsonl").write_text("\n".join(lines) + "\n")
    return root


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """One intra-op thread per test process. On a small shared machine, two OpenMP threads
    wait on each other whenever another process holds a core: measured 2-5x slower than one
    thread under load (efficientnet-b0 train step, 2 cores), for at most 2x gain when idle."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> Path:
    """12 samples at 64×48: 8 train, 2 val, 2 test."""
    return write_fixture_dataset(tmp_path_factory.mktemp("tiny_ds"), n=12)
