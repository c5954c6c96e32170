"""Rendered skin lightness by skin tone: Cycles frames against in-vivo skin colour.

Renders samples 0 .. n-1 of the default config (seed 0) with Cycles at 640x480 and, over
each frame's skin pixels (mask class ``skin``), takes the median CIELAB L*, a*, b*, the
chroma and hue angle and the Individual Typology Angle ITA = atan((L* - 50) / b*) (Del
Bino & Bernerd 2013, the card's skin-tone measure), next to the identity's
``skin_tone`` (0 = lightest, 1 = darkest albedo).

What a photograph of skin shows (colorimeter and photo studies of facial skin, e.g. Del
Bino & Bernerd 2013, Xiao et al. 2017): L* ~65-70 for light skin down to ~35-40 for dark
skin, a* ~8-14, b* ~12-20 (hue angle ~50-60 degrees); ITA from "very light" (> 55) to
"dark" (< -30) across people. A render whose every face comes out "brown" has lost that
range, whatever its albedos. Lips: redder and darker than the skin around them (in vivo
about +8 to +12 a* and -5 to -10 L* on light skin, less contrast on dark skin), and,
being moist, they catch the light: ``lips_sheen_dL`` is the 97th percentile of the lip
pixels' L* over their median (a matte lip only has its shading).

To measure another checkout with this script, put it first on the path:
PYTHONPATH=/path/to/other .venv/bin/python benchmarks/bench_skin_tone.py --tag other

Writes benchmarks/results/skin_tone.json (skin_tone_TAG.json with --tag). Run:
.venv/bin/python benchmarks/bench_skin_tone.py [--n 24]
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
from synth.card_stats import ita_category, srgb_to_lab  # noqa: E402
from synth.spec import MASK_CLASS_IDS  # noqa: E402

TONE_BINS = ((0.0, 0.3, "light"), (0.3, 0.6, "medium"), (0.6, 1.01, "dark"))


def main() -> None:
    args = frame_args(__doc__, "skin_tone")
    rows = []
    t0 = time.perf_counter()
    for i, spec, res in default_frames(args.n):
        skin = res.mask == MASK_CLASS_IDS["skin"]
        lab = np.median(srgb_to_lab(res.rgb[skin].astype(np.float64)), axis=0)
        L, a, b = (float(x) for x in lab)
        ita = float(np.degrees(np.arctan2(L - 50.0, b)))
        lips = np.isin(res.mask, [MASK_CLASS_IDS["upper_lip"], MASK_CLASS_IDS["lower_lip"]])
        lip_lab = srgb_to_lab(res.rgb[lips].astype(np.float64))
        lip = np.median(lip_lab, axis=0)
        lip_sheen = float(np.percentile(lip_lab[:, 0], 97) - lip[0])
        rows.append({
            "index": i, "skin_tone": spec.identity.skin_tone, "L": L, "a": a, "b": b,
            "chroma": float(np.hypot(a, b)), "hue_deg": float(np.degrees(np.arctan2(b, a))),
            "ita_deg": ita, "ita_category": ita_category(ita),
            "lips_L": float(lip[0]), "lips_a": float(lip[1]), "lips_b": float(lip[2]),
            "lips_dL": float(lip[0]) - L, "lips_da": float(lip[1]) - a,
            "lips_sheen_dL": lip_sheen,
        })  # fmt: skip
    by_tone = {}
    for lo, hi, name in TONE_BINS:
        sel = [r for r in rows if lo <= r["skin_tone"] < hi]
        if sel:
            by_tone[name] = {
                "tone_range": [lo, min(hi, 1.0)],
                "frames": len(sel),
                **{
                    k: float(np.median([r[k] for r in sel]))
                    for k in ("L", "a", "b", "ita_deg", "lips_dL", "lips_da", "lips_sheen_dL")
                },
            }
    cats = [r["ita_category"] for r in rows]
    record = {
        "machine": machine_info(),
        "version": synth.__version__,
        "frames": args.n,
        "wall_s": time.perf_counter() - t0,
        "L_vs_tone_corr": float(
            np.corrcoef([r["skin_tone"] for r in rows], [r["L"] for r in rows])[0, 1]
        ),  # fmt: skip
        "by_tone": by_tone,
        "ita_categories": {c: cats.count(c) for c in dict.fromkeys(cats)},
        "frames_detail": rows,
    }
    write_result(args.result, record)
    for name, s in by_tone.items():
        print(f"{name:6s} ({s['frames']:2d} frames): L* {s['L']:5.1f}  a* {s['a']:5.1f}  "
              f"b* {s['b']:5.1f}  ITA {s['ita_deg']:6.1f}; lips - skin: L* "
              f"{s['lips_dL']:+5.1f}  a* {s['lips_da']:+5.1f}; lip sheen (p97 - median L*) "
              f"{s['lips_sheen_dL']:4.1f}")  # fmt: skip
    print("ITA categories:", record["ita_categories"])


if __name__ == "__main__":
    main()
