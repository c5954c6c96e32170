"""Camera-frame geometry (synth.scene.build_geometry): the torso turn (body yaw) under a
head pose that stays relative to the camera."""

from __future__ import annotations

import numpy as np
import pytest

from assets_pipeline.head_asset import transform_points
from synth.config import load_config
from synth.render.labels import project
from synth.sampling import sample_spec
from synth.scene import build_geometry, head_rotation
from synth.spec import HeadPoseSpec


@pytest.fixture(scope="module")
def cache():
    return {}


def _spec(asset, index=0, **update):
    s = sample_spec(load_config(), 0, index, local_names=asset.local_names)
    if "head_pose" in update:
        update["head_pose"] = HeadPoseSpec(
            **dict(zip(("yaw_deg", "pitch_deg", "roll_deg"), update["head_pose"], strict=True))
        )
    return s.model_copy(update=update)


def _kabsch(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, float]:
    """Rotation R minimising |R (a - mean a) - (b - mean b)|, and the largest residual (m)."""
    a = a.astype(np.float64) - a.mean(axis=0)
    b = b.astype(np.float64) - b.mean(axis=0)
    u, _, vt = np.linalg.svd(b.T @ a)
    d = np.sign(np.linalg.det(u @ vt))
    R = u @ np.diag([1.0, 1.0, d]) @ vt
    return R, float(np.abs(a @ R.T - b).max())


def _head_only(asset):
    return np.nonzero(asset.chain_weights[:, 3] == 1.0)[0]


def test_body_yaw_zero_reproduces_the_square_torso(asset, cache):
    spec = _spec(asset, body_yaw_deg=0.0)
    geo = build_geometry(asset, spec, identity_cache=cache)
    # The geometry before the torso turn existed: posed neck chain, then the camera.
    ident = spec.identity
    dv, dj = asset.identity_offsets(ident.phenotypes, ident.local_changes, ident.hair_shape)
    ev, ej = asset.expression_offsets(spec.expression.face_units)
    hp = spec.head_pose
    R = head_rotation(hp.yaw_deg, hp.pitch_deg, hp.roll_deg)
    v, _ = asset.posed(asset.template + dv + ev, asset.joint_template + dj + ej, R)
    T = np.array(spec.camera.cam_from_world)
    expected = transform_points(v, T[:3, :3], T[:3, 3]).astype(np.float32)
    np.testing.assert_array_equal(geo.vertices[: geo.n_head_vertices], expected)


def test_head_rotation_is_exact_under_a_turned_torso(asset, cache):
    spec = _spec(asset, head_pose=(-35.0, 12.0, -8.0), body_yaw_deg=25.0)
    rest = _spec(asset, head_pose=(0.0, 0.0, 0.0), body_yaw_deg=0.0)
    geo = build_geometry(asset, spec, identity_cache=cache)
    geo0 = build_geometry(asset, rest, identity_cache=cache)
    head = _head_only(asset)
    R, residual = _kabsch(geo0.vertices[head], geo.vertices[head])
    assert residual < 1e-5
    assert np.abs(R - geo.head_rotation).max() < 1e-5
    T = np.array(spec.camera.cam_from_world)
    np.testing.assert_allclose(geo.head_rotation, T[:3, :3] @ head_rotation(-35.0, 12.0, -8.0))
    # Landmarks on head-only triangles ride rigidly with the head (the jaw line's blend
    # into the neck differs: the neck carries the head-torso difference).
    rigid = asset.chain_weights[asset.faces[asset.landmark_faces]][..., 3].min(axis=1) == 1.0
    assert rigid.sum() > 40
    lm0 = geo0.landmarks_3d[rigid].astype(np.float64)
    lm = geo.landmarks_3d[rigid].astype(np.float64)
    c0, c = geo0.vertices[head].mean(axis=0), geo.vertices[head].mean(axis=0)
    assert np.abs((lm0 - c0) @ R.T - (lm - c)).max() < 1e-5


def test_body_yaw_follows_the_head_yaw_convention(asset, cache):
    # Head yaw = body yaw: the neck does not bend, the whole figure turns rigidly.
    rest = build_geometry(
        asset, _spec(asset, head_pose=(0.0, 0.0, 0.0), body_yaw_deg=0.0), identity_cache=cache
    )
    geo = build_geometry(
        asset, _spec(asset, head_pose=(20.0, 0.0, 0.0), body_yaw_deg=20.0), identity_cache=cache
    )
    nv = geo.n_head_vertices
    R, residual = _kabsch(rest.vertices[:nv], geo.vertices[:nv])
    assert residual < 1e-5
    np.testing.assert_allclose(R, head_rotation(20.0, 0.0, 0.0), atol=1e-5)


def test_shoulders_turn(asset, cache):
    cloth = np.unique(asset.faces[asset.face_part == 4])
    torso = cloth[asset.chain_weights[cloth].sum(axis=1) < 1e-6]
    x = asset.template[torso, 0]
    left = torso[x > np.quantile(x, 0.95)]  # the subject's left shoulder: image right
    right = torso[x < np.quantile(x, 0.05)]

    def depth_gap(body_yaw):
        spec = _spec(asset, head_pose=(0.0, 0.0, 0.0), body_yaw_deg=body_yaw)
        v = build_geometry(asset, spec, identity_cache=cache).vertices
        return float(v[right, 2].mean() - v[left, 2].mean())

    assert abs(depth_gap(0.0)) < 0.02
    # yaw > 0 turns the chest towards image left: the image-right shoulder comes closer.
    assert depth_gap(30.0) > 0.05
    assert depth_gap(-30.0) < -0.05


def test_turned_geometry_is_deterministic_and_in_frame(asset, cache):
    for index in range(4):
        spec = _spec(asset, index)
        a = build_geometry(asset, spec, identity_cache=cache)
        b = build_geometry(asset, spec)
        np.testing.assert_array_equal(a.vertices, b.vertices)
        np.testing.assert_array_equal(a.landmarks_3d, b.landmarks_3d)
        uv = project(a.landmarks_3d, np.array(spec.camera.K))
        assert (uv[:, 0] > 0).all() and (uv[:, 0] < spec.camera.width).all()
        assert (uv[:, 1] > 0).all() and (uv[:, 1] < spec.camera.height).all()
    assert any(abs(_spec(asset, i).body_yaw_deg) > 10 for i in range(4))
