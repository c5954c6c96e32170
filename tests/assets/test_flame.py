"""FLAME source: restricted unpickler (chumpy stand-ins, refusals) and the loader end to end
on a small fake model in the official layout (a few hundred vertices, 300 + 100 components)."""

from __future__ import annotations

import os
import pickle
import sys
import types

import numpy as np
import pytest
import scipy.sparse as sp
import trimesh
from scipy.spatial.transform import Rotation

from assets_pipeline.expressions import ARKIT_UNITS
from assets_pipeline.head_asset import AssetError, HeadAsset
from assets_pipeline.sources import build_asset
from synth.spec import MASK_CLASS_IDS as C

M = np.diag([1.0, -1.0, -1.0])  # FLAME (y up, z out of the face) <-> head frame


def fake_flame_arrays(seed: int = 0, landmarks: bool = True) -> dict:
    """A FLAME-shaped model: a head sphere with two eyeballs, FLAME frame (y up, z front)."""
    rng = np.random.default_rng(seed)
    head = trimesh.creation.icosphere(subdivisions=2, radius=0.09)
    eyes = [
        trimesh.creation.icosphere(subdivisions=1, radius=0.012).apply_translation(c)
        for c in ((0.031, 0.03, 0.06), (-0.031, 0.03, 0.06))  # subject's left eye first
    ]
    mesh = trimesh.util.concatenate([head, *eyes])
    v = np.asarray(mesh.vertices)
    n_head, n_eye = len(head.vertices), len(eyes[0].vertices)
    w = np.zeros((len(v), 5))
    hv = v[:n_head]
    root = np.clip((-0.04 - hv[:, 1]) / 0.03, 0.0, 1.0)  # lower neck -> root
    jaw = ((hv[:, 1] < -0.01) & (hv[:, 2] > 0.03)) * 0.7 * (1 - root)
    w[:n_head, 0], w[:n_head, 2] = root, jaw
    w[:n_head, 1] = 1.0 - root - jaw
    w[n_head : n_head + n_eye, 3] = 1.0
    w[n_head + n_eye :, 4] = 1.0
    jr = np.zeros((5, len(v)))
    for j, sel in enumerate(
        (hv[:, 1] < -0.075, np.abs(hv[:, 1] + 0.03) < 0.02, (hv[:, 1] < -0.02) & (hv[:, 2] > 0))
    ):
        jr[j, np.nonzero(sel)[0]] = 1.0 / sel.sum()
    jr[3, n_head : n_head + n_eye] = 1.0 / n_eye
    jr[4, n_head + n_eye :] = 1.0 / n_eye
    data = {
        "v_template": v,
        "f": np.asarray(mesh.faces, dtype=np.uint32),
        "shapedirs": rng.normal(0.0, 1e-3, (len(v), 3, 400)),
        "posedirs": rng.normal(0.0, 1e-6, (len(v), 3, 36)),
        "J_regressor": sp.csc_matrix(jr),
        "weights": w,
        "kintree_table": np.array([[2**32 - 1, 0, 1, 1, 1], [0, 1, 2, 3, 4]], dtype=np.uint32),
        "bs_style": "lbs",
        "bs_type": "lrotmin",
    }
    if landmarks:
        front = np.nonzero(v[mesh.faces].mean(axis=1)[:, 2] > 0.05)[0]
        data["lmk_faces_idx"] = rng.choice(front[front < len(head.faces)], 51)
        b = rng.uniform(0.1, 1.0, (51, 3))
        data["lmk_bary_coords"] = b / b.sum(axis=1, keepdims=True)
    return data


def _fake_chumpy_modules():
    """Modules named like chumpy's, so pickle writes ``chumpy.ch Ch`` etc. by name."""
    pkg, ch, reo = (types.ModuleType(n) for n in ("chumpy", "chumpy.ch", "chumpy.reordering"))
    Ch = type("Ch", (), {"__module__": "chumpy.ch"})
    Select = type("Select", (), {"__module__": "chumpy.reordering"})
    ch.Ch, reo.Select = Ch, Select
    return {"chumpy": pkg, "chumpy.ch": ch, "chumpy.reordering": reo}, Ch, Select


def write_chumpy_pickle(path, data, monkeypatch) -> None:
    """Write ``data`` like an official FLAME pickle: protocol 2, arrays as chumpy objects."""
    mods, Ch, Select = _fake_chumpy_modules()
    for name, mod in mods.items():
        monkeypatch.setitem(sys.modules, name, mod)

    def ch(x):
        obj = Ch()
        obj.__dict__.update(x=np.asarray(x), _dirty_vars=set(), _itr=None, dterms=["x"])
        return obj

    d = dict(data)
    d["v_template"] = ch(d["v_template"])
    sd = d["shapedirs"]
    sel = Select()  # shapedirs as a chumpy reordering node over a flat Ch
    sel.__dict__.update(a=ch(sd.ravel()), idxs=np.arange(sd.size), preferred_shape=sd.shape)
    d["shapedirs"] = sel
    with open(path, "wb") as fh:
        pickle.dump(d, fh, protocol=2)
    for name in mods:
        monkeypatch.delitem(sys.modules, name)


@pytest.fixture(scope="module")
def flame_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("flame")
    data = fake_flame_arrays()
    mp = pytest.MonkeyPatch()
    try:
        write_chumpy_pickle(d / "generic_model.pkl", data, mp)
    finally:
        mp.undo()
    plain = {k: (v.toarray() if sp.issparse(v) else v) for k, v in data.items()}
    np.savez(d / "flame_plain.npz", **plain)
    return d, data


@pytest.fixture(scope="module")
def flame_asset(flame_files, tmp_path_factory):
    d, _ = flame_files
    asset = build_asset("flame", d / "generic_model.pkl")
    path = asset.save(tmp_path_factory.mktemp("flame_out") / "flame_head.npz")
    return HeadAsset.load(path)


def _smplx_model(path):
    from assets_pipeline.flame import _smplx_flame, read_flame_arrays

    return _smplx_flame(read_flame_arrays(path), None)


def _smplx_head(model, origin, **pose):
    import torch

    kw = {k: torch.tensor(np.asarray(v, dtype=np.float32)[None]) for k, v in pose.items()}
    with torch.no_grad():
        out = model(**kw)
    return out.vertices[0].double().numpy() @ M.T - origin


def test_restricted_unpickler_reads_chumpy_and_sparse(flame_files):
    from assets_pipeline.restricted_pickle import load_restricted, to_plain

    d, data = flame_files
    assert "chumpy" not in sys.modules or not hasattr(sys.modules["chumpy"], "ch")
    raw = to_plain(load_restricted(d / "generic_model.pkl"))
    np.testing.assert_array_equal(raw["v_template"], data["v_template"])
    np.testing.assert_array_equal(raw["shapedirs"], data["shapedirs"])
    assert sp.issparse(raw["J_regressor"])
    np.testing.assert_array_equal(raw["J_regressor"].toarray(), data["J_regressor"].toarray())
    assert raw["bs_style"] == "lbs"


class _Evil:
    def __init__(self, fn, arg):
        self.fn, self.arg = fn, arg

    def __reduce__(self):
        return (self.fn, (self.arg,))


@pytest.mark.parametrize(
    "payload, name",
    [
        (_Evil(os.system, "echo pwned"), f"{os.system.__module__}.system"),
        (_Evil(eval, "1+1"), r"(__builtin__|builtins)\.eval"),
        ({"v_template": _Evil(os.getenv, "HOME")}, f"{os.getenv.__module__}.getenv"),
    ],
)
def test_unsafe_pickle_is_refused(tmp_path, payload, name):
    path = tmp_path / "generic_model.pkl"
    path.write_bytes(pickle.dumps(payload, protocol=2))
    with pytest.raises(AssetError, match=f"refusing to unpickle {name}"):
        build_asset("flame", path)


def test_bad_files_give_asset_error(tmp_path, flame_files):
    d, _ = flame_files
    good = (d / "generic_model.pkl").read_bytes()
    cases = {
        "truncated.pkl": good[: len(good) // 2],
        "garbage.pkl": np.random.default_rng(0).bytes(4096),
        "garbage.npz": b"PK\x03\x04 not a zip",
        "model.obj": b"v 0 0 0\n",
        "notflame.pkl": pickle.dumps({"a": np.zeros(3)}, protocol=2),
    }
    for name, blob in cases.items():
        (tmp_path / name).write_bytes(blob)
        with pytest.raises(AssetError) as err:
            build_asset("flame", tmp_path / name)
        assert "\n" not in str(err.value), name
    with pytest.raises(AssetError, match="not found"):
        build_asset("flame", tmp_path / "missing.pkl")


def test_flame_asset_layout(flame_asset, flame_files):
    _, data = flame_files
    a = flame_asset
    n_v = len(data["v_template"])
    assert a.n_vertices == n_v and len(a.faces) == len(data["f"])
    assert a.expression_names[:52] == ARKIT_UNITS and len(a.expression_names) == 152
    assert a.expression_shapes.shape == (152, n_v, 3)
    assert a.local_names[0] == "flame_shape_000" and a.local_shapes.shape == (300, 2, n_v, 3)
    assert a.phenotype_shapes.shape == (0, n_v, 3) and a.phenotype_mask.shape == (0, 26)
    mapped = set(a.meta["arkit_units_mapped"])
    assert {"jawOpen", "eyeLookUpLeft", "eyeLookInRight"} <= mapped
    for i, unit in enumerate(ARKIT_UNITS):  # mapped units move, the others are zero shapes
        assert (np.abs(a.expression_shapes[i]).max() > 1e-4) == (unit in mapped), unit
    # eyeballs are labelled by side; the lower neck is neck; landmarks from the embedding
    n_head_f = 320
    eye_f = np.arange(n_head_f, len(a.faces))
    left = a.template[a.faces[eye_f]].mean(axis=1)[:, 0] > 0
    assert (a.face_region[eye_f[left]] == C["left_eye"]).all()
    assert (a.face_region[eye_f[~left]] == C["right_eye"]).all()
    assert (a.face_region == C["neck"]).any()
    np.testing.assert_array_equal(a.landmark_faces[17:], data["lmk_faces_idx"])
    assert a.landmarks(a.template).shape == (68, 3)


def test_flame_frame_and_bases_match_smplx(flame_asset, flame_files):
    d, data = flame_files
    a = flame_asset
    eyes_h = (data["J_regressor"].toarray() @ data["v_template"])[[3, 4]] @ M.T
    origin = eyes_h.mean(axis=0)
    assert a.joint_template[4, 0] > 0 > a.joint_template[5, 0]  # eye.L is the subject's left
    np.testing.assert_allclose(a.joint_template[4:6].mean(axis=0), 0.0, atol=1e-6)
    np.testing.assert_allclose(a.template, data["v_template"] @ M.T - origin, atol=1e-6)
    model = _smplx_model(d / "generic_model.pkl")
    # identity + expression (the asset re-centres each identity at its eye midpoint)
    betas = np.zeros(300)
    betas[0], betas[7] = 1.5, -0.6
    expr = np.zeros(100)
    expr[0], expr[3] = 0.7, -1.2
    ref = _smplx_head(model, origin, betas=betas, expression=expr)
    v, _ = a.evaluate(
        local_changes={"flame_shape_000": 0.5, "flame_shape_007": -0.2},
        face_units={"flame_expr_000": 0.7, "flame_expr_003": -1.2},
    )
    diff = ref - v
    np.testing.assert_allclose(diff - diff.mean(axis=0), 0.0, atol=1e-6)
    # head rotation = FLAME neck pose (tiny pose correctives in the fake)
    R = Rotation.from_euler("yx", [25, -10], degrees=True).as_matrix()
    rot_flame = Rotation.from_matrix(M @ R @ M).as_rotvec()
    ref = _smplx_head(model, origin, neck_pose=rot_flame)
    v, _ = a.evaluate(head_rotation=R)
    np.testing.assert_allclose(v, ref, atol=2e-5)
    # jawOpen: smplx's jaw rotation, linearised; the chin goes down (+y in the head frame)
    ref = _smplx_head(model, origin, jaw_pose=[0.35, 0.0, 0.0])
    v, _ = a.evaluate(face_units={"jawOpen": 1.0})
    np.testing.assert_allclose(v, ref, atol=1e-5)
    jaw = data["weights"][:, 2] > 0.3
    assert (v - a.template)[jaw, 1].mean() > 1e-3


def test_flame_npz_masks_and_fallback_landmarks(flame_files, tmp_path):
    d, data = flame_files
    plain = dict(np.load(d / "flame_plain.npz"))
    del plain["lmk_faces_idx"], plain["lmk_bary_coords"]
    np.savez(tmp_path / "flame.npz", **plain)
    v = data["v_template"]
    head = np.arange(162)  # FLAME_masks.pkl beside the model: vertex ids per region
    x, y, z = v[head].T
    masks = {
        "nose": head[(z > 0.06) & (np.abs(x) < 0.03) & (np.abs(y + 0.01) < 0.03)],
        "lips": head[(z > 0.04) & (np.abs(x) < 0.04) & (y < -0.03) & (y > -0.08)],
        "left_ear": head[x > 0.07],
        "right_ear": head[x < -0.07],
        "scalp": head[y > 0.05],
    }
    (tmp_path / "FLAME_masks.pkl").write_bytes(pickle.dumps(masks, protocol=2))
    a = build_asset("flame", tmp_path / "flame.npz")
    assert a.n_vertices == len(v)
    for cls in ("nose", "upper_lip", "lower_lip", "left_ear", "right_ear"):
        assert (a.face_region == C[cls]).any(), cls
    ear_x = a.template[a.faces[a.face_region == C["left_ear"]]][..., 0]
    assert (ear_x > 0).all() and a.face_scalp.any()
    assert "fallback" in a.meta["landmarks"]
    lm = a.landmarks(a.template)
    assert np.isfinite(lm).all()
    assert lm[8, 1] > lm[30, 1] > lm[27, 1]  # chin below the nose tip below the nose root
    assert lm[36, 0] < 0 < lm[45, 0]  # image-left eye corner is the subject's right eye


def test_landmark_embedding_sidecars(tmp_path):
    from assets_pipeline.flame import _read_embedding

    model = tmp_path / "generic_model.pkl"
    assert _read_embedding(model, {}) is None
    static = {"lmk_face_idx": np.arange(51), "lmk_b_coords": np.full((51, 3), 1 / 3)}
    (tmp_path / "flame_static_embedding.pkl").write_bytes(pickle.dumps(static, protocol=2))
    faces, bary = _read_embedding(model, {})
    assert faces.shape == (51,) and bary.shape == (51, 3)
    deca = {"full_lmk_faces_idx": np.arange(68)[None], "full_lmk_bary_coords": np.ones((1, 68, 3))}
    np.save(tmp_path / "landmark_embedding.npy", deca, allow_pickle=True)  # DECA's layout
    (tmp_path / "flame_static_embedding.pkl").unlink()
    faces, bary = _read_embedding(model, {})
    assert faces.shape == (68,) and bary.shape == (68, 3)


def test_cycles_shading_data_builds_without_a_hair_shell(flame_asset):
    """Everything the Cycles scene derives from an asset at start-up (numpy only) works
    for an asset without a hair shell, stubble area and flow map included."""
    from synth.render.cycles_head import cover_weights, material_slots, region_weights
    from synth.render.cycles_scalp import flow_uv

    assert not flame_asset.has_hair_shell
    n, f = flame_asset.n_vertices, len(flame_asset.faces)
    assert np.all(flow_uv(flame_asset) == 0) and flow_uv(flame_asset).shape == (f, 3, 2)
    cover = cover_weights(flame_asset)
    assert cover.shape == (n, 4) and np.isfinite(cover).all()
    assert region_weights(flame_asset).shape == (n, 4)
    assert material_slots(flame_asset).shape == (f,)
