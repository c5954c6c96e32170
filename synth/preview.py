"""``synth preview``: render a few samples in-process and write a contact sheet PNG."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rich.progress import track

from assets_pipeline.head_asset import HeadAsset
from synth.config import GenerateConfig, skin_map_digests
from synth.contact_sheet import grid, sample_row
from synth.render import get_renderer
from synth.sampling import local_means, sample_spec
from synth.writer import atomic_write_bytes


def render_preview(
    config: GenerateConfig,
    asset_path: Path,
    renderer: str,
    renderer_options: dict,
    seed: int,
    indices: Iterable[int],
    out: Path,
) -> Path:
    """Render ``indices`` of (config, seed) and write the sheet to ``out`` atomically."""
    import io

    asset = HeadAsset.load(asset_path)
    local_means(asset.local_names, config.identity.local_mean)  # a bad name fails here
    if config.identity.skin_map_dir:
        skin_map_digests(config.identity.skin_map_dir)  # so does a bad skin map
    rows = []
    indices = list(indices)
    with get_renderer(renderer)(asset, **renderer_options) as r:
        for i in track(indices, description=f"preview ({renderer})", transient=True):
            spec = sample_spec(config, seed, i, local_names=asset.local_names)
            res = r.render(spec)
            rows.append(
                sample_row(res.rgb, res.depth, res.mask, res.landmarks_2d, res.landmarks_visible)
            )
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    grid(rows).save(buf, format="PNG")
    atomic_write_bytes(out, buf.getvalue())
    return out
