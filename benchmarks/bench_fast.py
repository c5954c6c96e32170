"""Fast-path throughput, per-stage split, memory and label exactness at 640x480.

Generates N samples with 1 and 2 local workers (complete samples written: RGB jpg, depth
EXR, mask png, samples.jsonl), then checks labels on a --save-mesh run: depth vs an
independent trimesh ray cast of the saved mesh on face pixels, landmark reprojection with
K, and depth at visible landmark pixels vs their z. Writes benchmarks/results/fast.json.

Run: .venv/bin/python benchmarks/bench_fast.py [--n 2000] [--workers 1 2]
Run it on an otherwise idle machine: the rate is CPU-bound.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")
os.environ.setdefault("LP_NUM_THREADS", "1")  # one llvmpipe thread per worker process
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from machine import machine_info, write_result  # noqa: E402

from assets_pipeline.makehuman import ensure_default_asset  # noqa: E402
from synth.config import load_config  # noqa: E402
from synth.generate import generate  # noqa: E402


def exactness(asset_path: Path, n: int = 20) -> dict:
    import trimesh
    from PIL import Image

    from synth.exr_io import read_depth
    from synth.spec import FACE_REGION_CLASSES

    tmp = Path(tempfile.mkdtemp())
    try:
        cfg = load_config(None, {"output.save_mesh": True})
        generate(cfg, tmp / "ds", n, seed=123, asset_path=asset_path)
        errs, reproj, lm_dz = [], [], []
        for line in (tmp / "ds" / "samples.jsonl").read_text().splitlines():
            rec = json.loads(line)
            depth = read_depth(tmp / "ds" / rec["files"]["depth"])
            mask = np.asarray(Image.open(tmp / "ds" / rec["files"]["mask"]))
            K = np.array(rec["scene"]["camera"]["K"])
            mesh = trimesh.load(tmp / "ds" / rec["files"]["mesh"], process=False)
            v, u = np.nonzero(np.isin(mask, FACE_REGION_CLASSES))
            pick = np.random.default_rng(0).choice(len(u), min(2000, len(u)), replace=False)
            u, v = u[pick], v[pick]
            d = np.stack([(u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1], np.ones(len(u))], 1)
            loc, ray, _ = mesh.ray.intersects_location(np.zeros_like(d), d, multiple_hits=False)
            z = np.zeros(len(u))
            z[ray] = loc[:, 2]
            errs.append(np.abs(z - depth[v, u]))
            p3 = np.array(rec["landmarks"]["points_3d"])
            p2 = np.array(rec["landmarks"]["points_2d"])
            proj = p3 @ K.T
            reproj.append(np.abs(proj[:, :2] / proj[:, 2:] - p2).max())
            vis = np.array(rec["landmarks"]["visible"])
            px = np.round(p2[vis]).astype(int)
            lm_dz.append(np.abs(depth[px[:, 1], px[:, 0]] - p3[vis, 2]))
        e = np.concatenate(errs)
        dz = np.concatenate(lm_dz)
        return {
            "samples": n,
            "face_pixels_checked": int(len(e)),
            "depth_vs_raycast_median_mm": float(np.median(e) * 1000),
            "depth_vs_raycast_p99_mm": float(np.percentile(e, 99) * 1000),
            "landmark_reprojection_max_px": float(max(reproj)),
            "visible_landmark_depth_median_mm": float(np.median(dz) * 1000),
            "visible_landmark_depth_max_mm": float(dz.max() * 1000),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def throughput(
    asset_path: Path,
    n: int,
    workers: int,
    renderer: str = "fast",
    options: dict | None = None,
    chunk_size: int = 16,
) -> dict:
    """Generate ``n`` samples of the default config into a temporary directory: the
    end-to-end rate (start-up included), the steady rate (after each worker's first chunk:
    process start, imports, asset load and GL context / Blender scene excluded; None with
    too few chunks), per-stage times and bytes per sample. Also used by bench_scaling."""
    import time

    tmp = Path(tempfile.mkdtemp())
    marks: list[tuple[float, int]] = []
    done = [0]

    def progress(k: int) -> None:
        done[0] += k
        marks.append((time.perf_counter(), done[0]))

    try:
        cfg = load_config()
        s = generate(
            cfg, tmp / "ds", n, seed=0, renderer=renderer, renderer_options=options,
            asset_path=asset_path, workers=workers, chunk_size=chunk_size,
            on_progress=progress,
        )  # fmt: skip
        size = sum(p.stat().st_size for p in (tmp / "ds").rglob("*") if p.is_file())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "workers": workers,
        "samples": s.written,
        "seconds": s.seconds,
        "samples_per_s": s.rate,
        "steady_samples_per_s": (marks[-1][1] - marks[workers - 1][1])
        / (marks[-1][0] - marks[workers - 1][0])
        if len(marks) > workers
        else None,
        "per_sample_ms": {k: 1000 * v / s.written for k, v in sorted(s.stages.items())},
        "bytes_per_sample": size / n,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    asset_path = ensure_default_asset()
    runs = []
    for w in args.workers:
        r = throughput(asset_path, args.n, w)
        print(json.dumps(r))
        runs.append(r)
    peak_child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    peak_self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    res = {
        "resolution": "640x480",
        "runs": runs,
        "peak_rss_mb_worker_process": peak_child_mb,
        "peak_rss_mb_in_process_worker": peak_self_mb,
        "exactness": exactness(asset_path),
        "env": {k: os.environ.get(k) for k in ("PYOPENGL_PLATFORM", "LP_NUM_THREADS")},
        "machine": machine_info(),
    }
    write_result("fast", res)


if __name__ == "__main__":
    main()
