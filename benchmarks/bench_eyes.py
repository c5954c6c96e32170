"""How bright the eyes render next to the skin: Cycles frames, eye-class pixels.

Renders samples 0 .. n-1 of the default config (seed 0) with Cycles at 640x480 and, per
frame, compares CIELAB L* over the eye pixels (mask classes ``left_eye`` and
``right_eye``: the eyeball and the skin of the eye's cavity) with the median L* of the
skin (class ``skin``):

- ``whites_dL``: the 85th percentile of the eye pixels' L* (the sclera) minus the skin's
  median. In portraits the whites of the eyes are grey-white: brighter than mid-tone skin
  but darker than the brightest skin highlights, and a retoucher's rule is never to make
  them paper-white. "Porcelain" eyes, the doll look, are whites far above the skin;
- ``iris_dL``: the 15th percentile (iris and pupil) minus the skin's median;
- ``peak_dL``: the 99.5th percentile (a catchlight, where there is one) minus the 85th.

Writes benchmarks/results/eyes.json. Run:
.venv/bin/python benchmarks/bench_eyes.py [--n 24]
To measure another checkout with this script, put it first on the path:
PYTHONPATH=/path/to/other .venv/bin/python benchmarks/bench_eyes.py --tag other
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

import synth  # noqa: E402
from synth.card_stats import srgb_to_lab  # noqa: E402
from synth.spec import MASK_CLASS_IDS  # noqa: E402

MIN_EYE_PIXELS = 40  # frames whose eyes cover fewer pixels are skipped (closed, turned away)
KEYS = ("skin_L", "whites_L", "whites_dL", "iris_dL", "peak_dL")


def main() -> None:
    args = frame_args(__doc__, "eyes")
    eye_ids = [MASK_CLASS_IDS["left_eye"], MASK_CLASS_IDS["right_eye"]]
    rows = []
    t0 = time.perf_counter()
    for i, _, res in default_frames(args.n):
        eye = np.isin(res.mask, eye_ids)
        if eye.sum() < MIN_EYE_PIXELS:
            continue
        skin_l = float(np.median(srgb_to_lab(res.rgb[res.mask == 1].astype(np.float64))[:, 0]))
        ell = srgb_to_lab(res.rgb[eye].astype(np.float64))[:, 0]
        iris, whites, peak = np.percentile(ell, [15, 85, 99.5])
        rows.append({
            "index": i, "eye_pixels": int(eye.sum()), "skin_L": skin_l,
            "whites_L": float(whites), "whites_dL": float(whites) - skin_l,
            "iris_dL": float(iris) - skin_l, "peak_dL": float(peak - whites),
        })  # fmt: skip
    if not rows:
        sys.exit("bench_eyes: no frame showed enough eye pixels")
    record = {
        "machine": machine_info(),
        "version": synth.__version__,
        "frames": args.n,
        "frames_measured": len(rows),
        "wall_s": time.perf_counter() - t0,
        "median": {k: float(np.median([r[k] for r in rows])) for k in KEYS},
        "frames_detail": rows,
    }
    write_result(args.result, record)
    m = record["median"]
    print(f"{synth.__version__}: {len(rows)} frames; median skin L* {m['skin_L']:.1f}, "
          f"whites L* {m['whites_L']:.1f} ({m['whites_dL']:+.1f} vs skin), iris "
          f"{m['iris_dL']:+.1f}, peak over whites {m['peak_dL']:+.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
