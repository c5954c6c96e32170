"""Head-asset timings: load from the cache and evaluate identity + expression + pose on one
CPU core. Writes benchmarks/results/assets.json.

Run: .venv/bin/python benchmarks/bench_assets.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from machine import machine_info, write_result  # noqa: E402

from assets_pipeline.head_asset import HeadAsset  # noqa: E402
from assets_pipeline.makehuman import ensure_default_asset  # noqa: E402
from synth.config import GenerateConfig  # noqa: E402
from synth.sampling import sample_spec  # noqa: E402
from synth.scene import head_rotation  # noqa: E402


def main() -> None:
    t = time.perf_counter()
    path = ensure_default_asset()
    print(f"default asset ready in {time.perf_counter() - t:.1f} s (built if missing or outdated)")
    loads = []
    for _ in range(5):
        t = time.perf_counter()
        asset = HeadAsset.load(path)
        loads.append(time.perf_counter() - t)
    cfg = GenerateConfig()
    specs = [sample_spec(cfg, 0, i, local_names=asset.local_names) for i in range(50)]
    full, cached = [], []
    for s in specs:
        R = head_rotation(s.head_pose.yaw_deg, s.head_pose.pitch_deg, s.head_pose.roll_deg)
        t = time.perf_counter()
        dv, dj = asset.identity_offsets(s.identity.phenotypes, s.identity.local_changes)
        t_id = time.perf_counter()
        ev, ej = asset.expression_offsets(s.expression.face_units)
        v, _ = asset.posed(asset.template + dv + ev, asset.joint_template + dj + ej, R)
        t_end = time.perf_counter()
        full.append(t_end - t)
        cached.append(t_end - t_id)
        assert np.isfinite(v).all()
    res = {
        "asset": str(path),
        "vertices": asset.n_vertices,
        "triangles": int(len(asset.faces)),
        "load_s_median": statistics.median(loads),
        "evaluate_ms_median": 1000 * statistics.median(full),
        "evaluate_ms_p95": 1000 * float(np.percentile(full, 95)),
        "evaluate_cached_identity_ms_median": 1000 * statistics.median(cached),
        "threads": 1,
        "machine": machine_info(),
    }
    write_result("assets", res)


if __name__ == "__main__":
    main()
