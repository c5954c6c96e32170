"""Dataset reading, splits, resizing without blending, flips with label swaps, EXR I/O."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from models.data import (
    AugmentConfig,
    FaceDepthDataset,
    ShardSampler,
    flip_lut,
    make_loader,
    open_dataset,
)
from models.errors import BadInputError
from synth.exr_io import read_depth, write_depth
from synth.spec import FACE_REGION_CLASSES, MASK_CLASS_IDS

from .conftest import write_fixture_dataset

NO_JITTER = dict(brightness=0.0, contrast=0.0, saturation=0.0)


def test_open_dataset_and_splits(tiny_dataset):
    info = open_dataset(tiny_dataset)
    assert (info.width, info.height) == (64, 48)
    assert info.face_classes == FACE_REGION_CLASSES
    sizes = {s: len(info.split(s)) for s in ("train", "val", "test")}
    assert sizes == {"train": 8, "val": 2, "test": 2}
    ids = {s: {r.identity_id for r in info.split(s)} for s in sizes}
    assert not (ids["train"] & ids["val"]) and not (ids["train"] & ids["test"])
    assert len(info.split("train", limit=3)) == 3
    with pytest.raises(BadInputError, match="unknown split"):
        info.split("validation")


def test_item_shapes_dtypes_and_masks(tiny_dataset):
    info = open_dataset(tiny_dataset)
    item = FaceDepthDataset(info, "train")[1]
    assert item["image"].shape == (3, 48, 64) and item["image"].dtype == torch.float32
    for k in ("depth", "valid", "face"):
        assert item[k].shape == (1, 48, 64)
    assert item["depth"].dtype == torch.float32 and item["valid"].dtype == torch.bool
    assert torch.equal(item["valid"], item["depth"] > 0)
    assert not (item["face"] & ~item["valid"]).any() and item["face"].any()
    assert item["id"] == "000001" and item["mask"].dtype == torch.uint8
    mask = np.asarray(Image.open(tiny_dataset / "mask" / "000001.png"))
    assert np.array_equal(item["face"][0].numpy(), np.isin(mask, FACE_REGION_CLASSES))
    ref = read_depth(tiny_dataset / "depth" / "000001.exr")
    assert np.array_equal(item["depth"][0].numpy(), ref)


def test_resize_never_blends_depth(tiny_dataset):
    info = open_dataset(tiny_dataset)
    ref = read_depth(tiny_dataset / "depth" / "000000.exr")
    item = FaceDepthDataset(info, "train", (40, 30))[0]  # non-integer factor
    assert item["image"].shape == (3, 30, 40) and item["depth"].shape == (1, 30, 40)
    assert set(np.unique(item["depth"].numpy())) <= set(np.unique(ref))
    native = FaceDepthDataset(info, "train", (40, 30), label_size=None)[0]
    assert native["image"].shape == (3, 30, 40) and native["depth"].shape == (1, 48, 64)


def test_flip_mirrors_labels_and_swaps_sides(tiny_dataset):
    info = open_dataset(tiny_dataset)
    plain = FaceDepthDataset(info, "train")[2]
    flipped = FaceDepthDataset(info, "train", augment=AugmentConfig(flip_p=1.0, **NO_JITTER))[2]
    assert torch.equal(flipped["depth"], plain["depth"].flip(-1))
    assert torch.equal(flipped["face"], plain["face"].flip(-1))
    assert torch.allclose(flipped["image"], plain["image"].flip(-1))
    lut = flip_lut(info.mask_classes)
    for a, b in (("left_eye", "right_eye"), ("left_brow", "right_brow"), ("left_ear", "right_ear")):
        assert lut[MASK_CLASS_IDS[a]] == MASK_CLASS_IDS[b]
        assert lut[MASK_CLASS_IDS[b]] == MASK_CLASS_IDS[a]
    for name in ("skin", "nose", "upper_lip", "background"):
        assert lut[MASK_CLASS_IDS[name]] == MASK_CLASS_IDS[name]
    # The subject's left eye of the mirrored face is the mirror image of the right eye.
    mask = plain["mask"][0].numpy()
    got = flipped["mask"][0].numpy()
    for a, b in (("left_eye", "right_eye"), ("right_brow", "left_brow"), ("left_ear", "right_ear")):
        want = (mask == MASK_CLASS_IDS[b])[:, ::-1]
        assert want.any() and np.array_equal(got == MASK_CLASS_IDS[a], want)
    assert np.array_equal(got == MASK_CLASS_IDS["nose"], (mask == MASK_CLASS_IDS["nose"])[:, ::-1])


def test_colour_jitter_is_a_function_of_seed_epoch_index(tiny_dataset):
    info = open_dataset(tiny_dataset)
    aug = AugmentConfig(flip_p=0.0)
    ds = FaceDepthDataset(info, "train", augment=aug, seed=5)
    a, b = ds[0]["image"], ds[0]["image"]
    ds.set_epoch(1)
    c = ds[0]["image"]
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(ds[0]["depth"], FaceDepthDataset(info, "train")[0]["depth"])


def test_loader_with_worker_and_shards(tiny_dataset):
    info = open_dataset(tiny_dataset)
    ds = FaceDepthDataset(info, "train", (32, 32))
    s0, s1 = ShardSampler(8, 0, 2, True, 0), ShardSampler(8, 1, 2, True, 0)
    assert sorted(list(s0) + list(s1)) == list(range(8)) and len(s0) == 4
    s0.set_epoch(1)
    assert ShardSampler(7, 1, 2, False, 0).__len__() == 3
    batches = list(make_loader(ds, 3, sampler=s1, workers=1, device=torch.device("cpu")))
    assert [b["image"].shape[0] for b in batches] == [3, 1]
    assert batches[0]["depth"].shape == (3, 1, 32, 32) and len(batches[0]["id"]) == 3


def test_bad_datasets(tmp_path):
    with pytest.raises(BadInputError, match="not found"):
        open_dataset(tmp_path / "nope")
    with pytest.raises(BadInputError, match="missing dataset.json"):
        open_dataset(tmp_path)
    root = write_fixture_dataset(tmp_path / "ds", n=6)
    lines = (root / "samples.jsonl").read_text().splitlines()
    train_only = [ln for ln in lines if json.loads(ln)["split"] == "train"]
    (root / "samples.jsonl").write_text("\n".join(train_only) + "\n")
    with pytest.raises(BadInputError, match="'val' .* has no samples"):
        FaceDepthDataset(open_dataset(root), "val")
    (root / "samples.jsonl").write_text("{broken\n" + "\n".join(train_only) + "\n")
    with pytest.raises(BadInputError, match="bad sample record"):
        open_dataset(root)


def test_exr_round_trip_is_exact(tmp_path):
    depth = np.random.default_rng(0).uniform(0.3, 4.0, (7, 9)).astype(np.float32)
    depth[0, 0] = 0.0
    write_depth(tmp_path / "d.exr", depth)
    assert np.array_equal(read_depth(tmp_path / "d.exr"), depth)
    assert [p.name for p in tmp_path.iterdir()] == ["d.exr"]  # no temp file left
    (tmp_path / "bad.exr").write_bytes(b"junk")
    with pytest.raises(ValueError, match="cannot read"):
        read_depth(tmp_path / "bad.exr")
