"""The default MakeHuman HeadAsset: presets, landmarks, closed eyes, pose, file errors."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from assets_pipeline.expressions import ARKIT_UNITS, PRESETS
from assets_pipeline.head_asset import AssetError, HeadAsset
from synth.scene import head_rotation
from synth.spec import FACE_REGION_CLASSES
from synth.spec import MASK_CLASS_IDS as C


def test_asset_shapes(asset):
    v = asset.n_vertices
    assert asset.template.shape == (v, 3) and asset.template.dtype == np.float32
    assert asset.faces.max() < v
    assert asset.expression_shapes.shape == (52, v, 3)
    assert set(asset.expression_names) == set(ARKIT_UNITS)
    assert set(asset.presets) == {"happy", "neutral", "angry", "scared", "sad"}
    assert asset.local_shapes.shape[1:] == (2, v, 3) and len(asset.local_names) > 50
    assert len(asset.landmark_faces) == 68
    # every region a user trains on is present on the mesh
    for name in ("skin", "nose", "left_eye", "right_eye", "left_brow", "right_brow",
                 "left_ear", "right_ear", "mouth_interior", "upper_lip", "lower_lip",
                 "neck", "clothing"):  # fmt: skip
        assert (asset.face_region == C[name]).sum() > 10, name


def test_identity_eye_midpoint_is_origin(asset):
    for phen in ({"age": 0.6, "height": 1.0}, {"gender": 1.0, "weight": 0.9, "age": 1.0}):
        _, j = asset.evaluate(phenotypes=phen)
        eyes = j[[asset.joint_names.index("eye.L"), asset.joint_names.index("eye.R")]]
        np.testing.assert_allclose(eyes.mean(axis=0), 0.0, atol=1e-5)
        assert eyes[0, 0] > 0 > eyes[1, 0]  # subject's left eye is on the image right


def test_identities_differ(asset):
    a, _ = asset.evaluate(phenotypes={"gender": 0.0, "age": 0.7})
    b, _ = asset.evaluate(phenotypes={"gender": 1.0, "age": 0.7})
    c, _ = asset.evaluate(
        phenotypes={"gender": 0.0, "age": 0.7}, local_changes={"nose-scale-horiz-incr": 1.0}
    )
    assert np.abs(a - b).max() > 0.005
    nose = np.unique(asset.faces[asset.face_region == C["nose"]])
    moved = np.linalg.norm(c - a, axis=1)
    assert moved[nose].max() > 0.002 and moved[nose].mean() > 3 * moved.mean()


def _region_motion(asset, units):
    neutral, _ = asset.evaluate()
    posed, _ = asset.evaluate(face_units=units)
    d = posed - neutral
    return neutral, d


def test_presets_differ_and_move_expected_regions(asset):
    weights = {n: np.array([PRESETS[n].get(u, 0.0) for u in ARKIT_UNITS]) for n in PRESETS}
    names = [n for n in PRESETS if n != "neutral"]
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert np.abs(weights[a] - weights[b]).sum() > 0.5, (a, b)
    assert not PRESETS["neutral"]

    lm = asset.landmark_faces
    corners = np.unique(asset.faces[lm[[48, 54]]])
    brows = np.unique(asset.faces[np.isin(asset.face_region, [C["left_brow"], C["right_brow"]])])
    upper_lid_brow_gap = None
    del upper_lid_brow_gap
    _, happy = _region_motion(asset, asset.preset_weights("happy"))
    _, sad = _region_motion(asset, asset.preset_weights("sad"))
    _, angry = _region_motion(asset, asset.preset_weights("angry"))
    _, scared = _region_motion(asset, asset.preset_weights("scared"))
    # y points down: smiles lift the mouth corners, sadness drops them.
    assert happy[corners, 1].mean() < -0.001
    assert sad[corners, 1].mean() > 0.0005
    # anger lowers the brows, fear raises them.
    assert angry[brows, 1].mean() > 0.001
    assert scared[brows, 1].mean() < -0.001
    # intensity scales linearly
    half = asset.preset_weights("happy", 0.5)
    assert half["mouthSmileLeft"] == pytest.approx(0.5 * PRESETS["happy"]["mouthSmileLeft"])
    with pytest.raises(AssetError):
        asset.preset_weights("bored")


def test_landmarks_on_surface_and_in_face_region(asset):
    v, _ = asset.evaluate(phenotypes={"age": 0.8})
    bary = asset.landmark_bary
    np.testing.assert_allclose(bary.sum(axis=1), 1.0, atol=1e-5)
    assert (bary >= -1e-6).all()
    assert np.isin(asset.face_region[asset.landmark_faces], FACE_REGION_CLASSES).all()
    pts = asset.landmarks(v)
    mesh = trimesh.Trimesh(v, asset.faces, process=False)
    _, dist, _ = trimesh.proximity.closest_point(mesh, pts)
    assert dist.max() < 1e-6
    # iBUG order: jaw from image left to right, chin lowest; eyes left of right; nose tip
    # in front of the nasion.
    assert pts[0, 0] < pts[8, 0] < pts[16, 0]
    assert pts[8, 1] == pytest.approx(pts[:17, 1].max(), abs=0.01)
    assert pts[36:42, 0].mean() < 0 < pts[42:48, 0].mean()
    assert pts[30, 2] < pts[27, 2] - 0.01
    assert pts[51, 1] < pts[57, 1]
    # midline points lie on the symmetry plane of the mean identity
    mean, _ = asset.evaluate(phenotypes={"age": 0.75})
    mid = asset.landmarks(mean)[[8, 27, 28, 29, 30, 33, 51, 57, 62, 66]]
    assert np.abs(mid[:, 0]).max() < 1e-4


@pytest.mark.parametrize("expression", ["neutral", "scared"])
def test_eyes_are_closed_geometry(asset, expression):
    """A ray through each pupil hits an eyeball; rays into the lid openings never pass
    through the head."""
    v, _ = asset.evaluate(face_units=asset.preset_weights(expression))
    mesh = trimesh.Trimesh(v, asset.faces, process=False)
    for pupil in asset.meta["pupil_vertices"]:
        origin = v[pupil] - np.array([0, 0, 0.5])
        tri = mesh.ray.intersects_first([origin], [[0.0, 0.0, 1.0]])[0]
        assert tri >= 0 and asset.face_part[tri] in (1, 5, 6)
    # Dense rays over both lid openings and the mouth, straight and at +-30 degrees: the
    # first surface each ray meets faces it (outward winding), so no ray looks through a
    # socket into the inside of the head.
    n = np.cross(
        v[asset.faces[:, 1]] - v[asset.faces[:, 0]], v[asset.faces[:, 2]] - v[asset.faces[:, 0]]
    )
    for region in (C["left_eye"], C["right_eye"], C["mouth_interior"]):
        pts = v[np.unique(asset.faces[asset.face_region == region])]
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        xs, ys = np.meshgrid(np.linspace(lo[0], hi[0], 15), np.linspace(lo[1], hi[1], 9))
        for direction in ([0, 0, 1.0], [0.5, 0, 0.866], [-0.5, 0, 0.866]):
            d = np.array(direction)
            target = np.stack([xs.ravel(), ys.ravel(), np.full(xs.size, lo[2])], axis=1)
            origins = target - 0.5 * d
            tri = mesh.ray.intersects_first(origins, np.tile(d, (len(origins), 1)))
            tri = tri[tri >= 0]
            assert len(tri) > 20
            assert (n[tri] @ d < 0).all()


def test_head_rotation_turns_head_not_shoulders(asset):
    rest, _ = asset.evaluate()
    R = head_rotation(40.0, 10.0, 5.0)
    posed, joints = asset.evaluate(head_rotation=R)
    clothing = np.unique(asset.faces[asset.face_region == C["clothing"]])
    torso_only = clothing[asset.chain_weights[clothing].sum(axis=1) < 1e-6]
    assert len(torso_only) > 100
    np.testing.assert_allclose(posed[torso_only], rest[torso_only], atol=1e-6)
    # the face moves rigidly with R: vectors between face points rotate by R
    head = np.nonzero(asset.chain_weights[:, 3] > 0.999)[0][:200]
    a, b = rest[head] - rest[head[0]], posed[head] - posed[head[0]]
    np.testing.assert_allclose(b, a @ R.T, atol=1e-5)


def test_load_errors(tmp_path):
    with pytest.raises(AssetError, match="not found"):
        HeadAsset.load(tmp_path / "missing.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"this is not a zip")
    with pytest.raises(AssetError, match="not a readable head asset"):
        HeadAsset.load(bad)


def test_save_load_roundtrip(asset, tmp_path):
    p = asset.save(tmp_path / "a.npz")
    b = HeadAsset.load(p)
    np.testing.assert_array_equal(asset.template, b.template)
    assert b.presets == asset.presets and b.local_names == asset.local_names
    assert not list(tmp_path.glob(".*.tmp"))


def test_iris_is_centred_on_the_level_gaze(asset):
    """The iris is drawn round the point straight ahead of each eyeball's centre (the eye
    joint), not round MakeHuman's front vertex, which sits ~6 degrees higher."""
    from assets_pipeline.makehuman import gaze_point
    from synth.render.cycles_head import iris_coords

    v = asset.template.astype(np.float64)
    xy = iris_coords(asset)
    for cls, joint in ((C["left_eye"], "eye.L"), (C["right_eye"], "eye.R")):
        ball = np.unique(
            asset.faces[np.isin(asset.face_part, [1, 5, 6]) & (asset.face_region == cls)]
        )
        gaze = gaze_point(v, ball)
        eye = asset.joint_template[asset.joint_names.index(joint)]
        np.testing.assert_allclose(gaze[:2], eye[:2], atol=5e-4)  # straight ahead of the centre
        iris = np.unique(asset.faces[np.isin(asset.face_part, [5, 6]) & (asset.face_region == cls)])
        # iris-plane coordinates are linear in position and vanish at the gaze point
        A = np.c_[v[iris] - gaze, np.ones(len(iris))]
        coef, *_ = np.linalg.lstsq(A, xy[iris, :2].astype(np.float64), rcond=None)
        np.testing.assert_allclose(coef[3], 0.0, atol=1e-3)
        r = np.linalg.norm(xy[iris, :2], axis=1)
        assert r.min() < 0.6 and r.max() > 1.2  # the iris (r = 1) lies inside the iris faces


def test_eye_coordinates_cover_the_whole_eyeball(asset):
    """iris_coords gives every eyeball vertex (sclera too) its place in the iris frame, so
    one shader draws a round iris across the asset's octagonal iris faces: affine in
    position per eye, z towards the front (the back of the ball is at z < -1, where the
    shader draws no iris), zeros off the eyes."""
    from synth.render.cycles_head import PART_IRIS, PART_PUPIL, PART_SCLERA, iris_coords

    v = asset.template.astype(np.float64)
    xyz = iris_coords(asset).astype(np.float64)
    ball = np.isin(asset.face_part, [PART_SCLERA, PART_IRIS, PART_PUPIL])
    ball_v = np.unique(asset.faces[ball])
    off = np.setdiff1d(np.arange(len(v)), ball_v)
    assert not xyz[off].any()
    for side in (-1.0, 1.0):
        ids = ball_v[np.sign(v[ball_v, 0]) == side]
        A = np.c_[v[ids], np.ones(len(ids))]
        coef, *_ = np.linalg.lstsq(A, xyz[ids], rcond=None)
        np.testing.assert_allclose(A @ coef, xyz[ids], atol=1e-4)
        assert coef[2, 2] < 0  # z grows towards the front (the head frame's -z)
        assert np.ptp(xyz[ids, 2]) > 3.0  # a ~24 mm ball is ~4 iris radii deep
        iris = np.unique(asset.faces[np.isin(asset.face_part, [PART_IRIS, PART_PUPIL])])
        iris = iris[np.sign(v[iris, 0]) == side]
        assert np.abs(xyz[iris, 2]).max() < 0.5  # the iris is the plane z ~ 0
        back = ids[xyz[ids, 2] < -1.0]
        assert len(back) and np.hypot(*xyz[back, :2].T).min() < 1.0  # why the guard exists
