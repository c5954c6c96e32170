"""Cycles frames are reproducible: a sample renders to the same pixels whatever the
renderer drew before it, so any sample regenerates alone from (seed, index)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

_SEQUENCE = """
import os, sys, numpy as np
os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")
from assets_pipeline.head_asset import HeadAsset
from assets_pipeline.makehuman import ensure_default_asset
from synth.config import load_config
from synth.render import get_renderer
from synth.sampling import sample_spec
asset = HeadAsset.load(ensure_default_asset())
maps = os.environ.get("FD_SKIN_MAPS")
cfg = load_config(None, {"width": 160, "height": 120, "identity.skin_map_dir": maps})
with get_renderer("cycles")(asset, **({"skin_map_dir": maps} if maps else {})) as r:
    for i in map(int, sys.argv[2:]):
        rgb = r.render(sample_spec(cfg, 0, i, local_names=asset.local_names)).rgb
np.save(sys.argv[1], rgb)
"""


def test_a_frame_does_not_depend_on_the_frames_rendered_before(asset, tmp_path):
    """Sample 10 (short hair) renders to the same RGB in a fresh renderer after sample 9
    (bald) alone as after samples 8 (short hair) and 9: with persistent data, hiding and
    showing the strand sets as objects made a frame depend on its predecessors (97
    levels apart at 160x120 before 0.11.0). Each sequence runs in its own process (bpy
    holds one scene per process)."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    out = []
    for k, seq in enumerate((["9", "10"], ["8", "9", "10"])):
        path = tmp_path / f"seq{k}.npy"
        subprocess.run([sys.executable, "-c", _SEQUENCE, str(path), *seq], cwd=root,
                       check=True, capture_output=True, timeout=300)  # fmt: skip
        out.append(np.load(path))
    np.testing.assert_array_equal(out[0], out[1])


def test_a_frame_with_skin_maps_does_not_depend_on_the_maps_shown_before(asset, tmp_path):
    """Sample 3 (skin map 1) renders the same alone as after samples 1 (map 1) and 2 (map
    0): swapping the skin material's image between frames leaves nothing behind."""
    import os
    import subprocess
    import sys

    from PIL import Image

    rng = np.random.default_rng(0)
    for k in range(2):
        noise = rng.integers(90, 220, (256, 256, 3)).astype(np.uint8)
        Image.fromarray(noise).save(tmp_path / f"skin_{k}.png")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "FD_SKIN_MAPS": str(tmp_path)}
    out = []
    for k, seq in enumerate((["3"], ["1", "2", "3"])):
        path = tmp_path / f"seq{k}.npy"
        subprocess.run([sys.executable, "-c", _SEQUENCE, str(path), *seq], cwd=root,
                       env=env, check=True, capture_output=True, timeout=300)  # fmt: skip
        out.append(np.load(path))
    np.testing.assert_array_equal(out[0], out[1])
