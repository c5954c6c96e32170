"""Hair texture in Cycles frames: how much pixel-scale glitter the hair shows.

Renders samples 0 .. n-1 of the default config (seed 0) with Cycles at 640x480 and, per
frame with hair, takes over the hair pixels (mask class ``hair``, eroded by 2 px so its
outline does not count) the share of "glints": pixels whose CIELAB L* stands more than
GLINT_DL above the median of their 5x5 neighbourhood; then the median over frames.

Hair seen at ~1 mm per pixel has streaks along the strands but no pixel-to-pixel
glitter; sub-pixel strands over a smooth hair sheet, undersampled at 7 samples per
pixel, glint. Reported separately for bobs (the curtain, ``hair_shape["length"]`` > 0)
and short crops, with the skin (class ``skin``, eroded the same way) as a reference:
skin at this scale is smooth, so its value is the floor of render noise plus the
camera's grain (synth.render.camera_fx).

Writes benchmarks/results/hair.json (hair_TAG.json with --tag). Run:
.venv/bin/python benchmarks/bench_hair.py [--n 24]
To measure another checkout with this script, put it first on the path:
PYTHONPATH=/path/to/other .venv/bin/python benchmarks/bench_hair.py --tag other
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")

import numpy as np  # noqa: E402
from cycles_frames import default_frames, frame_args  # noqa: E402
from machine import machine_info, write_result  # noqa: E402
from scipy import ndimage  # noqa: E402

import synth  # noqa: E402
from synth.card_stats import srgb_to_lab  # noqa: E402
from synth.spec import MASK_CLASS_IDS  # noqa: E402

MIN_PIXELS = 200  # frames with fewer (eroded) hair pixels are skipped
GLINT_DL = 8.0


def glints(lightness: np.ndarray, region: np.ndarray) -> float | None:
    """Share of ``region`` (eroded by 2 px) whose L* stands more than GLINT_DL above the
    median of its 5x5 neighbourhood: isolated bright points (None if too small)."""
    core = ndimage.binary_erosion(region, iterations=2)
    if core.sum() < MIN_PIXELS:
        return None
    local = ndimage.median_filter(lightness, size=5)
    return float(np.mean(lightness[core] - local[core] > GLINT_DL))


def main() -> None:
    args = frame_args(__doc__, "hair")
    rows = []
    t0 = time.perf_counter()
    for i, spec, res in default_frames(args.n, lambda spec: spec.identity.has_hair):
        lightness = srgb_to_lab(res.rgb.reshape(-1, 3).astype(np.float64))[:, 0]
        lightness = lightness.reshape(res.rgb.shape[:2])
        hair = glints(lightness, res.mask == MASK_CLASS_IDS["hair"])
        if hair is None:
            continue
        rows.append({
            "index": i, "bob": spec.identity.hair_shape.get("length", 0.0) > 0,
            "hair": hair, "skin": glints(lightness, res.mask == MASK_CLASS_IDS["skin"]),
        })  # fmt: skip
    if not rows:
        sys.exit("bench_hair: no frame showed enough hair")

    def med(sel: list[dict], key: str) -> float | None:
        vals = [r[key] for r in sel if r[key] is not None]
        return float(np.median(vals)) if vals else None

    groups = {"bob": [r for r in rows if r["bob"]], "short": [r for r in rows if not r["bob"]]}
    record = {
        "machine": machine_info(),
        "version": synth.__version__,
        "frames": args.n,
        "wall_s": time.perf_counter() - t0,
        "glint_share": {
            name: {"frames": len(sel), "hair": med(sel, "hair"), "skin": med(sel, "skin")}
            for name, sel in groups.items()
        },
        "frames_detail": rows,
    }
    write_result(args.result, record)
    for name, g in record["glint_share"].items():
        if g["frames"]:
            skin = 100 * (g["skin"] or float("nan"))
            print(f"{synth.__version__} {name:5s} ({g['frames']:2d} frames): glint share "
                  f"(L* > 5x5 median + 8) hair {100 * g['hair']:.2f} %, "
                  f"skin {skin:.2f} %")  # fmt: skip


if __name__ == "__main__":
    main()
