"""The Cycles renderer's baked background light (numpy only, hand-computed values)."""

from __future__ import annotations

import numpy as np
import trimesh

from synth.config import load_config
from synth.render.cycles_camera import (
    AMBIENT_GAIN,
    BOUNCE_BEHIND_M,
    BOUNCE_SHARE,
    LIGHT_GAIN,
    environment_radiance,
    lit_radiance,
)
from synth.render.cycles_head import corner_frames
from synth.sampling import sample_spec
from synth.spec import LightSpec


def _spec(lights, ambient=0.2, bg=(0.5, 0.5, 0.5)):
    s = sample_spec(load_config(None, {}), 0, 0, local_names=[])
    background = s.background.model_copy(update={"color_rgb": list(bg)})
    return s.model_copy(update={"lights": lights, "ambient": ambient, "background": background})


def test_lit_radiance_hand_computed():
    light = LightSpec(kind="key", position_m=[0.0, 0.0, 1.0], color_rgb=[1.0, 0.5, 0.25],
                      kelvin=5600.0, power_w=40.0)  # fmt: skip
    spec = _spec([light], ambient=0.2)
    gains = np.array([1.0, 1.0, 2.0])
    # A wall point 2 m in front of the light, facing it (normal towards the camera).
    p = np.array([[0.0, 0.0, 3.0]])
    n = np.array([[0.0, 0.0, 1.0]])  # facing away: flipped to face the camera
    got = lit_radiance(spec, p, n, gains, exposure=0.5)[0]
    ambient = (0.9 + 0.1 * 0.5) * gains
    env = ambient * (1 - BOUNCE_SHARE) * 0.2 * AMBIENT_GAIN * 0.5
    e = LIGHT_GAIN["key"] * 40.0 * 0.5 * 1.0 / (4 * np.pi * 4.0)
    # The bounce light behind the camera: BOUNCE_SHARE of the ambient irradiance at the
    # subject's distance, falling off as 1/r^2 to the wall.
    d_subject = spec.camera.distance_m + BOUNCE_BEHIND_M
    e_bounce = (
        BOUNCE_SHARE * np.pi * 0.2 * AMBIENT_GAIN * 0.5 * (d_subject / (3.0 + BOUNCE_BEHIND_M)) ** 2
    )
    want = env + e / np.pi * np.array([1.0, 0.5, 0.25]) * gains + e_bounce / np.pi * ambient
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_allclose(environment_radiance(spec, gains, 0.5), env)
    # Grazing and back-facing light adds nothing but the environment.
    side = lit_radiance(spec, np.array([[0.0, 2.0, 1.0]]), np.array([[1.0, 0.0, 0.0]]), gains, 0.5)
    np.testing.assert_allclose(side[0], env, rtol=1e-6)


def test_corner_frames_sharp_box_smooth_sphere():
    box = trimesh.creation.box()
    pts, normals = corner_frames(box.vertices, box.faces, 50.0)
    assert pts.shape == normals.shape == (3 * len(box.faces), 3)
    fn = np.repeat(box.face_normals, 3, axis=0)
    np.testing.assert_allclose(np.abs(np.sum(normals * fn, axis=1)), 1.0, atol=1e-9)
    ball = trimesh.creation.icosphere(3)
    pts, normals = corner_frames(ball.vertices, ball.faces, 50.0)
    radial = pts / np.linalg.norm(pts, axis=1, keepdims=True)
    assert np.min(np.abs(np.sum(normals * radial, axis=1))) > 0.999  # smooth: vertex normals


def test_bounce_light_makes_up_the_ambient_at_the_subject():
    """World + bounce light give the face (facing the camera, at the subject's distance)
    the full ambient irradiance pi x ambient x AMBIENT_GAIN that the exposure meter
    counts (face_light), the bounce light's share being BOUNCE_SHARE."""
    from synth.render.cycles_camera import bounce_light

    spec = _spec([], ambient=0.3)
    pos, power, rgb = bounce_light(spec)
    assert pos[2] == -BOUNCE_BEHIND_M and pos[0] == pos[1] == 0.0
    face = np.array([[0.0, 0.0, spec.camera.distance_m]])
    toward = np.array([[0.0, 0.0, -1.0]])
    ones = np.ones(3)
    got = np.pi * lit_radiance(spec, face, toward, ones, exposure=1.0)[0] / rgb
    np.testing.assert_allclose(got, np.pi * 0.3 * AMBIENT_GAIN, rtol=1e-5)
    world = np.pi * environment_radiance(spec, ones, 1.0) / rgb
    np.testing.assert_allclose(world, (1 - BOUNCE_SHARE) * np.pi * 0.3 * AMBIENT_GAIN, rtol=1e-6)
