"""Cycles renderer throughput, per-stage split, memory over consecutive frames.

Renders N consecutive samples of the default config (640x480) with one CyclesRenderer
(scene built once, reused), in this process. Per frame: wall seconds, process CPU seconds
(all threads; on a shared machine CPU seconds / cores is the wall time the frame would take
with the cores to itself), the renderer's stage timings (mesh = build_geometry,
raster = the GL visibility pass, labels = exact labels from it, scene_update = bpy
updates, cycles = path tracing + OpenImageDenoise, readback = reading the frame,
camera_fx = the lens/sensor post-process) and RSS. OIDN runs inside Cycles, so its
share is measured separately: --denoise-probe frames are rendered again with denoising
off. Writes benchmarks/results/cycles.json.

Run: .venv/bin/python benchmarks/bench_cycles.py [--n 200] [--samples 8] [--device cpu]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from machine import machine_info  # noqa: E402

from assets_pipeline.head_asset import HeadAsset  # noqa: E402
from assets_pipeline.makehuman import ensure_default_asset  # noqa: E402
from synth.config import load_config, parse_resolution  # noqa: E402
from synth.render import get_renderer  # noqa: E402
from synth.sampling import sample_spec  # noqa: E402

STAGES = ("mesh", "raster", "labels", "scene_update", "cycles", "readback", "camera_fx")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def stats(xs) -> dict:
    a = np.asarray(xs, dtype=float)
    return {
        "median": float(np.median(a)),
        "mean": float(a.mean()),
        "p10": float(np.percentile(a, 10)),
        "p90": float(np.percentile(a, 90)),
    }


def _by_kind(frames: list[dict], kind: str) -> dict:
    sel = [f for f in frames if f["background"] == kind]
    return {
        "frames": len(sel),
        "median_wall_s": float(np.median([f["wall_s"] for f in sel])),
        "median_cpu_s": float(np.median([f["cpu_s"] for f in sel])),
    }


def summarize(args, frames, probe, settings, init_s, load0, complete) -> dict:
    w, h = parse_resolution(args.resolution)
    steady = frames[1:] if len(frames) > 1 else frames  # frame 0 compiles kernels/shaders
    warm = min(10, len(frames) - 1)
    rss_start, rss_end = frames[warm]["rss_mb"], frames[-1]["rss_mb"]
    kinds = sorted({f["background"] for f in steady})
    cores = os.cpu_count() or 1
    return {
        "renderer": "cycles",
        "resolution": f"{w}x{h}",
        "frames": len(frames),
        "complete": complete,
        "settings": settings,
        "init_s": init_s,
        "first_frame_wall_s": frames[0]["wall_s"],
        "per_frame_wall_s": stats([f["wall_s"] for f in steady]),
        "per_frame_cpu_s": stats([f["cpu_s"] for f in steady]),
        "per_frame_cpu_s_over_cores": stats([f["cpu_s"] / cores for f in steady]),
        "per_stage_median_s": {k: float(np.median([f[k] for f in steady])) for k in STAGES},
        "denoise_median_s": float(np.median(probe)) if probe else None,
        "by_background": {k: _by_kind(steady, k) for k in kinds},
        "rss_mb": {
            "after_frame": warm,
            "start": rss_start,
            "end": rss_end,
            "max": max(f["rss_mb"] for f in frames),
            "growth_percent": 100.0 * (rss_end - rss_start) / rss_start,
        },
        "loadavg_start": load0,
        "loadavg_end": os.getloadavg(),
        "machine": machine_info(),
        "frames_detail": frames,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="consecutive frames")
    ap.add_argument("--samples", type=int, default=None, help="spp (renderer default)")
    ap.add_argument("--device", default="cpu", choices=["cpu", "gpu"])
    ap.add_argument("--resolution", default="640x480")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--denoise-probe", type=int, default=5, help="frames re-rendered w/o OIDN")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/cycles.json"))
    args = ap.parse_args()

    w, h = parse_resolution(args.resolution)
    config = load_config(None, {"width": w, "height": h})
    asset = HeadAsset.load(ensure_default_asset())
    load0 = os.getloadavg()
    opts = {"device": args.device}
    if args.samples:
        opts["samples"] = args.samples
    t0 = time.perf_counter()
    renderer = get_renderer("cycles")(asset, **opts)
    init_s = time.perf_counter() - t0
    frames = []
    for i in range(args.n):
        spec = sample_spec(config, args.seed, i, local_names=asset.local_names)
        c0, t0 = cpu_s(), time.perf_counter()
        res = renderer.render(spec)
        wall, cpu = time.perf_counter() - t0, cpu_s() - c0
        frames.append(
            {"index": i, "background": spec.background.kind, "wall_s": wall, "cpu_s": cpu,
             "rss_mb": rss_mb(), **{k: res.timings.get(k, 0.0) for k in STAGES}}
        )  # fmt: skip
        print(
            f"{i:4d} {spec.background.kind:9s} wall {wall:6.2f} s  cpu {cpu:6.2f} s  "
            f"cycles {res.timings['cycles']:6.2f} s  rss {frames[-1]['rss_mb']:7.1f} MB",
            flush=True,
        )
        if i >= 2 and i % 20 == 0:  # partial results survive an interrupted run
            part = summarize(args, frames, [], renderer.settings(), init_s, load0, False)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(part, indent=1) + "\n")

    # OIDN's share: the same frames again, denoising off (first frame excluded: warm-up).
    scene = renderer._scene.scene
    probe = []
    for i in range(1, 1 + min(args.denoise_probe, args.n - 1)):
        spec = sample_spec(config, args.seed, i, local_names=asset.local_names)
        scene.cycles.use_denoising = True
        with_dn = renderer.render(spec).timings["cycles"]
        scene.cycles.use_denoising = False
        without = renderer.render(spec).timings["cycles"]
        probe.append(with_dn - without)
    scene.cycles.use_denoising = True
    settings = renderer.settings()
    renderer.close()

    result = summarize(args, frames, probe, settings, init_s, load0, complete=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    summary = {k: result[k] for k in ("per_frame_wall_s", "per_frame_cpu_s", "per_stage_median_s",
                                      "denoise_median_s", "by_background", "rss_mb")}  # fmt: skip
    print(json.dumps(summary, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
