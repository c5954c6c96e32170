"""PyTorch access to a ``synth generate`` dataset directory (layout: shared/ARCHITECTURE.md).

``open_dataset(dir)`` validates ``dataset.json`` / ``samples.jsonl`` once;
``FaceDepthDataset`` yields one dict per sample:

- ``image``  float32 ``[3, H, W]``, sRGB in [0, 1] normalised with ImageNet mean/std
- ``depth``  float32 ``[1, H, W]``, metres, planar, 0 = no surface
- ``valid``  bool ``[1, H, W]``, ``depth > 0``
- ``face``   bool ``[1, H, W]``, mask class in the face region (and valid)
- ``mask``   uint8 ``[1, H, W]``, semantic class ids (left/right swapped on flips)
- ``id``     sample id string

Splits are the generator's (identity-disjoint). RGB is resized with PIL's bilinear filter
(antialiased); depth and mask only ever by nearest-neighbour at pixel centres, so every
depth value is a real surface depth. Augmentation (training only): horizontal flip that
also swaps the subject's left/right mask classes, and brightness/contrast/saturation jitter;
its randomness is a pure function of (seed, epoch, index).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field
from torch.utils.data import DataLoader, Dataset, Sampler

from models.errors import BadInputError
from synth.exr_io import read_depth
from synth.spec import DATASET_FILE, FACE_REGION_CLASSES, MASK_CLASSES, SAMPLES_FILE

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
SPLITS = ("train", "val", "test")
_LR_PAIRS = (("left_eye", "right_eye"), ("left_brow", "right_brow"), ("left_ear", "right_ear"))


@dataclass(frozen=True)
class SampleFiles:
    id: str
    index: int
    split: str
    identity_id: int
    rgb: Path
    depth: Path
    mask: Path


@dataclass(frozen=True)
class DatasetInfo:
    """A validated dataset directory: native size, class tables and all sample records."""

    root: Path
    width: int
    height: int
    mask_classes: dict[int, str]
    face_classes: tuple[int, ...]
    samples: tuple[SampleFiles, ...]
    meta: dict

    def split(self, split: str, limit: int | None = None) -> list[SampleFiles]:
        if split not in SPLITS:
            raise BadInputError(f"unknown split {split!r}; valid: {', '.join(SPLITS)}")
        chosen = [s for s in self.samples if s.split == split]
        if not chosen:
            raise BadInputError(f"split {split!r} of {self.root} has no samples")
        return chosen[:limit] if limit else chosen


class AugmentConfig(BaseModel):
    """Training augmentation; jitter factors are drawn uniformly in [1 - x, 1 + x]."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    flip_p: float = Field(0.5, ge=0, le=1)
    brightness: float = Field(0.2, ge=0, lt=1)
    contrast: float = Field(0.2, ge=0, lt=1)
    saturation: float = Field(0.2, ge=0, lt=1)


def open_dataset(root: str | os.PathLike) -> DatasetInfo:
    """Read and check ``root/dataset.json`` and ``root/samples.jsonl``."""
    root = Path(root)
    if not root.is_dir():
        raise BadInputError(f"dataset directory not found: {root}")
    meta_path, samples_path = root / DATASET_FILE, root / SAMPLES_FILE
    try:
        meta = json.loads(meta_path.read_text())
        lines = samples_path.read_text().splitlines()
    except FileNotFoundError as e:
        raise BadInputError(f"{root} is not a dataset: missing {Path(e.filename).name}") from None
    except (OSError, ValueError) as e:
        raise BadInputError(f"{root}: unreadable dataset files ({e})") from None
    samples = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            files = rec["files"]
            samples.append(
                SampleFiles(
                    id=str(rec["id"]),
                    index=int(rec["index"]),
                    split=str(rec["split"]),
                    identity_id=int(rec["identity_id"]),
                    rgb=root / files["rgb"],
                    depth=root / files["depth"],
                    mask=root / files["mask"],
                )
            )
        except (ValueError, KeyError, TypeError) as e:
            if n == len(lines):  # a torn last line of an interrupted generate run
                break
            raise BadInputError(f"{samples_path}:{n}: bad sample record ({e})") from None
    if not samples:
        raise BadInputError(f"{root} holds no samples")
    samples.sort(key=lambda s: s.index)
    classes = {int(k): v for k, v in meta.get("mask_classes", MASK_CLASSES).items()}
    face = tuple(int(c) for c in meta.get("face_region_classes", FACE_REGION_CLASSES))
    cfg = meta.get("config", {})
    width, height = cfg.get("width"), cfg.get("height")
    if not (width and height):
        with Image.open(samples[0].mask) as im:
            width, height = im.size
    return DatasetInfo(root, int(width), int(height), classes, face, tuple(samples), meta)


def flip_lut(mask_classes: dict[int, str]) -> np.ndarray:
    """uint8 lookup table mapping each class to its mirror (subject's left <-> right)."""
    lut = np.arange(256, dtype=np.uint8)
    ids = {name: i for i, name in mask_classes.items()}
    for a, b in _LR_PAIRS:
        if a in ids and b in ids:
            lut[ids[a]], lut[ids[b]] = ids[b], ids[a]
    return lut


def nearest_indices(n_in: int, n_out: int) -> np.ndarray:
    """Source index of each output pixel centre for nearest-neighbour resizing."""
    return np.minimum(((np.arange(n_out) + 0.5) * n_in / n_out).astype(np.int64), n_in - 1)


def resize_nearest(a: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of ``[H, W]`` to ``size = (W, H)``; never blends values."""
    w, h = size
    if a.shape == (h, w):
        return a
    return a[nearest_indices(a.shape[0], h)[:, None], nearest_indices(a.shape[1], w)[None, :]]


def load_rgb(path: str | os.PathLike, size: tuple[int, int] | None) -> np.ndarray:
    """uint8 ``[H, W, 3]`` sRGB, resized to ``size = (W, H)`` when given."""
    with Image.open(path) as im:
        if size is not None:
            im.draft("RGB", size)  # JPEG decodes at a reduced scale when it can
        im = im.convert("RGB")
        if size is not None and im.size != tuple(size):
            im = im.resize(tuple(size), Image.BILINEAR)
        return np.asarray(im)


def normalize_image(rgb_u8: np.ndarray) -> torch.Tensor:
    """uint8 ``[H, W, 3]`` → float32 ``[3, H, W]`` normalised with ImageNet statistics."""
    rgb_u8 = np.require(rgb_u8, np.uint8, ["C_CONTIGUOUS", "WRITEABLE"])
    x = torch.from_numpy(rgb_u8).permute(2, 0, 1).float() / 255.0
    mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(3, 1, 1)
    return (x - mean) / std


class FaceDepthDataset(Dataset):
    """Samples of one split, resized to ``size = (W, H)`` (``None``: native size).

    ``label_size`` (default: same as ``size``) sets the size of depth/valid/face, so that
    evaluation can keep the ground truth at native resolution while the image is resized.
    """

    def __init__(
        self,
        info: DatasetInfo,
        split: str,
        size: tuple[int, int] | None = None,
        *,
        label_size: tuple[int, int] | None | str = "same",
        augment: AugmentConfig | None = None,
        limit: int | None = None,
        seed: int = 0,
    ) -> None:
        self.info = info
        self.samples = info.split(split, limit)
        self.size = size
        self.label_size = size if label_size == "same" else label_size
        self.augment = augment
        self.seed = seed
        self.epoch = 0
        self._face_lut = np.zeros(256, dtype=bool)
        self._face_lut[list(info.face_classes)] = True
        self._flip_lut = flip_lut(info.mask_classes)

    def set_epoch(self, epoch: int) -> None:
        """Changes the augmentation draw (workers copy the dataset at each epoch's start)."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> dict:
        s = self.samples[i]
        rgb = load_rgb(s.rgb, self.size)
        try:
            depth = read_depth(s.depth)
        except ValueError as e:
            raise BadInputError(str(e)) from None
        with Image.open(s.mask) as im:
            mask = np.asarray(im)
        if mask.dtype != np.uint8:
            mask = mask.astype(np.uint8)  # class ids are < 256 by the schema
        if mask.ndim != 2 or mask.shape != depth.shape:
            raise BadInputError(f"sample {s.id}: mask {mask.shape} and depth {depth.shape} differ")
        if self.label_size is not None:
            depth, mask = (
                resize_nearest(depth, self.label_size),
                resize_nearest(mask, self.label_size),
            )
        if self.augment is not None:
            rgb, depth, mask = self._augment(i, rgb, depth, mask)
        depth = np.require(depth, np.float32, ["C_CONTIGUOUS", "WRITEABLE"])
        valid = depth > 0
        face = self._face_lut[mask] & valid
        return {
            "image": normalize_image(rgb),
            "depth": torch.from_numpy(depth)[None],
            "valid": torch.from_numpy(valid)[None],
            "face": torch.from_numpy(np.ascontiguousarray(face))[None],
            "mask": torch.from_numpy(np.require(mask, np.uint8, ["C_CONTIGUOUS", "WRITEABLE"]))[
                None
            ],
            "id": s.id,
        }

    def _augment(self, i: int, rgb, depth, mask):
        a = self.augment
        rng = np.random.default_rng([self.seed, self.epoch, self.samples[i].index])
        if rng.random() < a.flip_p:
            rgb, depth = rgb[:, ::-1], depth[:, ::-1]
            mask = self._flip_lut[mask[:, ::-1]]
        f_b, f_c, f_s = (1 + rng.uniform(-x, x) for x in (a.brightness, a.contrast, a.saturation))
        x = rgb.astype(np.float32) * f_b
        x = (x - x.mean()) * f_c + x.mean()
        grey = x @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        x = (x - grey[..., None]) * f_s + grey[..., None]
        rgb = np.clip(x + 0.5, 0, 255).astype(np.uint8)
        return rgb, depth, mask


class ShardSampler(Sampler[int]):
    """Every ``world``-th index from ``rank``, optionally shuffled per epoch; no padding, so
    distributed evaluation counts every sample exactly once."""

    def __init__(self, n: int, rank: int, world: int, shuffle: bool, seed: int) -> None:
        self.n, self.rank, self.world, self.shuffle, self.seed = n, rank, world, shuffle, seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _order(self) -> list[int]:
        if not self.shuffle:
            return list(range(self.n))
        g = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        return torch.randperm(self.n, generator=g).tolist()

    def __iter__(self):
        return iter(self._order()[self.rank :: self.world])

    def __len__(self) -> int:
        return len(range(self.rank, self.n, self.world))


def _worker_init(_: int) -> None:
    torch.set_num_threads(1)  # workers decode files; the main process owns the cores


def make_loader(
    dataset: FaceDepthDataset,
    batch_size: int,
    *,
    sampler: Sampler[int],
    workers: int,
    device: torch.device,
    drop_last: bool = False,
) -> DataLoader:
    """A DataLoader with worker processes and pinned memory when the device is CUDA."""
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        num_workers=workers,
        pin_memory=device.type == "cuda",
        drop_last=drop_last,
        worker_init_fn=_worker_init if workers else None,
        persistent_workers=False,
    )
