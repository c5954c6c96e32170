"""Interleaved A/B of Cycles frame cost between this checkout and another one.

This VM's speed drifts by tens of per cent within minutes, so two benchmark runs taken
apart cannot compare two versions. This script renders the same sample indices of the
default config (seed 0, 640x480, each checkout's own default asset and renderer settings)
with each checkout in turn, ``--rounds`` times (A B A B ...), each in a fresh process (bpy
holds one scene per process), after one warm-up frame; per frame it records wall and
process CPU seconds of ``render()``. Writes benchmarks/results/cycles_ab.json.

Run: git worktree add /tmp/old <commit>
     .venv/bin/python benchmarks/bench_cycles_ab.py --other /tmp/old [--frames 1-10] [--rounds 2]
The other checkout's asset is cached separately (``--other-cache``) so the two asset
formats do not overwrite each other.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import machine_info  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, os, resource, sys, time
os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")
from assets_pipeline.head_asset import HeadAsset
from assets_pipeline.makehuman import ensure_default_asset
from synth.config import load_config
from synth.render import get_renderer
from synth.sampling import sample_spec
import synth

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

asset = HeadAsset.load(ensure_default_asset())
cfg = load_config(None, {})
idx = json.loads(sys.argv[1])
out = {"version": synth.__version__, "frames": []}
with get_renderer("cycles")(asset) as r:
    r.render(sample_spec(cfg, 0, idx[0], local_names=asset.local_names))  # warm-up
    for i in idx:
        spec = sample_spec(cfg, 0, i, local_names=asset.local_names)
        c0, t0 = cpu(), time.perf_counter()
        r.render(spec)
        out["frames"].append({"index": i, "background": spec.background.kind,
                              "wall_s": time.perf_counter() - t0, "cpu_s": cpu() - c0})
print("RESULT " + json.dumps(out))
"""


def run(checkout: Path, cache: Path | None, frames: list[int]) -> dict:
    env = dict(os.environ, PYTHONPATH=str(checkout), PYOPENGL_PLATFORM="osmesa")
    if cache is not None:
        env["FACEDEPTH_CACHE"] = str(cache)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(frames)],
        cwd=checkout, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--other", type=Path, required=True, help="the other checkout (B)")
    ap.add_argument("--other-cache", type=Path, default=Path("/tmp/facedepth-ab-cache"))
    ap.add_argument("--frames", default="1-10", help="sample indices, e.g. 1-10")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/cycles_ab.json")
    args = ap.parse_args()
    if not (args.other / "synth" / "__init__.py").is_file():
        sys.exit(f"error: {args.other} is not a facedepth checkout")
    lo, _, hi = args.frames.partition("-")
    frames = list(range(int(lo), int(hi or lo) + 1))
    args.other_cache.mkdir(parents=True, exist_ok=True)
    runs = []
    for k in range(args.rounds):
        for name, checkout, cache in (("A", ROOT, None), ("B", args.other, args.other_cache)):
            t = time.time()
            res = run(checkout, cache, frames)
            cpu = sum(f["cpu_s"] for f in res["frames"]) / len(frames)
            wall = sum(f["wall_s"] for f in res["frames"]) / len(frames)
            ver = res["version"]
            print(f"round {k} {name} {ver}: {cpu:.2f} CPU-s, {wall:.2f} s wall per frame")
            runs.append({"round": k, "checkout": name, "path": str(checkout), "started": t,
                         "mean_cpu_s": cpu, "mean_wall_s": wall, **res})  # fmt: skip
    summary = {}
    for name in ("A", "B"):
        mine = [r for r in runs if r["checkout"] == name]
        summary[name] = {
            "version": mine[0]["version"],
            "mean_cpu_s": sum(r["mean_cpu_s"] for r in mine) / len(mine),
            "mean_wall_s": sum(r["mean_wall_s"] for r in mine) / len(mine),
        }
    out = {"frames": frames, "rounds": args.rounds, "summary": summary, "runs": runs,
           "machine": machine_info(), "loadavg_end": list(os.getloadavg())}  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(out, indent=1))
    tmp.replace(args.out)
    print(json.dumps(summary, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
