"""Run directories: checkpoints as safetensors plus the resolved JSON config.

``RUN/`` holds

- ``config.json``        resolved :class:`TrainConfig`, architecture, parameter count,
                         dataset identity, library versions
- ``model.safetensors``  weights after the last finished epoch (what eval/predict/export use)
- ``state.safetensors``  resume state: weights + Adam state (+ AMP scaler), epoch in metadata
- ``metrics/epoch_NNN.json``, ``tb/`` (TensorBoard)

No pickles: everything loads with ``safetensors`` and ``json``. Every file is written to a
temp file in the run directory and renamed into place
(:func:`assets_pipeline.fileio.atomic_write`), so an interrupted run leaves the previous
epoch's files intact.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from pydantic import ValidationError
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file
from torch import nn

from assets_pipeline.fileio import atomic_write
from models.archs import build_model
from models.config import TrainConfig
from models.errors import BadInputError

CONFIG_FILE, WEIGHTS_FILE, STATE_FILE = "config.json", "model.safetensors", "state.safetensors"


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, write)


def write_json(path: Path, obj) -> None:
    """Pretty JSON, written atomically."""
    _atomic(Path(path), lambda tmp: tmp.write_text(json.dumps(obj, indent=2) + "\n"))


def _tensors(module: nn.Module, prefix: str = "") -> dict[str, torch.Tensor]:
    return {prefix + k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}


def save_weights(path: Path, model: nn.Module, metadata: dict[str, str]) -> None:
    _atomic(Path(path), lambda tmp: save_file(_tensors(model), tmp, metadata=metadata))


def save_state(
    run: Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scaler_state: dict,
    epoch: int,
    step: int,
) -> None:
    """Everything a resumed run needs after ``epoch`` finished epochs."""
    tensors = _tensors(model, "model.")
    opt = optimizer.state_dict()
    for idx, st in opt["state"].items():
        for k, v in st.items():
            tensors[f"optim.{idx}.{k}"] = torch.as_tensor(v).detach().cpu().contiguous()
    meta = {
        "epoch": str(epoch),
        "step": str(step),
        "param_groups": json.dumps(opt["param_groups"]),
        "scaler": json.dumps(scaler_state),
    }
    _atomic(Path(run) / STATE_FILE, lambda tmp: save_file(tensors, tmp, metadata=meta))


def state_epoch(run: Path) -> int:
    """Finished epochs recorded in ``RUN/state.safetensors`` (0 when there is none)."""
    path = Path(run) / STATE_FILE
    if not path.exists():
        return 0
    return int(_read_metadata(path).get("epoch", 0))


def _read_metadata(path: Path) -> dict[str, str]:
    try:
        with safe_open(str(path), framework="pt") as f:
            return f.metadata() or {}
    except (OSError, SafetensorError, ValueError) as e:
        raise BadInputError(f"unreadable checkpoint {path}: {e}") from None


@dataclass(frozen=True)
class ResumeState:
    epoch: int
    step: int
    scaler_state: dict


def load_state(run: Path, model: nn.Module, optimizer: torch.optim.Optimizer) -> ResumeState:
    """Load ``state.safetensors`` into ``model`` and ``optimizer`` (in place)."""
    path = Path(run) / STATE_FILE
    tensors, meta = _read_safetensors(path)
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    state: dict[int, dict[str, torch.Tensor]] = {}
    for k, v in tensors.items():
        if k.startswith("optim."):
            _, idx, name = k.split(".", 2)
            state.setdefault(int(idx), {})[name] = v
    optimizer.load_state_dict({"state": state, "param_groups": json.loads(meta["param_groups"])})
    for p, st in optimizer.state.items():  # moments were saved contiguous: restore the
        for k, v in st.items():  # parameter's layout (channels-last on CUDA)
            if torch.is_tensor(v) and v.shape == p.shape:
                st[k] = torch.empty_like(p, dtype=v.dtype).copy_(v)
    return ResumeState(int(meta["epoch"]), int(meta["step"]), json.loads(meta["scaler"]))


def _read_safetensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    meta = _read_metadata(path)
    try:
        return load_file(str(path)), meta
    except (OSError, SafetensorError, ValueError) as e:
        raise BadInputError(f"unreadable checkpoint {path}: {e}") from None


@dataclass
class LoadedRun:
    """A trained network in eval mode plus the config it was trained with."""

    model: nn.Module
    config: TrainConfig
    weights: Path
    epoch: int

    @property
    def size(self) -> tuple[int, int]:
        """Training resolution ``(W, H)``."""
        return int(self.config.width), int(self.config.height)


def read_run_config(run: Path) -> dict:
    path = Path(run) / CONFIG_FILE
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise BadInputError(f"{run} is not a training run: missing {CONFIG_FILE}") from None
    except (OSError, ValueError) as e:
        raise BadInputError(f"unreadable run config {path}: {e}") from None


def read_train_config(run: Path) -> TrainConfig:
    """The validated :class:`TrainConfig` in ``RUN/config.json``; bad input if unusable."""
    raw = read_run_config(run)
    try:
        return TrainConfig.model_validate(raw["train"])
    except (KeyError, TypeError, ValidationError) as e:
        msg = str(e).splitlines()[0]
        raise BadInputError(f"run config {Path(run) / CONFIG_FILE} is invalid: {msg}") from None


def load_run(checkpoint: str | os.PathLike, device: torch.device | str = "cpu") -> LoadedRun:
    """Load ``RUN`` (its ``model.safetensors``) or a ``.safetensors`` file inside a run."""
    ckpt = Path(checkpoint)
    if ckpt.is_file():
        run, weights = ckpt.parent, ckpt
    elif ckpt.is_dir():
        run, weights = ckpt, ckpt / WEIGHTS_FILE
    else:
        raise BadInputError(f"checkpoint not found: {ckpt}")
    cfg = read_train_config(run)
    if cfg.width is None or cfg.height is None:
        raise BadInputError(f"run config {run / CONFIG_FILE} has no resolved resolution")
    if not weights.is_file():
        raise BadInputError(f"{run} has no trained weights yet ({WEIGHTS_FILE} missing)")
    tensors, meta = _read_safetensors(weights)
    model = build_model(cfg.arch)
    try:
        model.load_state_dict(tensors)
    except RuntimeError as e:
        msg = str(e).splitlines()[0]
        raise BadInputError(f"{weights} does not fit arch {cfg.arch}: {msg}") from None
    model.to(device).eval()
    return LoadedRun(model, cfg, weights, int(meta.get("epoch", "0")))
