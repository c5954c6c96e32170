"""Sharding + merge, Ray executor, WebDataset and Hugging Face exports."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from synth.exr_io import read_depth
from synth.generate import generate
from synth.merge import merge
from synth.shards import shard_indices
from tests.synth.test_generate import _tree


def test_shards_merge_byte_identical(tmp_path, asset_path, small_config):
    full = tmp_path / "full"
    generate(small_config, full, 7, seed=4, asset_path=asset_path)
    shards = []
    for i in range(3):
        d = tmp_path / f"shard{i}"
        generate(small_config, d, 7, seed=4, asset_path=asset_path, indices=shard_indices(7, i, 3))
        shards.append(d)
    merged = tmp_path / "merged"
    assert merge(shards, merged) == 7
    assert _tree(merged) == _tree(full)


def test_merge_refuses_different_runs(tmp_path, asset_path, small_config):
    from synth.generate import GenerateError

    a, b = tmp_path / "a", tmp_path / "b"
    generate(small_config, a, 2, seed=1, asset_path=asset_path)
    generate(small_config, b, 2, seed=2, asset_path=asset_path)
    with pytest.raises(GenerateError, match="different runs"):
        merge([a, b], tmp_path / "m")


def test_ray_executor_matches_local(tmp_path, asset_path, small_config):
    pytest.importorskip("ray")
    local, viaray = tmp_path / "local", tmp_path / "ray"
    generate(small_config, local, 6, seed=0, asset_path=asset_path)
    generate(
        small_config,
        viaray,
        6,
        seed=0,
        asset_path=asset_path,
        workers=2,
        executor="ray",
        chunk_size=2,
    )
    assert _tree(viaray) == _tree(local)


def test_exports_load_losslessly(tmp_path, asset_path, small_config):
    import webdataset as wds

    from synth.export import export

    ds = tmp_path / "ds"
    generate(small_config, ds, 8, seed=0, asset_path=asset_path)
    recs = {
        json.loads(x)["id"]: json.loads(x) for x in (ds / "samples.jsonl").read_text().splitlines()
    }
    shards = export(ds, "webdataset", tmp_path / "wds")
    seen = 0
    for sample in wds.WebDataset([str(p) for p in shards], shardshuffle=False):
        depth = np.load(io.BytesIO(sample["depth.npy"]))
        ref = read_depth(ds / recs[sample["__key__"]]["files"]["depth"])
        assert np.array_equal(depth, ref)
        seen += 1
    assert seen == 8

    import datasets

    export(ds, "hf", tmp_path / "hf")
    dd = datasets.load_from_disk(str(tmp_path / "hf"))
    assert sum(len(dd[s]) for s in dd) == 8
    split = next(iter(dd))
    row = dd[split][0]
    ref = read_depth(ds / recs[row["id"]]["files"]["depth"])
    assert np.array_equal(np.asarray(row["depth"], dtype=np.float32), ref)
