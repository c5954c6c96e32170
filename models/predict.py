"""``predict(...)``: depth maps for arbitrary images with a trained run.

For each input image ``NAME.ext`` it writes, into the output directory,

- ``NAME.exr``         predicted depth, metres, float32 channel ``"Z"``, at the input's size
- ``NAME_depth.png``   the depth coloured (near = bright), 2nd–98th percentile range
- ``NAME_figure.png``  side by side: input | predicted depth with a colour bar in metres,
                       laid out like the paper's qualitative figure

Images are resized to the run's training resolution for the network; the predicted
reciprocal depth is up-sampled bilinearly back to the input's size and converted to metres.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from assets_pipeline.fileio import atomic_write
from models.checkpoint import LoadedRun, load_run
from models.data import load_rgb, normalize_image
from models.depth_target import target_to_depth
from models.errors import BadInputError
from models.runtime import autocast, resolve_device
from synth.exr_io import write_depth

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}
COLORMAP = "plasma_r"


@dataclass(frozen=True)
class Prediction:
    source: Path
    exr: Path
    png: Path
    figure: Path


def collect_images(inputs: list[str | os.PathLike]) -> list[Path]:
    """Files as given; directories expanded to their image files (sorted, not recursive)."""
    if not inputs:
        raise BadInputError("no input images given")
    found: list[Path] = []
    for item in map(Path, inputs):
        if item.is_dir():
            files = sorted(p for p in item.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not files:
                raise BadInputError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {item}")
            found += files
        elif item.is_file():
            found.append(item)
        else:
            raise BadInputError(f"input not found: {item}")
    stems: dict[str, Path] = {}
    for p in found:
        if p.stem in stems:
            raise BadInputError(f"two inputs would write the same outputs: {stems[p.stem]}, {p}")
        stems[p.stem] = p
    return found


@torch.no_grad()
def predict_depth(run: LoadedRun, rgb_u8: np.ndarray, device: torch.device) -> np.ndarray:
    """uint8 ``[H, W, 3]`` → float32 ``[H, W]`` metres at the same size."""
    h, w = rgb_u8.shape[:2]
    small = np.asarray(Image.fromarray(rgb_u8).resize(run.size, Image.BILINEAR))
    x = normalize_image(small)[None].to(device)
    with autocast(device, run.config.amp):
        t = run.model(x)
    t = F.interpolate(t.float(), size=(h, w), mode="bilinear", align_corners=False)
    cfg = run.config
    return target_to_depth(t, cfg.max_depth_m, cfg.min_depth_m)[0, 0].cpu().numpy()


def depth_range(depth_m: np.ndarray) -> tuple[float, float]:
    lo, hi = np.percentile(depth_m, [2, 98])
    return float(lo), float(max(hi, lo + 1e-6))


def colorize(depth_m: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """uint8 ``[H, W, 3]``; near (``lo``) bright, far (``hi``) dark."""
    from matplotlib import colormaps

    x = np.clip((depth_m - lo) / (hi - lo), 0, 1)
    return (colormaps[COLORMAP](x)[..., :3] * 255 + 0.5).astype(np.uint8)


def save_figure(path: Path, rgb_u8: np.ndarray, depth_m: np.ndarray, lo: float, hi: float):
    """Input | predicted depth, one colour bar in metres."""
    from matplotlib.figure import Figure

    h, w = depth_m.shape
    fig = Figure(figsize=(2 * 4.0 * w / h + 0.9, 4.0), dpi=100, layout="constrained")
    ax_in, ax_d = fig.subplots(1, 2)
    ax_in.imshow(rgb_u8)
    ax_in.set_title("input")
    im = ax_d.imshow(depth_m, cmap=COLORMAP, vmin=lo, vmax=hi)
    ax_d.set_title("predicted depth")
    for ax in (ax_in, ax_d):
        ax.set_axis_off()
    fig.colorbar(im, ax=ax_d, fraction=0.046, pad=0.02, label="depth (m)")
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png"))


def predict(
    checkpoint: str | os.PathLike,
    inputs: list[str | os.PathLike],
    out: str | os.PathLike,
    *,
    device: str = "auto",
) -> list[Prediction]:
    """Predict depth for every input image (files or directories); see module docstring."""
    images = collect_images(inputs)
    dev = resolve_device(device)
    run = load_run(checkpoint, dev)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise BadInputError(f"--out {out} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for src in images:
        try:
            rgb = load_rgb(src, None)
        except OSError as e:
            raise BadInputError(f"cannot read image {src}: {e}") from None
        depth = predict_depth(run, rgb, dev)
        lo, hi = depth_range(depth)
        p = Prediction(
            src,
            out / f"{src.stem}.exr",
            out / f"{src.stem}_depth.png",
            out / f"{src.stem}_figure.png",
        )
        write_depth(p.exr, depth)
        colored = Image.fromarray(colorize(depth, lo, hi))
        atomic_write(p.png, lambda tmp, im=colored: im.save(tmp, format="PNG"))
        save_figure(p.figure, rgb, depth, lo, hi)
        results.append(p)
    return results
