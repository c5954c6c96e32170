"""Contact sheets: one row per sample, RGB | coloured depth | mask | landmarks overlay."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from synth.spec import MASK_CLASSES

# A fixed, readable palette for the semantic classes (index = class id).
PALETTE = np.array(
    [
        [0, 0, 0], [224, 172, 150], [230, 60, 60], [60, 200, 60], [30, 120, 30],
        [60, 90, 230], [30, 40, 140], [240, 220, 50], [150, 130, 20], [200, 40, 200],
        [255, 140, 0], [160, 80, 20], [60, 220, 220], [110, 60, 20], [130, 130, 130],
        [255, 255, 255], [70, 70, 90],
    ],
    dtype=np.uint8,
)  # fmt: skip
assert len(PALETTE) == len(MASK_CLASSES)


def colorize_depth(
    depth: np.ndarray, lo: float | None = None, hi: float | None = None
) -> np.ndarray:
    """(H,W) metres -> (H,W,3) uint8 turbo colours (near = red), black where depth is 0."""
    from matplotlib import colormaps

    valid = depth > 0
    if not valid.any():
        return np.zeros((*depth.shape, 3), np.uint8)
    lo = float(np.percentile(depth[valid], 1)) if lo is None else lo
    hi = float(np.percentile(depth[valid], 99)) if hi is None else hi
    t = np.clip((depth - lo) / max(hi - lo, 1e-6), 0, 1)
    rgb = (colormaps["turbo"](1.0 - t)[..., :3] * 255).astype(np.uint8)
    rgb[~valid] = 0
    return rgb


def colorize_mask(mask: np.ndarray) -> np.ndarray:
    return PALETTE[np.clip(mask, 0, len(PALETTE) - 1)]


def landmark_overlay(rgb: np.ndarray, pts: np.ndarray, visible: np.ndarray) -> np.ndarray:
    im = Image.fromarray(rgb).convert("RGB")
    draw = ImageDraw.Draw(im)
    r = max(1, rgb.shape[1] // 320)
    for (x, y), v in zip(pts, visible, strict=True):
        c = (0, 255, 0) if v else (255, 0, 0)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=c)
    return np.asarray(im)


def sample_row(rgb, depth, mask, pts, visible, face_crop: bool = True) -> np.ndarray:
    """One sheet row (H, 4W, 3); the depth colour range spans the face (class-1 pixels)."""
    face = (mask > 0) & (mask < 14) & (depth > 0)
    lo = hi = None
    if face_crop and face.any():
        lo, hi = float(np.percentile(depth[face], 1)), float(np.percentile(depth[face], 99))
    return np.concatenate(
        [
            rgb,
            colorize_depth(depth, lo, hi),
            colorize_mask(mask),
            landmark_overlay(rgb, pts, visible),
        ],
        axis=1,
    )


def grid(rows: list[np.ndarray], max_width: int = 2560) -> Image.Image:
    """Stack rows vertically into one image, two columns when there are many rows."""
    cols = 2 if len(rows) > 4 else 1
    h, w = rows[0].shape[:2]
    nrow = (len(rows) + cols - 1) // cols
    sheet = np.zeros((nrow * h, cols * w, 3), np.uint8)
    for k, r in enumerate(rows):
        i, j = divmod(k, cols)
        sheet[i * h : (i + 1) * h, j * w : (j + 1) * w] = r
    im = Image.fromarray(sheet)
    if im.width > max_width:
        im = im.resize((max_width, int(im.height * max_width / im.width)), Image.LANCZOS)
    return im
