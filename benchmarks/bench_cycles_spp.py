"""Cycles samples per pixel: image quality against a high-spp reference, and frame cost.

Renders the same samples of the default config (seed 0, 640x480) at each ``--spp`` and at
``--reference`` spp, all denoised with OpenImageDenoise as in production, with the camera
post-process off (its sensor noise would hide the render's own noise; it is seeded per
frame, so it would be the same at every spp anyway). Per setting: PSNR of the 8-bit RGB
against the reference over the face region (mask classes synth.spec.FACE_REGION_CLASSES)
and over the whole frame, and the median process CPU seconds and wall seconds per frame
(after one warm-up frame). Writes benchmarks/results/cycles_spp.json.

Run: .venv/bin/python benchmarks/bench_cycles_spp.py [--spp 6,7,8] [--reference 32] [--frames 0-5]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from machine import machine_info, write_result  # noqa: E402

from assets_pipeline.head_asset import HeadAsset  # noqa: E402
from assets_pipeline.makehuman import ensure_default_asset  # noqa: E402
from synth.config import load_config  # noqa: E402
from synth.render import get_renderer  # noqa: E402
from synth.sampling import sample_spec  # noqa: E402
from synth.spec import FACE_REGION_CLASSES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _render_all(asset, specs, spp: int) -> tuple[list, list, list]:
    """RGB frames, masks, (cpu, wall) per frame after a warm-up of the first spec."""
    rgbs, masks, cost = [], [], []
    with get_renderer("cycles")(asset, samples=spp, camera_fx=False) as r:
        r.render(specs[0])
        for spec in specs:
            c, t = _cpu(), time.perf_counter()
            res = r.render(spec)
            cost.append((_cpu() - c, time.perf_counter() - t))
            rgbs.append(res.rgb.astype(np.float64))
            masks.append(res.mask)
    return rgbs, masks, cost


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255.0**2 / max(np.mean((a - b) ** 2), 1e-12)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spp", default="6,7,8", help="comma-separated settings to compare")
    ap.add_argument("--reference", type=int, default=32, help="reference spp")
    ap.add_argument("--frames", default="0-5", help="sample indices, e.g. 0-5")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/cycles_spp.json")
    args = ap.parse_args()
    lo, _, hi = args.frames.partition("-")
    indices = list(range(int(lo), int(hi or lo) + 1))
    settings = [int(x) for x in args.spp.split(",")]
    asset = HeadAsset.load(ensure_default_asset())
    cfg = load_config(None, {"width": 640, "height": 480})
    specs = [sample_spec(cfg, 0, i, local_names=asset.local_names) for i in indices]
    ref, masks, _ = _render_all(asset, specs, args.reference)
    face = [np.isin(m, FACE_REGION_CLASSES) for m in masks]
    rows = {}
    for spp in settings:
        rgbs, _, cost = _render_all(asset, specs, spp)
        fp = [_psnr(a[m], b[m]) for a, b, m in zip(rgbs, ref, face, strict=True)]
        wp = [_psnr(a, b) for a, b in zip(rgbs, ref, strict=True)]
        rows[str(spp)] = {
            "face_psnr_db": float(np.mean(fp)),
            "face_psnr_min_db": float(np.min(fp)),
            "frame_psnr_db": float(np.mean(wp)),
            "median_cpu_s": float(np.median([c for c, _ in cost])),
            "median_wall_s": float(np.median([w for _, w in cost])),
        }
        print(f"{spp:3d} spp: face PSNR {np.mean(fp):.2f} dB (min {np.min(fp):.2f}), frame "
              f"{np.mean(wp):.2f} dB, {rows[str(spp)]['median_cpu_s']:.2f} CPU-s, "
              f"{rows[str(spp)]['median_wall_s']:.2f} s wall per frame")  # fmt: skip
    result = {
        "reference_spp": args.reference,
        "frames": indices,
        "resolution": "640x480",
        "camera_fx": False,
        "settings": rows,
        "machine": machine_info(),
    }
    write_result(args.out, result, indent=1)


if __name__ == "__main__":
    main()
