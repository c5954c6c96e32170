"""Render the asset figures kept in docs/img: the five expression presets and the 68
landmarks + region labels. Run: .venv/bin/python docs/make_asset_figures.py
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from assets_pipeline.head_asset import HeadAsset  # noqa: E402
from assets_pipeline.makehuman import ensure_default_asset  # noqa: E402
from synth.config import load_config  # noqa: E402
from synth.contact_sheet import PALETTE  # noqa: E402
from synth.render.fast import FastRenderer  # noqa: E402
from synth.sampling import sample_spec  # noqa: E402
from synth.spec import MASK_CLASSES, ExpressionSpec, HeadPoseSpec  # noqa: E402

OUT = Path(__file__).parent / "img"


def frontal_spec(asset, expression: str, identity_index: int, width=400, height=400):
    cfg = load_config(
        None,
        {
            "width": width,
            "height": height,
            "camera.distance_mm": 550,
            "camera.sensor_mm": 36,
            "camera.aim_jitter_m": 0.0,
            "background.plain": 1,
            "background.textured": 0,
            "background.cluttered": 0,
            "identity.count": 8,
        },
    )
    s = sample_spec(cfg, 4, identity_index, local_names=asset.local_names)
    units = asset.preset_weights(expression, 1.0)
    return s.model_copy(
        update={
            "expression": ExpressionSpec(name=expression, intensity=1.0, face_units=units),
            "head_pose": HeadPoseSpec(yaw_deg=0.0, pitch_deg=0.0, roll_deg=0.0),
            "ambient": 0.35,
        }
    )


def label(img: np.ndarray, text: str) -> np.ndarray:
    im = Image.fromarray(img)
    ImageDraw.Draw(im).text((8, 8), text, fill=(255, 255, 255))
    return np.asarray(im)


def main() -> None:
    asset = HeadAsset.load(ensure_default_asset())
    OUT.mkdir(parents=True, exist_ok=True)
    names = ["neutral", "happy", "angry", "scared", "sad"]
    rows = []
    with FastRenderer(asset) as r:
        for ident in (0, 3):
            row = []
            for name in names:
                res = r.render(frontal_spec(asset, name, ident))
                row.append(label(res.rgb[60:340, 60:340], name))
            rows.append(np.concatenate(row, axis=1))
        Image.fromarray(np.concatenate(rows, axis=0)).save(OUT / "expressions.png")

        res = r.render(frontal_spec(asset, "neutral", 1, 800, 800))
        crop = (slice(140, 660), slice(140, 660))
        rgb = res.rgb[crop].copy()
        im = Image.fromarray(rgb)
        draw = ImageDraw.Draw(im)
        for k, (x, y) in enumerate(res.landmarks_2d):
            x, y = x - 140, y - 140
            draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=(255, 40, 40))
            draw.text((x + 4, y - 6), str(k), fill=(255, 255, 0))
        mask = PALETTE[res.mask[crop]]
        legend = Image.new("RGB", (200, 520), (255, 255, 255))
        ld = ImageDraw.Draw(legend)
        for k, name in MASK_CLASSES.items():
            ld.rectangle([10, 10 + 28 * k, 30, 30 + 28 * k], fill=tuple(int(c) for c in PALETTE[k]))
            ld.text((38, 14 + 28 * k), f"{k} {name}", fill=(0, 0, 0))
        sheet = np.concatenate([np.asarray(im), mask, np.asarray(legend)], axis=1)
        Image.fromarray(sheet).save(OUT / "landmarks_regions.png")
    print(f"wrote {OUT / 'expressions.png'} and {OUT / 'landmarks_regions.png'}")


if __name__ == "__main__":
    main()
