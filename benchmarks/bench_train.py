"""Training throughput (images/s) of every ``--arch`` on CPU, and on CUDA when present.

One training step is what ``models train`` does per batch: forward, the default loss
(0.1·L1 + SSIM + gradient + normal terms on reciprocal depth), backward and a fused Adam
step; on CUDA with bf16/fp16 autocast and channels-last tensors. Inputs are random images
with a plausible depth map (a head 0.7-1.0 m away, no surface elsewhere), so data loading is
not measured. Writes benchmarks/results/train_throughput.json with machine and versions.

Run: .venv/bin/python benchmarks/bench_train.py [--resolution 128x96] [--batch-size 2]
     [--steps 3] [--threads 1 2] [--arch unet-simple ...] [--device cpu cuda]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import timm  # noqa: E402
import torch  # noqa: E402
from machine import machine_info, write_result  # noqa: E402

from models.archs import arch_names, build_model, count_parameters  # noqa: E402
from models.config import parse_resolution  # noqa: E402
from models.depth_target import depth_to_target  # noqa: E402
from models.losses import DepthLoss, LossWeights  # noqa: E402
from models.runtime import autocast, needs_grad_scaler  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "train_throughput.json"


def fake_batch(n: int, w: int, h: int, device: torch.device, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    image = torch.randn(n, 3, h, w, generator=g)
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, w), indexing="ij")
    r2 = (xx / 0.5) ** 2 + (yy / 0.7) ** 2
    depth = torch.where(r2 < 1, 0.85 - 0.1 * (1 - r2).clamp(min=0).sqrt(), torch.zeros(()))
    depth = depth.expand(n, 1, h, w).contiguous()
    return image.to(device), depth.to(device), (depth > 0).to(device)


def bench_one(arch: str, device: torch.device, w: int, h: int, batch: int, steps: int) -> dict:
    torch.manual_seed(0)
    model = build_model(arch).to(device).train()
    cuda = device.type == "cuda"
    if cuda:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
    scaler = torch.amp.GradScaler("cuda", enabled=needs_grad_scaler(device, True))
    loss_fn = DepthLoss(LossWeights(), 5.0 / 0.05)
    image, depth, valid = fake_batch(batch, w, h, device)
    if cuda:
        image = image.contiguous(memory_format=torch.channels_last)
    target = depth_to_target(depth, 5.0, 0.05)

    def step() -> None:
        with autocast(device, True):
            pred = model(image)
        loss, _ = loss_fn(pred, target, valid)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()

    for _ in range(2):  # warm-up: allocator, cuDNN/oneDNN kernel choice
        step()
    times = []
    for _ in range(steps):
        if cuda:
            torch.cuda.synchronize(device)
        t0 = time.perf_counter()
        step()
        if cuda:
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    return {
        "arch": arch,
        "device": str(device),
        "parameters": count_parameters(model),
        "step_s_median": med,
        "step_s_all": times,
        "images_per_s": batch / med,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolution", default="128x96")
    ap.add_argument("--batch-size", type=int, default=2)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, nargs="+", default=[torch.get_num_threads()])
    ap.add_argument("--arch", nargs="+", default=arch_names())
    ap.add_argument("--device", nargs="+", default=["cpu", "cuda"])
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    w, h = parse_resolution(args.resolution)
    devices = [torch.device(d) for d in args.device if d == "cpu" or torch.cuda.is_available()]
    runs = []
    for device in devices:
        for threads in args.threads if device.type == "cpu" else [torch.get_num_threads()]:
            torch.set_num_threads(threads)
            for arch in args.arch:
                load_before = os.getloadavg()[0]
                r = bench_one(arch, device, w, h, args.batch_size, args.steps)
                r["threads"] = threads
                # Other processes on the machine skew CPU numbers; keep the evidence.
                r["loadavg_1min_before_after"] = [load_before, os.getloadavg()[0]]
                runs.append(r)
                print(
                    f"{device.type:4s} threads={threads} {arch:16s} {r['images_per_s']:8.2f} img/s "
                    f"({r['step_s_median']:.3f} s/step)",
                    flush=True,
                )
    record = {
        "benchmark": "training step throughput (forward + loss + backward + Adam)",
        "resolution": f"{w}x{h}",
        "batch_size": args.batch_size,
        "timed_steps": args.steps,
        "machine": machine_info(),
        "versions": {"torch": torch.__version__, "timm": timm.__version__},
        "cuda_device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "runs": runs,
    }
    write_result(args.out, record, indent=2)


if __name__ == "__main__":
    main()
