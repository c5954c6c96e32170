"""Regenerate docs/img/cycles_faces.png and cycles_frames.png from Cycles frames.

Samples ``--start`` .. ``--start + n - 1`` of the default config (seed 0) are rendered at
640x480 by one Cycles renderer at its default settings and cropped around the mean of
landmarks 17-47 (brows, nose, eyes), six crops per row; the first six full frames, at half
size, make ``--full-out`` (3x2). The full frames are also written to ``--frames DIR``.

Run: .venv/bin/python docs/make_cycles_figures.py [--n 12] [--out docs/img/cycles_faces.png]
(the contact sheet with labels is ``synth preview --n 2 --out docs/img/cycles_preview.png``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from tqdm import tqdm  # noqa: E402

from assets_pipeline.head_asset import HeadAsset  # noqa: E402
from assets_pipeline.makehuman import ensure_default_asset  # noqa: E402
from synth.config import load_config  # noqa: E402
from synth.render import get_renderer  # noqa: E402
from synth.sampling import sample_spec  # noqa: E402

CROP, COLS = 200, 6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=12, help="number of crops")
    ap.add_argument("--start", type=int, default=0, help="first sample index")
    ap.add_argument("--out", type=Path, default=Path("docs/img/cycles_faces.png"))
    ap.add_argument("--full-out", type=Path, default=Path("docs/img/cycles_frames.png"))
    ap.add_argument("--frames", type=Path, default=None, help="also keep the full frames here")
    args = ap.parse_args()
    asset = HeadAsset.load(ensure_default_asset())
    cfg = load_config(None, {"width": 640, "height": 480})
    crops, frames = [], []
    with get_renderer("cycles")(asset) as renderer:
        for i in tqdm(range(args.start, args.start + args.n), desc="cycles frames"):
            res = renderer.render(sample_spec(cfg, 0, i, local_names=asset.local_names))
            if args.frames:
                args.frames.mkdir(parents=True, exist_ok=True)
                Image.fromarray(res.rgb).save(args.frames / f"frame{i:03d}.png")
            frames.append(Image.fromarray(res.rgb).resize((cfg.width // 2, cfg.height // 2)))
            cx, cy = res.landmarks_2d[17:48].mean(axis=0)
            x0 = int(np.clip(cx - CROP / 2, 0, cfg.width - CROP))
            y0 = int(np.clip(cy - 0.475 * CROP, 0, cfg.height - CROP))
            crops.append(res.rgb[y0 : y0 + CROP, x0 : x0 + CROP])
    cols = min(COLS, len(crops))
    rows = -(-len(crops) // cols)
    sheet = np.zeros((rows * CROP, cols * CROP, 3), np.uint8)
    for k, crop in enumerate(crops):
        r, c = divmod(k, cols)
        sheet[r * CROP : (r + 1) * CROP, c * CROP : (c + 1) * CROP] = crop
    args.out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).save(args.out)
    full = Image.new("RGB", (3 * cfg.width // 2, 2 * cfg.height // 2))
    for k, im in enumerate(frames[:6]):
        full.paste(im, ((k % 3) * cfg.width // 2, (k // 3) * cfg.height // 2))
    full.save(args.full_out)
    print(f"wrote {args.out} and {args.full_out}")


if __name__ == "__main__":
    main()
