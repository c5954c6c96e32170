"""Backgrounds (synth.background, synth.room): plausible paint colours, the textured wall
plane, and the furnished room -- inside [Z_NEAR_M, back wall] and the far clip, upright,
deterministic, and visible in the fast renderer's labels."""

from __future__ import annotations

import colorsys
import time

import numpy as np
import pytest

from synth import background, room
from synth.config import load_config
from synth.sampling import sample_spec
from synth.spec import MASK_CLASS_IDS as C

NAMES = ("nose-scale-horiz-incr",)
ONLY = {k: 0.0 for k in ("background.plain", "background.textured", "background.cluttered")}


def _specs(kind: str, n: int, **over):
    cfg = load_config(None, {**ONLY, f"background.{kind}": 1.0, **over})
    return [sample_spec(cfg, 0, i, local_names=NAMES) for i in range(n)]


def _saturation(linear_rgb: np.ndarray) -> np.ndarray:
    """HSV saturation of the sRGB-encoded colours."""
    c = np.clip(linear_rgb, 0, 1)
    srgb = np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)
    mx, mn = srgb.max(-1), srgb.min(-1)
    return np.where(mx > 0, (mx - mn) / np.maximum(mx, 1e-12), 0.0)


def _rng(spec):
    return np.random.default_rng(spec.background.seed)


def test_hsv_matches_colorsys_and_one_colour_matches_many():
    for h, s, v in [(10, 0.5, 0.7), (200, 0.2, 0.3), (355, 0.9, 0.9), (0, 0, 0.5)]:
        srgb = colorsys.hsv_to_rgb(h / 360, s, v)
        np.testing.assert_allclose(
            background.hsv_to_linear(h, s, v), background.srgb_to_linear(srgb)
        )
    for family in background.OBJECT_COLOURS:  # the scalar path = the vectorised path
        one = [background.colour(np.random.default_rng(k), family) for k in range(5)]
        many = [background.colour(np.random.default_rng(k), family, 1)[0] for k in range(5)]
        np.testing.assert_allclose(one, many, rtol=1e-12)


def test_background_colours_are_mostly_neutral_paints():
    rgb = np.array([s.background.color_rgb for s in _specs("plain", 1500)])
    assert rgb.min() >= 0.0 and rgb.max() <= 1.0
    sat = _saturation(rgb)
    assert np.mean(sat < 0.3) > 0.8  # mostly low-saturation neutrals
    assert np.mean(sat < 0.12) > 0.4
    assert 0.07 < np.mean(sat > 0.35) < 0.22  # a minority of stronger paints
    assert np.mean(rgb.max(-1) > 0.3) > 0.5  # walls are mostly light, a few dark
    assert np.mean(rgb.max(-1) < 0.1) > 0.03  # dark studio greys and deep paints exist
    assert sorted(background.STRONG_PAINTS) == sorted(
        k for k, v in background.WALL_PAINTS.items() if v[3] >= 0.2 and v[0] <= 0.02
    )


def test_room_colours_are_plausible():
    sats, vals = [], []
    for spec in _specs("cluttered", 40):
        (_, _, wall_a), (_, _, obj_a) = room.room(spec, _rng(spec))
        sats.append(_saturation(obj_a))
        vals.append(obj_a.max(-1))
        assert (obj_a >= 0).all() and (obj_a <= 1).all()
        np.testing.assert_allclose(wall_a[0], spec.background.color_rgb)  # the back wall
    sat = np.concatenate(sats)
    assert np.mean(sat < 0.5) > 0.6  # wood, whites, greys, muted colours; few vivid ones
    assert np.mean(sat > 0.8) < 0.1


def test_textured_backdrop_is_a_wall_plane_behind_the_frustum():
    for spec in _specs("textured", 30):
        v, f, a = background.backdrop(spec, _rng(spec))
        z = spec.background.distance_m
        np.testing.assert_allclose(v[:, 2], z)
        K = np.array(spec.camera.K)
        uv = v[:, :2] / z * [K[0, 0], K[1, 1]] + [K[0, 2], K[1, 2]]
        assert uv[:, 0].min() < 0 and uv[:, 0].max() > spec.camera.width
        assert uv[:, 1].min() < 0 and uv[:, 1].max() > spec.camera.height
        assert f.min() >= 0 and f.max() < len(v) and len(a) == len(f)
        # the paint (shaded, or every other stripe, or above the dado) makes a good part
        ratio = a / np.maximum(spec.background.color_rgb, 1e-6)
        assert np.mean(np.all(np.abs(ratio - 1) < 0.3, axis=1)) >= 0.3


@pytest.mark.parametrize("far_m", [5.0, 3.0])
def test_room_lies_between_near_and_back_wall_within_far_clip(far_m):
    specs = _specs("cluttered", 150, **{"camera.far_m": far_m, "background.distance_m": [1.5, 6.0]})
    n_side = n_objects = 0
    for spec in specs:
        (sv, sf, _), (ov, of, _) = room.room(spec, _rng(spec))
        back = min(spec.background.distance_m, 0.99 * far_m)
        z = np.concatenate([sv, ov])[:, 2]
        assert z.min() >= room.Z_NEAR_M - 1e-9
        assert z.max() <= back + 1e-9 and z.max() < far_m
        n_side += np.ptp(sv[:, 2]) > 0.5 and np.abs(sv[:, 1] - sv[0, 1]).max() > 0.1
        n_objects += len(of) > 0
        # the floor lies 1.2-1.6 m below the head joint
        head_y = np.array(spec.camera.cam_from_world)[1, 3]
        floor_y = sv[:, 1].max()
        assert 1.2 - 1e-9 <= floor_y - head_y <= 1.6 + 1e-9
        assert sf.max() < len(sv) and (len(of) == 0 or of.max() < len(ov))
    assert n_objects > 0.8 * len(specs) and n_side > 0.1 * len(specs)


def _face_normals(v, f):
    n = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    return n / np.linalg.norm(n, axis=1, keepdims=True)


@pytest.mark.parametrize("tilt_deg", [0.0, 12.0])
def test_room_objects_stand_upright(tilt_deg):
    """Box and cylinder faces are vertical or horizontal in the world (yaw-only objects),
    also under a tilted camera: the world's y axis is cam_from_world's second column."""
    c, s = np.cos(np.radians(tilt_deg)), np.sin(np.radians(tilt_deg))
    for spec in _specs("cluttered", 40):
        T = np.array(spec.camera.cam_from_world)
        T[:3, :3] = np.array([[1, 0, 0], [0, c, -s], [0, s, c]]) @ T[:3, :3]
        cam = spec.camera.model_copy(update={"cam_from_world": T.tolist()})
        spec = spec.model_copy(update={"camera": cam})
        shell, batch, _ = room._furnish(spec, _rng(spec))
        v, f, _ = room.room(spec, _rng(spec))[1]
        n_sph = len(batch.arrays("sph")) * len(room._primitive("sph")[1])
        if len(f) == n_sph:
            continue
        ny = _face_normals(v, f[: len(f) - n_sph]) @ T[:3, 1]
        assert np.all((np.abs(ny) < 1e-6) | (np.abs(ny) > 1 - 1e-6))
        boxes = batch.arrays("box")  # rows: centre, size, horizontal unit axis u, rgb
        assert (boxes[:, 7] == 0).all() and np.allclose(np.hypot(boxes[:, 6], boxes[:, 8]), 1)
        wall_v = shell[0][0] @ T[:3, :3].T  # the back wall: vertical
        ny = _face_normals(wall_v, shell[0][1]) @ T[:3, 1]
        assert np.abs(ny).max() < 1e-6


def test_geometry_is_deterministic(asset):
    from synth.scene import build_geometry

    for spec in _specs("cluttered", 3) + _specs("textured", 2):
        a, b = build_geometry(asset, spec), build_geometry(asset, spec)
        for name in ("vertices", "faces", "face_class", "face_part", "face_albedo"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), name
        assert (a.face_class[a.n_head_faces :] == C["scene"]).all()


def test_room_is_cheap():
    specs = _specs("cluttered", 40)
    room.room(specs[0], _rng(specs[0]))  # primitives cached
    times = []
    for spec in specs:
        t = time.perf_counter()
        room.room(spec, _rng(spec))
        times.append(time.perf_counter() - t)
    assert np.median(times) < 0.01  # ~1-2 ms on one core; generous for shared CI machines


def test_cluttered_room_shows_in_fast_labels(asset):
    from synth.render import get_renderer

    specs = _specs("cluttered", 6, width=96, height=72)
    with get_renderer("fast")(asset) as r:
        for spec in specs:
            res = r.render(spec)
            scene = res.mask == C["scene"]
            assert scene.mean() > 0.3  # the room fills the frame around the subject
            assert (res.mask == C["background"]).sum() == 0  # walls cover the frustum
            back = min(spec.background.distance_m, 0.99 * spec.camera.far_m)
            d = res.depth[scene]
            assert d.min() >= room.Z_NEAR_M - 1e-4 and d.max() <= back + 1e-4
