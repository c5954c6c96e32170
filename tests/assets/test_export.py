"""Export of the default asset to FBX / GLB with all shape keys, re-imported with bpy."""

from __future__ import annotations

import numpy as np
import pytest

from assets_pipeline.export import export_asset, shape_key_names
from assets_pipeline.head_asset import AssetError

pytestmark = pytest.mark.blender

PRESET_KEYS = ["happy", "neutral", "angry", "scared", "sad"]


def _reimport(path):
    """(vertices in the head frame, shape-key names, absolute key positions) via bpy."""
    from assets_pipeline.blender_io import HEAD_FROM_BLENDER, empty_blender, import_file, read_mesh

    with empty_blender() as bpy:
        import_file(bpy, path)
        (obj,) = [o for o in bpy.data.objects if o.type == "MESH"]
        names = [kb.name for kb in obj.data.shape_keys.key_blocks]
        mesh = read_mesh(obj)
    base = mesh.vertices @ HEAD_FROM_BLENDER.T
    keys = {k: base + d @ HEAD_FROM_BLENDER.T for k, d in mesh.shape_keys.items()}
    return base, names, keys


@pytest.fixture(scope="module")
def exported(asset_path, tmp_path_factory):
    d = tmp_path_factory.mktemp("export")
    export_asset(asset_path, d / "head.fbx", expression="happy")
    export_asset(asset_path, d / "head.glb", expression="neutral", fmt="glb")
    return d


def _expected(asset, units):
    dv, _ = asset.identity_offsets(asset.meta.get("mean_identity", {}), {})
    ev, _ = asset.expression_offsets(units)
    return asset.template + dv + ev


def test_fbx_keeps_vertices_and_all_shape_keys(asset, exported):
    base, names, keys = _reimport(exported / "head.fbx")
    assert len(base) == asset.n_vertices
    assert names == ["Basis", *asset.expression_names, *PRESET_KEYS]
    assert names[1:] == shape_key_names(asset) and len(names) == 1 + 52 + 5
    # base = mean identity with the happy preset; preset keys are absolute shapes
    np.testing.assert_allclose(base, _expected(asset, asset.preset_weights("happy")), atol=1e-5)
    np.testing.assert_allclose(keys["neutral"], _expected(asset, {}), atol=1e-5)
    u = asset.expression_names.index("jawOpen")
    np.testing.assert_allclose(keys["jawOpen"] - base, asset.expression_shapes[u], atol=1e-5)
    assert not [p for p in exported.iterdir() if p.name.startswith(".")]  # no temp files left


def test_glb_morph_targets(asset, exported):
    base, names, _ = _reimport(exported / "head.glb")
    assert names == ["Basis", *asset.expression_names, *PRESET_KEYS]
    # glTF splits vertices where UVs/materials differ: compare the sets of positions
    from scipy.spatial import cKDTree

    want = _expected(asset, {})
    assert len(base) >= asset.n_vertices
    assert cKDTree(want).query(base)[0].max() < 1e-5
    assert cKDTree(base).query(want)[0].max() < 1e-5


def test_fbx_export_reimports_as_a_source(asset, exported):
    from assets_pipeline.sources import build_asset

    b = build_asset("fbx", exported / "head.fbx")
    assert b.meta["arkit_units_missing"] == [] and sorted(b.meta["shape_keys_skipped"]) == sorted(
        PRESET_KEYS
    )
    want = _expected(asset, asset.preset_weights("happy"))
    shift = (want - b.template).mean(axis=0)
    np.testing.assert_allclose(b.template + shift, want, atol=1e-5)  # same frame and metres
    regions = {int(c) for c in np.unique(b.face_region)}
    assert regions == {int(c) for c in np.unique(asset.face_region)}  # material names


def test_bad_requests_give_asset_error(asset_path, tmp_path):
    (tmp_path / "file.txt").write_text("x")
    for kwargs, pattern in (
        ({"out": tmp_path / "a.fbx", "expression": "grumpy"}, "unknown expression"),
        ({"out": tmp_path / "a.obj"}, "unknown export format"),
        ({"out": tmp_path / "a.fbx", "fmt": "usd"}, "unknown export format"),
        ({"out": tmp_path / "file.txt" / "a.fbx"}, "cannot write"),
    ):
        with pytest.raises(AssetError, match=pattern):
            export_asset(asset_path, **kwargs)
    with pytest.raises(AssetError, match="not found"):
        export_asset(tmp_path / "missing.npz", tmp_path / "a.fbx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_cli_export_errors_exit_2(asset_path, tmp_path):
    from typer.testing import CliRunner

    from synth.cli import app

    res = CliRunner().invoke(
        app,
        ["assets", "export", "--asset", str(asset_path), "--expression", "grumpy",
         "--out", str(tmp_path / "a.fbx")],
    )  # fmt: skip
    assert res.exit_code == 2 and "unknown expression" in res.output
