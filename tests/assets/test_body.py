"""The upper body of the MakeHuman asset: arms posed down by linear LBS, a cut that stays
out of frame, and cheap evaluation through the top-down vertex order."""

from __future__ import annotations

import numpy as np
import pytest

from assets_pipeline import body_pose
from assets_pipeline.head_asset import lincomb
from synth.spec import MASK_CLASS_IDS as C

# The default sampling ranges' corner that is shortest from the eyes to the waist.
SHORTEST = {"gender": 1.0, "age": 0.55, "height": 0.3, "weight": 0.2, "muscle": 0.8}


def _toy_skeleton():
    """root -> shoulder01 -> upperarm01 -> lowerarm01 -> wrist per side, an A-pose arm."""
    labels, parents, joints = ["root"], [-1], [[0.0, 0.0, 0.0]]
    for side, s in ((".L", 1.0), (".R", -1.0)):
        base = len(labels)
        labels += [n + side for n in ("shoulder01", "upperarm01", "lowerarm01", "wrist")]
        parents += [0, base, base + 1, base + 2]
        joints += [
            [0.1 * s, 0, 0.5],
            [0.17 * s, 0, 0.5],
            [0.33 * s, 0, 0.33],
            [0.45 * s, -0.1, 0.2],
        ]
    return labels, parents, np.array(joints)


def test_arm_pose_hangs_arms_rigidly():
    labels, parents, joints = _toy_skeleton()
    ua, la, wr = (labels.index(n) for n in ("upperarm01.L", "lowerarm01.L", "wrist.L"))
    # points rigidly on the left arm: shoulder joint, elbow joint, wrist joint, forearm middle
    x = np.stack([joints[ua], joints[la], joints[wr], (joints[la] + joints[wr]) / 2])
    idx = np.array([[ua], [la], [wr], [la]])
    pose = body_pose.arm_pose(labels, parents, joints, idx, np.ones((4, 1)))
    y = pose.apply(x, joints)
    for a, b in ((0, 1), (1, 2), (1, 3)):  # rigid: bone lengths are kept
        assert np.linalg.norm(y[b] - y[a]) == pytest.approx(np.linalg.norm(x[b] - x[a]))
    down = (y[1] - y[0]) / np.linalg.norm(y[1] - y[0])
    assert np.degrees(np.arccos(-down[2])) == pytest.approx(body_pose.ARM_BELOW_VERTICAL_DEG)
    assert down[0] > 0 and abs(down[1]) < 1e-9  # outwards, in the frontal plane
    fore = (y[2] - y[1]) / np.linalg.norm(y[2] - y[1])
    assert np.degrees(np.arccos(fore @ down)) == pytest.approx(body_pose.ELBOW_BEND_DEG)
    assert fore[1] < 0  # bent forwards
    np.testing.assert_allclose(y[3], (y[1] + y[2]) / 2, atol=1e-12)


def test_arm_pose_is_linear_in_points_and_joints():
    labels, parents, joints = _toy_skeleton()
    rng = np.random.default_rng(0)
    n = 20
    idx = rng.integers(0, len(labels), size=(n, 2))
    w = rng.uniform(size=(n, 2))
    w /= w.sum(axis=1, keepdims=True)
    pose = body_pose.arm_pose(labels, parents, joints, idx, w)
    xa, xb = rng.normal(size=(2, n, 3))
    ja, jb = rng.normal(size=(2, len(labels), 3))
    both = pose.apply(xa + 2.0 * xb, ja + 2.0 * jb)
    np.testing.assert_allclose(both, pose.apply(xa, ja) + 2.0 * pose.apply(xb, jb), atol=1e-12)


def test_asset_arms_hang_at_the_sides(asset):
    v, _ = asset.evaluate(phenotypes={"age": 0.75})
    clothing = np.unique(asset.faces[asset.face_region == C["clothing"]])
    assert np.abs(v[clothing, 0]).max() < 0.32  # no A-pose: hands would reach ~0.5 m out
    low = v[clothing][v[clothing, 1] > 0.45]  # well below the shoulders
    assert (low[:, 0] > 0.15).any() and (low[:, 0] < -0.15).any()  # both arms reach down


def test_body_reaches_below_the_widest_framing(asset, small_config):
    """At the widest framing (1 m, 60 mm sensor) the bottom image row still crosses the
    torso and both arms: the asset's lower cut is never in frame."""
    from synth.config import load_config
    from synth.render import get_renderer
    from synth.sampling import sample_spec

    overrides = {"width": 96, "height": 72, "camera.distance_mm": [1000, 1000]}
    overrides |= {"camera.sensor_mm": [60, 60], "head_pose.pitch_deg": [0, 0]}
    overrides |= {f"identity.{k}": [v, v] for k, v in SHORTEST.items()}
    cfg = load_config(None, overrides)
    v, _ = asset.evaluate(phenotypes=SHORTEST)
    assert v[:, 1].max() > 0.52  # the eyes-to-cut distance of the shortest identity
    with get_renderer("fast")(asset) as r:
        res = r.render(sample_spec(cfg, 0, 0, local_names=asset.local_names))
    bottom = res.mask[-1] == C["clothing"]
    mid = len(bottom) // 2
    assert bottom[mid - 6 : mid + 6].all()  # the torso (0.2 m wide at 1 m is ~16 px)
    assert bottom[: mid - 12].any() and bottom[mid + 12 :].any()  # the arms


def test_face_bases_cover_a_prefix_only(asset):
    """Vertices are ordered top down: face units touch only the head, so evaluating them
    skips the body; the result is bit-identical to the full sum."""
    ext = asset._extents
    assert ext["expression"].max() < 0.8 * asset.n_vertices
    w = np.linspace(0.1, 1.0, 8, dtype=np.float32)
    rows = np.arange(0, 52, 7)[:8]
    fast = lincomb(w, asset.expression_shapes, rows, ext["expression"])
    full = lincomb(w, asset.expression_shapes, rows)
    assert np.array_equal(fast, full)


def test_split_faces_keeps_the_surface():
    from assets_pipeline.neckline import split_faces

    rng = np.random.default_rng(1)
    verts = rng.normal(size=(30, 3))
    faces = np.array([rng.choice(30, 3, replace=False) for _ in range(40)])
    values = verts[:, 1] - 0.1  # the plane y = 0.1
    new_f, parent, bary, src, t = split_faces(values, faces, np.ones(40, bool), snap=0.05)
    assert len(src) > 0 and len(new_f) > 40
    new_v = np.concatenate(
        [verts, (1 - t[:, None]) * verts[src[:, 0]] + t[:, None] * verts[src[:, 1]]]
    )
    np.testing.assert_allclose(new_v[30:, 1], 0.1, atol=1e-12)  # new vertices on the plane

    def normal(tri):
        return np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])

    # children tile their parent: same orientation, areas sum to the parent's area,
    # and each corner's barycentrics in the parent reproduce its position
    n_child = normal(new_v[new_f])
    n_par = normal(verts[faces])
    area = np.zeros(40)
    np.add.at(area, parent, np.linalg.norm(n_child, axis=1))
    np.testing.assert_allclose(area, np.linalg.norm(n_par, axis=1), rtol=1e-9)
    assert (np.einsum("fd,fd->f", n_child, n_par[parent]) > 0).all()
    np.testing.assert_allclose(
        np.einsum("fkc,fcd->fkd", bary, verts[faces[parent]]), new_v[new_f], atol=1e-12
    )
    # a face crossing the plane has no child that crosses it
    values_new = np.concatenate([np.where(np.abs(values) <= 0.05, 0.0, values), np.zeros(len(t))])
    inside = (values_new[new_f] > 1e-9).any(axis=1) & (values_new[new_f] < -1e-9).any(axis=1)
    assert not inside.any()


def test_neckline_is_a_plane_cut(asset):
    from assets_pipeline.makehuman import MEAN_IDENTITY
    from assets_pipeline.neckline import SNAP_M, neckline_height

    v, j = asset.evaluate(phenotypes=MEAN_IDENTITY)
    neck = asset.faces[asset.face_region == C["neck"]]
    cloth = asset.faces[asset.face_region == C["clothing"]]
    border = np.intersect1d(np.unique(neck), np.unique(cloth))
    assert len(border) > 30
    np.testing.assert_allclose(neckline_height(v[border], j[0]), 0.0, atol=SNAP_M + 1e-5)
    assert (asset.face_part[asset.face_region == C["clothing"]] == 4).all()


def test_neckline_makes_no_slivers(asset):
    """Triangles along the collar are as well shaped as the rest of the skin (slivers
    would shade as speckles in Cycles)."""
    v, _ = asset.evaluate()
    tri = v[asset.faces]
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    longest = np.max([np.linalg.norm(tri[:, i] - tri[:, i - 1], axis=1) for i in range(3)], axis=0)
    quality = area / longest**2  # 0.43 for an equilateral triangle
    neck = np.unique(asset.faces[asset.face_region == C["neck"]])
    cloth = np.unique(asset.faces[asset.face_region == C["clothing"]])
    at_collar = np.isin(asset.faces, np.intersect1d(neck, cloth)).any(axis=1)
    assert quality[at_collar].min() > 0.04


def test_outdated_default_asset_is_rebuilt(tmp_path):
    """A cached asset written by an older facedepth (the bust, format 1) is rebuilt. In a
    fresh process, as a CLI run would: anny (torch, triton) must not be imported after
    this test process has loaded OSMesa's LLVM."""
    import json
    import os
    import subprocess
    import sys

    from assets_pipeline.head_asset import ASSET_FORMAT_VERSION, HeadAsset

    path = tmp_path / "makehuman_head.npz"
    np.savez(path, meta=np.array(json.dumps({"format_version": 1})))
    assert HeadAsset.format_version(path) == 1
    assert HeadAsset.format_version(tmp_path / "missing.npz") is None
    code = "from assets_pipeline.makehuman import ensure_default_asset as e; print(e())"
    env = {**os.environ, "FACEDEPTH_CACHE": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().endswith(str(path))
    assert HeadAsset.format_version(path) == ASSET_FORMAT_VERSION
    assert HeadAsset.load(path).n_vertices > 7000
