"""Shared by the benchmarks that measure what default Cycles frames look like
(bench_skin_tone, bench_eyes, bench_hair): their command line and the frames.

Every such benchmark renders samples 0 .. n-1 of the default config (seed 0) at 640x480
with one Cycles renderer at its defaults, and takes ``--tag`` to name its result file,
so the same script can measure another checkout put first on the path
(``PYTHONPATH=/path/to/other .venv/bin/python benchmarks/bench_X.py --tag other``).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterator

os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")

from tqdm import tqdm  # noqa: E402

from assets_pipeline.head_asset import HeadAsset  # noqa: E402
from assets_pipeline.makehuman import ensure_default_asset  # noqa: E402
from synth.config import load_config  # noqa: E402
from synth.render import get_renderer  # noqa: E402
from synth.sampling import sample_spec  # noqa: E402


def frame_args(doc: str, name: str) -> argparse.Namespace:
    """``--n`` (frames, >= 1, default 24) and ``--tag``; the parser's description is the
    first line of ``doc``, ``name`` the result file's stem."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--n", type=int, default=24, help="frames (samples 0 .. n-1, seed 0)")
    ap.add_argument("--tag", default="", help=f"suffix of the result file ({name}_TAG.json)")
    args = ap.parse_args()
    if args.n < 1:
        ap.error("--n must be >= 1")
    args.result = f"{name}_{args.tag}" if args.tag else name
    return args


def default_frames(n: int, want: Callable | None = None) -> Iterator[tuple]:
    """(index, spec, RenderResult) for samples 0 .. n-1 of the default config, seed 0,
    rendered by one Cycles renderer; samples whose spec ``want`` rejects are skipped
    without rendering."""
    asset = HeadAsset.load(ensure_default_asset())
    cfg = load_config()
    with get_renderer("cycles")(asset) as renderer:
        for i in tqdm(range(n), desc="cycles frames"):
            spec = sample_spec(cfg, 0, i, local_names=asset.local_names)
            if want is None or want(spec):
                yield i, spec, renderer.render(spec)
