"""``train(cfg)``: Adam on reciprocal depth, validation each epoch, resumable runs.

One call trains ``cfg.arch`` on the ``train`` split of ``cfg.data`` for ``cfg.epochs``
epochs, validating on ``val`` after each epoch (metrics at the training resolution, whole
frame and face region, written to ``RUN/metrics/epoch_NNN.json`` and TensorBoard). Running
it again with the same ``cfg.out`` resumes after the last finished epoch (see
:mod:`models.checkpoint`). On CUDA it uses mixed precision and channels-last tensors; under
``torchrun`` it trains with DistributedDataParallel (rank 0 writes the files).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import timm
import torch
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from models.archs import build_model, count_parameters, get_arch
from models.checkpoint import (
    CONFIG_FILE,
    STATE_FILE,
    WEIGHTS_FILE,
    load_state,
    read_train_config,
    save_state,
    save_weights,
    state_epoch,
    write_json,
)
from models.config import TrainConfig, config_differences
from models.data import FaceDepthDataset, ShardSampler, make_loader, open_dataset
from models.depth_target import depth_to_target, target_to_depth
from models.errors import BadInputError
from models.losses import DepthLoss
from models.metrics import MetricAccumulator
from models.runtime import (
    Dist,
    all_reduce_sum,
    autocast,
    barrier,
    init_distributed,
    needs_grad_scaler,
)


@dataclass(frozen=True)
class TrainResult:
    run: Path
    epochs_done: int
    resumed_from: int
    last_val: dict | None


def _prepare_run(cfg: TrainConfig, d: Dist, n_params: int, info_meta: dict) -> int:
    """Check an existing run is compatible, write config.json; returns finished epochs."""
    run = Path(cfg.out)
    if run.exists() and not run.is_dir():
        raise BadInputError(f"--out {run} exists and is not a directory")
    resumed = 0
    if (run / CONFIG_FILE).exists():
        diff = config_differences(read_train_config(run), cfg)
        if diff:
            raise BadInputError(
                f"{run} holds a different run ({'; '.join(diff)}); use another --out"
            )
        resumed = state_epoch(run)
    elif run.is_dir() and any(p for p in run.iterdir() if not p.name.startswith(".")):
        raise BadInputError(f"--out {run} is not empty and holds no {CONFIG_FILE}")
    if d.main:
        arch = get_arch(cfg.arch)
        record = {
            "train": cfg.model_dump(mode="json"),
            "arch": {
                "name": cfg.arch,
                "family": arch.family,
                "encoder": arch.encoder,
                "parameters": n_params,
            },
            "output": "reciprocal depth max_depth_m / depth (see models.depth_target)",
            "dataset": {k: info_meta.get(k) for k in ("fingerprint", "seed", "n", "counts")},
            "versions": {"torch": torch.__version__, "timm": timm.__version__},
            "world_size": d.world,
        }
        write_json(run / CONFIG_FILE, record)
    barrier(d)
    return resumed


def train(cfg: TrainConfig, *, progress: bool = True) -> TrainResult:
    """Train (or resume) the run ``cfg.out``; see the module docstring."""
    d, device = init_distributed(cfg.device)
    get_arch(cfg.arch)  # an unknown name fails before the dataset is read
    info = open_dataset(cfg.data)
    if cfg.width is None:
        cfg = cfg.model_copy(update={"width": info.width, "height": info.height})
    size = (int(cfg.width), int(cfg.height))
    train_ds = FaceDepthDataset(
        info, "train", size, augment=cfg.augment, limit=cfg.limit, seed=cfg.seed
    )
    try:
        val_ds = FaceDepthDataset(info, "val", size, limit=cfg.limit)
    except BadInputError:
        val_ds = None  # a dataset without a val split still trains; validation is skipped

    torch.manual_seed(cfg.seed)
    model = build_model(cfg.arch, cfg.pretrained if not (cfg.out / STATE_FILE).exists() else None)
    n_params = count_parameters(model)
    start = _prepare_run(cfg, d, n_params, info.meta)
    cuda = device.type == "cuda"
    model.to(device)
    if cuda:
        model.to(memory_format=torch.channels_last)
        if d.world > 1:
            model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    opt = _adam(model, cfg.lr)
    step, scaler_state = 0, {}
    if start:
        st = load_state(cfg.out, model, opt)
        start, step, scaler_state = st.epoch, st.step, st.scaler_state
    if start >= cfg.epochs:
        if d.main and progress:
            tqdm.write(f"{cfg.out}: already trained for {start} epochs (--epochs {cfg.epochs})")
        return TrainResult(Path(cfg.out), start, start, None)
    scaler = torch.amp.GradScaler("cuda", enabled=needs_grad_scaler(device, cfg.amp))
    if scaler_state and scaler.is_enabled():
        scaler.load_state_dict(scaler_state)
    net = model
    if d.world > 1:
        net = DistributedDataParallel(model, device_ids=[device.index] if cuda else None)
    criterion = DepthLoss(cfg.loss, cfg.data_range)
    sampler = ShardSampler(len(train_ds), d.rank, d.world, shuffle=True, seed=cfg.seed)
    per_rank = len(sampler)
    loader = make_loader(
        train_ds,
        cfg.batch_size,
        sampler=sampler,
        workers=cfg.workers,
        device=device,
        drop_last=per_rank > 1 and per_rank % cfg.batch_size == 1,  # no 1-sample BN batch
    )
    writer = _tensorboard(cfg.out) if d.main else None
    last_val = None
    for epoch in range(start, cfg.epochs):
        sampler.set_epoch(epoch)
        train_ds.set_epoch(epoch)
        net.train()
        t0, seen, loss_sum = time.perf_counter(), 0, 0.0
        bar = tqdm(
            loader,
            desc=f"epoch {epoch + 1}/{cfg.epochs}",
            disable=not (progress and d.main),
            leave=False,
            dynamic_ncols=True,
        )
        for batch in bar:
            image, target, valid = _to_device(batch, device, cfg)
            with autocast(device, cfg.amp):
                pred = net(image)
            loss, terms = criterion(pred, target, valid)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"non-finite loss at epoch {epoch + 1}, step {step}")
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            step += 1
            seen += image.shape[0]
            loss_value = loss.item()
            loss_sum += loss_value * image.shape[0]
            bar.set_postfix(loss=f"{loss_value:.4f}")
            if writer is not None and step % cfg.log_every == 0:
                writer.add_scalar("train/loss", loss_value, step)
                for k, v in terms.items():
                    writer.add_scalar(f"train/{k}", float(v), step)
        seconds = time.perf_counter() - t0
        record = {
            "epoch": epoch + 1,
            "step": step,
            "train_loss": loss_sum / max(seen, 1),
            "train_images_per_s": seen * d.world / seconds,
        }
        if val_ds is not None:
            record["val"] = validate(model, val_ds, cfg, device, d, criterion)
            last_val = record["val"]
        if d.main:
            _write_epoch(cfg, model, opt, scaler, epoch + 1, step, record, writer)
            if progress:
                tqdm.write(_summary(record))
        barrier(d)
    if writer is not None:
        writer.close()
    return TrainResult(Path(cfg.out), cfg.epochs, start, last_val)


def _adam(model: torch.nn.Module, lr: float) -> torch.optim.Adam:
    # The fused kernel (CPU and CUDA) is ~1.5x faster than the per-tensor loop on CPU.
    try:
        return torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.Adam(model.parameters(), lr=lr)


def _to_device(batch: dict, device: torch.device, cfg: TrainConfig):
    fmt = torch.channels_last if device.type == "cuda" else torch.contiguous_format
    image = batch["image"].to(device, non_blocking=True, memory_format=fmt)
    depth = batch["depth"].to(device, non_blocking=True)
    valid = batch["valid"].to(device, non_blocking=True)
    return image, depth_to_target(depth, cfg.max_depth_m, cfg.min_depth_m), valid


@torch.no_grad()
def validate(model, dataset, cfg: TrainConfig, device, d: Dist, criterion: DepthLoss) -> dict:
    """Val metrics at the training resolution (each rank one shard, sums all-reduced)."""
    model.eval()
    sampler = ShardSampler(len(dataset), d.rank, d.world, shuffle=False, seed=0)
    loader = make_loader(
        dataset, cfg.batch_size, sampler=sampler, workers=cfg.workers, device=device
    )
    accs = {"whole": MetricAccumulator(device), "face": MetricAccumulator(device)}
    loss_sum = torch.zeros(2, dtype=torch.float64, device=device)
    for batch in loader:
        image, target, valid = _to_device(batch, device, cfg)
        with autocast(device, cfg.amp):
            pred = model(image)
        loss, _ = criterion(pred, target, valid)
        loss_sum += torch.stack([loss.double() * image.shape[0], loss.new_tensor(image.shape[0])])
        pred_m = target_to_depth(pred, cfg.max_depth_m, cfg.min_depth_m)
        gt = batch["depth"].to(device)
        accs["whole"].update(pred_m, gt, valid)
        accs["face"].update(pred_m, gt, batch["face"].to(device))
    for acc in accs.values():
        all_reduce_sum(acc.state, d)
    all_reduce_sum(loss_sum, d)
    out = {k: acc.result() for k, acc in accs.items()}
    out["loss"] = float(loss_sum[0] / loss_sum[1].clamp_min(1))
    return out


def _write_epoch(cfg, model, opt, scaler, epoch, step, record, writer) -> None:
    meta = {
        "arch": cfg.arch,
        "epoch": str(epoch),
        "config": json.dumps(cfg.model_dump(mode="json")),
    }
    save_weights(cfg.out / WEIGHTS_FILE, model, meta)
    save_state(cfg.out, model, opt, scaler.state_dict(), epoch, step)
    write_json(cfg.out / "metrics" / f"epoch_{epoch:03d}.json", record)
    if writer is not None:
        writer.add_scalar("epoch/train_loss", record["train_loss"], epoch)
        writer.add_scalar("epoch/train_images_per_s", record["train_images_per_s"], epoch)
        if "val" in record:
            writer.add_scalar("val/loss", record["val"]["loss"], epoch)
            for region in ("whole", "face"):
                for k, v in record["val"][region]["pooled"].items():
                    writer.add_scalar(f"val_{region}/{k}", v, epoch)
        writer.flush()


def _summary(r: dict) -> str:
    ips = r["train_images_per_s"]
    s = f"epoch {r['epoch']}: train loss {r['train_loss']:.4f} ({ips:.1f} img/s)"
    if "val" in r:
        w, f = r["val"]["whole"]["pooled"], r["val"]["face"]["pooled"]
        s += (
            f"; val loss {r['val']['loss']:.4f}, AbsRel {w['abs_rel']:.4f}, RMSE {w['rmse']:.4f},"
            f" δ1 {w['delta1']:.4f}; face AbsRel {f['abs_rel']:.4f}"
        )
    return s


def _tensorboard(run: Path):
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(log_dir=str(Path(run) / "tb"))
