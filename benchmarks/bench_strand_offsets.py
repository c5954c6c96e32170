"""How far the RGB-only hair strands stand off the labelled surface (no Blender needed).

Brows, lashes and scalp hair are Blender curves that are not part of the label geometry
(docs/CYCLES.md "Exact labels"): a pixel may show a hair while its depth is the skin's or
the hair shell's behind it. This measures by how much: for each strand, the distance of
its farthest control point from the nearest triangle of the labelled head (skin, eyes,
mouth, clothing and, with hair, the hair shell), evaluated as the renderer places them:

- ``brows`` (all strands, at full density and width) and ``lashes`` on the neutral
  template;
- ``scalp`` (short crop) and ``scalp_parted`` (bob): every strand the renderer would show
  (``rooted_in_hair``, lifted by ``skin_lift``) on the template with the longest hair the
  sampler draws (volume 1.3, hairline 1; the bob with the curtain hanging).

Writes benchmarks/results/strand_offsets.json. Run:
.venv/bin/python benchmarks/bench_strand_offsets.py [--max-strands 3000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import trimesh  # noqa: E402
from machine import machine_info, write_result  # noqa: E402

import synth  # noqa: E402
from assets_pipeline.hair_shell import shell_thickness  # noqa: E402
from assets_pipeline.head_asset import HeadAsset  # noqa: E402
from assets_pipeline.makehuman import ensure_default_asset  # noqa: E402
from synth.render.cycles_hair import grow_strands, visible_strands  # noqa: E402
from synth.render.cycles_scalp import rooted_in_hair, skin_lift  # noqa: E402

SHORT = {"volume": 1.3, "hairline": 1.0, "temples": 0.0, "length": 0.0}
BOB = {**SHORT, "length": 1.0}


def farthest(strand_points: np.ndarray, mesh: trimesh.Trimesh) -> np.ndarray:
    """(S,) m: each strand's farthest control point from ``mesh``."""
    s, p, _ = strand_points.shape
    _, dist, _ = trimesh.proximity.closest_point(mesh, strand_points.reshape(-1, 3))
    return dist.reshape(s, p).max(axis=1)


def summary(d: np.ndarray) -> dict:
    mm = 1000.0 * d
    return {
        "strands": len(d),
        "median_mm": float(np.median(mm)),
        "p95_mm": float(np.percentile(mm, 95)),
        "max_mm": float(mm.max()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-strands", type=int, default=3000, help="strands measured per set")
    args = ap.parse_args()
    if args.max_strands < 1:
        ap.error("--max-strands must be >= 1")
    t0 = time.perf_counter()
    asset = HeadAsset.load(ensure_default_asset())
    strands = grow_strands(asset)
    rng = np.random.default_rng(0)
    out = {}
    cases = [("brows", "face", {}), ("lashes", "face", {})]
    if "scalp_parted" in strands:
        cases += [("scalp", "scalp", SHORT), ("scalp_parted", "scalp_parted", BOB)]
    for label, name, hair_shape in cases:
        s = strands[name]
        verts = asset.evaluate(hair_shape=hair_shape)[0] if hair_shape else asset.template
        verts = np.asarray(verts, np.float64)
        if name == "face":
            lash = s.lash > 0
            shown = lash if label == "lashes" else visible_strands(s, 1.0, 1.0) & ~lash
            pts = s.positions(verts, asset.faces, shown)
        else:
            t = shell_thickness(asset, hair_shape)
            shown = rooted_in_hair(s, asset.faces, t)
            pts = s.positions(verts, asset.faces, shown, lift=skin_lift(s, asset.faces, t))
        ids = np.flatnonzero(shown)
        ids = rng.choice(ids, min(len(ids), args.max_strands), replace=False)
        mesh = trimesh.Trimesh(verts, asset.faces, process=False)
        out[label] = summary(farthest(np.asarray(pts[ids], np.float64), mesh))
        r = out[label]
        print(f"{label:13s} {r['strands']:5d} strands: farthest point median "
              f"{r['median_mm']:.1f} mm, p95 {r['p95_mm']:.1f} mm, "
              f"max {r['max_mm']:.1f} mm")  # fmt: skip
    write_result("strand_offsets", {
        "machine": machine_info(), "version": synth.__version__,
        "wall_s": time.perf_counter() - t0, "hair_shapes": {"short": SHORT, "bob": BOB},
        "sets": out,
    })  # fmt: skip


if __name__ == "__main__":
    main()
