"""Device, threads, mixed precision and ``torchrun`` process-group setup.

CUDA is used when present (``device="auto"``); under ``torchrun`` (``WORLD_SIZE > 1``) each
process joins a process group (NCCL on CUDA, Gloo on CPU) and uses ``cuda:LOCAL_RANK``.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from models.errors import BadInputError


@dataclass(frozen=True)
class Dist:
    rank: int = 0
    local_rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """``auto`` → CUDA when available, else CPU; ``cuda`` without a GPU is bad input."""
    if name not in ("auto", "cpu", "cuda"):
        raise BadInputError(f"unknown device {name!r}; valid: auto, cpu, cuda")
    if name == "cuda" and not torch.cuda.is_available():
        raise BadInputError("--device cuda asked for, but no CUDA device is available")
    if name == "cpu" or not torch.cuda.is_available():
        return torch.device("cpu")
    return torch.device("cuda", local_rank)


def init_distributed(device_name: str) -> tuple[Dist, torch.device]:
    """Join the ``torchrun`` process group when ``WORLD_SIZE > 1``; pick the device."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Dist(), resolve_device(device_name)
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    device = resolve_device(device_name, local)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    procs = int(os.environ.get("LOCAL_WORLD_SIZE", world))
    if device.type == "cpu" and "OMP_NUM_THREADS" not in os.environ:
        # Several CPU trainers on one node would oversubscribe the cores with torch's default.
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // procs))
    return Dist(rank, local, world), device


def set_cpu_threads(n: int | None) -> None:
    """Intra-op CPU threads (``None``: torch's default, one per core, or OMP_NUM_THREADS).

    On a shared machine fewer threads can be much faster: OpenMP threads wait on each other
    whenever another process holds one of their cores."""
    if n is None:
        return
    if n < 1:
        raise BadInputError(f"--threads must be >= 1, got {n}")
    torch.set_num_threads(n)


def barrier(d: Dist) -> None:
    if d.world > 1:
        dist.barrier()


def all_reduce_sum(t: torch.Tensor, d: Dist) -> torch.Tensor:
    if d.world > 1:
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t


def autocast(device: torch.device, enabled: bool):
    """bf16 autocast where supported, else fp16; a no-op on CPU or when disabled."""
    if device.type != "cuda" or not enabled:
        return contextlib.nullcontext()
    return torch.autocast("cuda", dtype=amp_dtype(device))


def amp_dtype(device: torch.device) -> torch.dtype:
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def needs_grad_scaler(device: torch.device, enabled: bool) -> bool:
    return device.type == "cuda" and enabled and amp_dtype(device) == torch.float16
