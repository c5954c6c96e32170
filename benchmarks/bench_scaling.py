"""Samples/s vs local workers (1, 2) for the fast and Cycles paths, with scaling efficiency
(rate with W workers / (W x rate with 1)). Writes benchmarks/results/scaling.json.

Run: .venv/bin/python benchmarks/bench_scaling.py [--fast-n 300] [--cycles-n 6]
Each run is bench_fast.throughput in a fresh process.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")
os.environ.setdefault("LP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_fast import throughput  # noqa: E402
from machine import machine_info, write_result  # noqa: E402

from assets_pipeline.makehuman import ensure_default_asset  # noqa: E402


def isolated(fn, *args):
    """Run ``fn`` in a fresh spawned process: bpy edits sys.path on import, and a process
    that imported it must not spawn render workers (they would inherit that sys.path)."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as ex:
        return ex.submit(fn, *args).result()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fast-n", type=int, default=300)
    ap.add_argument("--cycles-n", type=int, default=6)
    ap.add_argument("--skip-cycles", action="store_true")
    args = ap.parse_args()
    out = {"resolution": "640x480", "machine": machine_info(), "paths": {}}
    paths = [("fast", args.fast_n, {})]
    if not args.skip_cycles:
        paths.append(("cycles", args.cycles_n, {"device": "cpu"}))
    for name, n, opts in paths:
        runs = [
            isolated(throughput, ensure_default_asset(), n, w, name, opts, max(1, n // (4 * w)))
            for w in (1, 2)
        ]
        eff = runs[1]["samples_per_s"] / (2 * runs[0]["samples_per_s"])
        out["paths"][name] = {"runs": runs, "scaling_efficiency_2_workers": eff}
        print(name, json.dumps(out["paths"][name]))
    write_result("scaling", out)


if __name__ == "__main__":
    main()
