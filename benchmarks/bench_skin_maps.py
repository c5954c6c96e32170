"""Cost of skin maps (``identity.skin_map_dir``) in the Cycles renderer.

Measures, on the default config at 640x480:
- building each map's detail image (``cycles_skin_map.map_detail_pixels``; making the
  Blender image from it adds ~0.04 s, inside the warm-up pass), per map;
- the frame cost with maps against the same frames without (``--frames``, each map
  already built: a warm-up pass renders every frame once first), in ``--rounds``
  interleaved rounds (A B A B ...: this VM's speed drifts), one renderer at a time;
- RSS after the maps are built.

Without ``--map-dir``, ``--maps`` synthetic 2048x2048 maps are made in a temporary
directory (a skin colour with 1-texel pore noise and sparse 2-6-texel freckles, ~0.5 mm
per texel on the face): they cost what any map of that size costs; they are not
photographs. ``--figure PATH`` also writes the first four frames' face crops, without
(top) and with (bottom) the maps.

``--coverage-only`` writes, instead, how much of each mask region a map reaches
(``coverage``: the share of the region's skin-mesh vertices with skin_map_w 1) to
benchmarks/results/skin_map_coverage.json.

Writes benchmarks/results/skin_maps.json.
Run: .venv/bin/python benchmarks/bench_skin_maps.py [--maps 4] [--frames 1-10] [--rounds 2]
     [--map-dir DIR] [--figure docs/img/skin_maps_synthetic.png] [--coverage-only]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from bench_cycles import cpu_s, rss_mb  # noqa: E402
from machine import machine_info, write_result  # noqa: E402

from assets_pipeline.head_asset import HeadAsset  # noqa: E402
from assets_pipeline.makehuman import ensure_default_asset  # noqa: E402
from synth.config import load_config, skin_map_files  # noqa: E402
from synth.render import get_renderer  # noqa: E402
from synth.sampling import sample_spec  # noqa: E402


def synthetic_maps(directory: Path, n: int, size: int = 2048, seed: int = 0) -> None:
    """``n`` synthetic skin maps (module docstring) named skin_<k>.png."""
    from PIL import Image
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    for k in range(n):
        base = np.array([0.78, 0.6, 0.5]) * rng.uniform(0.8, 1.1)
        pores = gaussian_filter(rng.standard_normal((size, size)), 0.7)
        img = base * (1.0 + 0.05 * pores / pores.std())[..., None]
        freckles = gaussian_filter((rng.random((size, size)) < 2e-4).astype(float), 1.5)
        img *= 1.0 - 0.5 * np.clip(freckles / freckles.max(), 0, 1)[..., None]
        Image.fromarray(np.clip(img * 255, 0, 255).astype(np.uint8)).save(
            directory / f"skin_{k}.png"
        )


def coverage(asset: HeadAsset) -> dict[str, float]:
    """Per mask region of the skin mesh (face_part 0): the share of its vertices the map
    reaches (``skin_map_weights`` 1)."""
    from synth.render.cycles_head import detail_uv
    from synth.render.cycles_skin_map import skin_map_weights
    from synth.spec import MASK_CLASS_IDS

    w = skin_map_weights(asset, detail_uv(asset))
    out = {}
    for name, rid in MASK_CLASS_IDS.items():
        sel = (asset.face_region == rid) & (asset.face_part == 0)
        if sel.any():
            out[name] = float(w[np.unique(asset.faces[sel])].mean())
    return out


def run(asset, config, indices, map_dir: str | None, crops: list | None) -> dict:
    """Render ``indices`` (a warm-up pass, then the timed one) with one renderer."""
    opts = {"skin_map_dir": map_dir} if map_dir else {}
    renderer = get_renderer("cycles")(asset, **opts)
    specs = [sample_spec(config, 0, i, local_names=asset.local_names) for i in indices]
    build = []
    for spec in specs:  # warm-up: every map used gets built here
        t0 = time.perf_counter()
        renderer.render(spec)
        build.append(time.perf_counter() - t0)
    cpu, wall = [], []
    for k, spec in enumerate(specs):
        c0, t0 = cpu_s(), time.perf_counter()
        res = renderer.render(spec)
        wall.append(time.perf_counter() - t0)
        cpu.append(cpu_s() - c0)
        if crops is not None and k < 4:
            cx, cy = res.landmarks_2d[17:48].mean(axis=0)
            x0 = int(np.clip(cx - 100, 0, res.rgb.shape[1] - 200))
            y0 = int(np.clip(cy - 95, 0, res.rgb.shape[0] - 200))
            crops.append(res.rgb[y0 : y0 + 200, x0 : x0 + 200])
    out = {"cpu_s": float(np.mean(cpu)), "wall_s": float(np.mean(wall)), "rss_mb": rss_mb(),
           "warmup_wall_s": build}  # fmt: skip
    renderer.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--maps", type=int, default=4, help="synthetic maps (without --map-dir)")
    ap.add_argument("--map-dir", type=Path, default=None, help="a directory of real maps")
    ap.add_argument("--frames", default="1-10", help="sample indices a-b")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--figure", type=Path, default=None, help="PNG of face crops")
    ap.add_argument("--coverage-only", action="store_true", help="only the regions reached")
    args = ap.parse_args()
    if args.coverage_only:
        cov = coverage(HeadAsset.load(ensure_default_asset()))
        write_result("skin_map_coverage", {"machine": machine_info(), "coverage": cov})
        return
    a, b = (int(x) for x in args.frames.split("-"))
    indices = list(range(a, b + 1))
    asset = HeadAsset.load(ensure_default_asset())
    with tempfile.TemporaryDirectory() as tmp:
        map_dir = args.map_dir or Path(tmp)
        if args.map_dir is None:
            synthetic_maps(map_dir, args.maps)
        configs = {"without": load_config(None, {}),
                   "with": load_config(None, {"identity.skin_map_dir": str(map_dir)})}  # fmt: skip
        from synth.render.cycles_skin_map import map_detail_pixels, uv_coverage

        cover = {}
        build_s = []
        for name in skin_map_files(map_dir):
            t0 = time.perf_counter()
            map_detail_pixels(map_dir / name, lambda s: cover.setdefault(s, uv_coverage(asset, s)))
            build_s.append(time.perf_counter() - t0)
        rounds = []
        crops = {"without": [], "with": []} if args.figure else None
        for r in range(args.rounds):
            row = {}
            for name, d in (("without", None), ("with", str(map_dir))):
                keep = crops[name] if crops is not None and r == 0 else None
                row[name] = run(asset, configs[name], indices, d, keep)
                print(f"round {r} {name:7s} maps: {row[name]['cpu_s']:.2f} CPU-s, "
                      f"{row[name]['wall_s']:.2f} s wall per frame, RSS "
                      f"{row[name]['rss_mb']:.0f} MB", flush=True)  # fmt: skip
            rounds.append(row)
        n_maps = len(build_s)
    if args.figure:
        from PIL import Image

        sheet = np.concatenate([np.concatenate(crops[k], axis=1) for k in ("without", "with")])
        args.figure.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(sheet).save(args.figure)
        print(f"wrote {args.figure}")
    mean = {k: {m: float(np.mean([r[k][m] for r in rounds])) for m in ("cpu_s", "wall_s")}
            for k in ("without", "with")}  # fmt: skip
    record = {
        "machine": machine_info(),
        "maps": n_maps,
        "synthetic": args.map_dir is None,
        "frames": indices,
        "detail_build_s_per_map": float(np.median(build_s)),
        "per_frame": mean,
        "rounds": rounds,
    }
    write_result("skin_maps", record)
    print(f"detail image per map: {record['detail_build_s_per_map']:.2f} s (median of "
          f"{n_maps}); per frame without maps {mean['without']['cpu_s']:.2f} CPU-s / "
          f"{mean['without']['wall_s']:.2f} s, with {mean['with']['cpu_s']:.2f} / "
          f"{mean['with']['wall_s']:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
