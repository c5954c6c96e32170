"""The GL pass behind every renderer: pixel-centre coverage in OpenCV coordinates, colour
encoding, clipping, and no GL objects or memory created per frame."""

from __future__ import annotations

import numpy as np
import pytest

from synth.render.gl import GLRasterizer
from synth.render.labels import project
from synth.render.shading import srgb_encode, vertex_lighting

W, H = 64, 48


@pytest.fixture(scope="module")
def gl():
    r = GLRasterizer(W, H)
    yield r
    r.close()


def _K(cx=31.5, cy=23.5, f=60.0):
    return np.array([[f, 0, cx], [0, f * 1.1, cy], [0, 0, 1]], dtype=np.float64)


def _inside(p2, tri2):
    """Signed-area test of pixel centres p2 (N,2) against a 2D triangle; also the distance
    (px) to the nearest edge line, to skip centres that lie on an edge."""
    a, b, c = tri2
    signs, dists = [], []
    for p, q in ((a, b), (b, c), (c, a)):
        e = q - p
        cross = e[0] * (p2[:, 1] - p[1]) - e[1] * (p2[:, 0] - p[0])
        signs.append(cross)
        dists.append(np.abs(cross) / np.linalg.norm(e))
    s = np.stack(signs)
    inside = np.all(s > 0, axis=0) | np.all(s < 0, axis=0)
    return inside, np.min(np.stack(dists), axis=0)


@pytest.mark.parametrize("cx,cy", [(31.5, 23.5), (20.25, 30.75)])
def test_coverage_is_pixel_centres_in_opencv_coordinates(gl, cx, cy):
    K = _K(cx, cy)
    verts = np.array(
        [[-0.11, -0.08, 1.0], [0.13, -0.05, 1.2], [0.02, 0.12, 0.9], [-0.3, 0.1, 1.5]],
        np.float32,
    )
    faces = np.array([[0, 1, 2], [0, 2, 3]], np.int32)
    tri, rgb = gl.render(verts, faces, K, 0.1, 5.0)
    assert rgb is None and tri.shape == (H, W) and tri.dtype == np.int32
    u, v = np.meshgrid(np.arange(W, dtype=np.float64), np.arange(H, dtype=np.float64))
    centres = np.stack([u.ravel(), v.ravel()], axis=1)
    for k, f in enumerate(faces):
        inside, dist = _inside(centres, project(verts[f], K))
        clear = dist > 1e-3
        got = tri.ravel() == k
        assert inside.sum() > 30
        np.testing.assert_array_equal(got[clear], inside[clear])
    assert (tri[tri >= 0] < len(faces)).all() and (tri == -1).any()


def test_nearest_surface_wins_and_clipping_is_planar(gl):
    K = _K()
    quad = np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], np.float32)
    faces = np.array([[0, 1, 2], [0, 2, 3]], np.int32)
    near_q = quad * [0.05, 0.05, 1] + [0, 0, 1.0]
    far_q = quad * [3, 3, 1] + [0, 0, 2.0]
    verts = np.concatenate([far_q, near_q])
    tri = gl.triangle_ids(verts, np.concatenate([faces, faces + 4]), K, 0.1, 5.0)
    assert tri[H // 2, W // 2] in (2, 3) and tri[0, 0] in (0, 1)
    # Far plane at 1.5 m: the backdrop at 2 m is clipped, the 1 m square stays.
    tri = gl.triangle_ids(verts, np.concatenate([faces, faces + 4]), K, 0.1, 1.5)
    assert tri[H // 2, W // 2] in (2, 3) and tri[0, 0] == -1
    # Near plane beyond 1 m: the square is clipped and the backdrop shows through.
    tri = gl.triangle_ids(verts, np.concatenate([faces, faces + 4]), K, 1.2, 5.0)
    assert tri[H // 2, W // 2] in (0, 1)


def test_colour_is_srgb_of_interpolated_linear_colour(gl):
    K = _K()
    verts = np.array([[-1, -1, 1], [1, -1, 1], [1, 1, 1], [-1, 1, 1]], np.float32) * [
        0.1,
        0.1,
        1,
    ]
    faces = np.array([[0, 1, 2], [0, 2, 3]], np.int32)
    linear = np.array([0.002, 0.2, 0.8], np.float32)
    colors = np.broadcast_to(linear, (2, 3, 3)).copy()
    tri, rgb = gl.render(verts, faces, K, 0.1, 5.0, colors, background_rgb=(7, 8, 9))
    assert rgb.shape == (H, W, 3) and rgb.dtype == np.uint8
    expect = srgb_encode(linear).astype(int)
    assert np.abs(rgb[tri >= 0].astype(int) - expect).max() <= 1
    assert (rgb[tri < 0] == [7, 8, 9]).all()
    # A gradient along one edge is interpolated (perspective-correct) between corners.
    colors[:, :, :] = 0.0
    colors[0, 1] = colors[1, 1] = 1.0  # corner 2 (the top right) of both triangles is white
    _, rgb = gl.render(verts, faces, K, 0.1, 5.0, colors)
    lum = rgb[..., 0].astype(int)
    assert lum[H // 2, W // 2] > lum[H // 2 - 8, W // 2 - 8]
    with pytest.raises(ValueError, match="corner_colors"):
        gl.render(verts, faces, K, 0.1, 5.0, colors[:1])


def test_no_gl_objects_or_memory_per_frame(gl):
    import resource

    K = _K()
    rng = np.random.default_rng(0)
    faces = np.arange(3000, dtype=np.int32).reshape(-1, 3)
    objects = (gl._prog, gl._fbo, gl._vao, gl._vbo_pos, gl._vbo_col)
    for i in range(60):
        verts = (rng.uniform(-0.3, 0.3, (3000, 3)) + [0, 0, 1.5]).astype(np.float32)
        gl.render(verts, faces, K, 0.1, 5.0, rng.uniform(0, 1, (1000, 3, 3)))
        if i == 9:
            rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert (gl._prog, gl._fbo, gl._vao, gl._vbo_pos, gl._vbo_col) == objects
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0
    assert grown_kb < 8 * 1024, f"peak RSS grew {grown_kb} kB over 50 frames"


def test_closed_rasterizer_refuses(gl):
    r = GLRasterizer(8, 8)
    r.close()
    r.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        r.triangle_ids(np.zeros((3, 3), np.float32), np.array([[0, 1, 2]]), _K(), 0.1, 1.0)


def test_sheen_exponent_and_camera_facing_normals():
    from synth.spec import LightSpec

    class Spec:
        ambient = 0.0
        lights = [
            LightSpec(kind="key", position_m=[0.0, 0.0, 0.0], color_rgb=[1, 1, 1], kelvin=6500,
                      power_w=4 * np.pi),
        ]  # fmt: skip

    p = np.array([[0.0, 0.0, 1.0], [0.3, 0.0, 1.0]], np.float32)
    n = np.array([[0.0, 0.0, 1.0], [0.0, 0.0, -1.0]], np.float32)  # the first faces away
    diffuse, sheen = vertex_lighting(p, n, Spec)
    # Flipped to face the camera, the light at the camera gives n.l = 1 at distance 1 m.
    np.testing.assert_allclose(diffuse[0], 1.0, rtol=1e-6)
    d = np.linalg.norm(p[1])
    ndl = 1.0 / d
    np.testing.assert_allclose(diffuse[1], ndl / d**2, rtol=1e-5)
    np.testing.assert_allclose(sheen[1], ndl**24 / d**2, rtol=1e-4)  # half vector = view


def test_allocator_tuning_applies_on_glibc():
    import platform

    from synth.generate import tune_allocator

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt is glibc's")
    assert tune_allocator() is True
