"""synth.render.camera_fx: deterministic, shape/dtype kept, identity when off, noise as
intended."""

from __future__ import annotations

import numpy as np
import pytest

from synth.render.camera_fx import CAMERA_FX, NO_CAMERA_FX, CameraFx, apply_camera_fx


def _image(h=48, w=64, seed=0):
    return (np.random.default_rng(seed).random((h, w, 3)) * 255).astype(np.uint8)


def test_deterministic_and_shape():
    rgb = _image()
    a = apply_camera_fx(rgb, (0, 3))
    b = apply_camera_fx(rgb.copy(), (0, 3))
    assert a.shape == rgb.shape and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert not np.array_equal(a, apply_camera_fx(rgb, (0, 4)))  # another sample
    assert not np.array_equal(a, apply_camera_fx(rgb, (1, 3)))  # another seed


def test_disabled_is_identity_and_input_untouched():
    rgb = _image()
    keep = rgb.copy()
    out = apply_camera_fx(rgb, (0, 0), NO_CAMERA_FX)
    assert np.array_equal(out, rgb) and out is not rgb
    apply_camera_fx(rgb, (0, 0))
    assert np.array_equal(rgb, keep)
    with pytest.raises(ValueError):
        apply_camera_fx(rgb.astype(np.float32), (0, 0))


def test_noise_statistics():
    """Flat grey: the mean is kept at the centre, the noise (in linear light) has the
    variance shot * x + read^2 scaled by an ISO factor in iso_range, and is larger in
    relative terms in the shadows."""
    fx = CameraFx(vignette=0.0, softness=0.0, ca=0.0)
    for level in (40, 128, 220):
        rgb = np.full((200, 200, 3), level, np.uint8)
        out = apply_camera_fx(rgb, (7, 1), fx).astype(np.float64)
        assert abs(out.mean() - level) < 1.0
        x = (level / 255.0) ** 2.2
        lin = (out / 255.0) ** 2.2
        var = lin.var()
        lo, hi = fx.iso_range
        base = fx.shot * x + fx.read**2
        assert lo * base * 0.7 < var < hi * base * 1.3, (level, var, base)
    grain = apply_camera_fx(np.full((64, 64, 3), 128, np.uint8), (0, 0), fx).std()
    assert 0.5 < grain < 6.0  # a few 8-bit levels of grain, not snow


def test_vignette_and_aberration():
    fx = CameraFx(softness=0.0, shot=0.0, read=0.0)
    flat = np.full((48, 64, 3), 200, np.uint8)
    out = apply_camera_fx(flat, (0, 0), fx).astype(int)
    assert out[24, 32].min() >= 199 and out[0, 0].max() < 190  # darker corners
    # a white vertical line right of centre: red moves outwards, blue inwards
    img = np.zeros((48, 201, 3), np.uint8)
    img[:, 180] = 255
    out = apply_camera_fx(img, (0, 0), CameraFx(0.0, 0.0, 0.01, 0.0, 0.0)).astype(float)
    cols = np.arange(201)
    centroid = [(out[24, :, c] * cols).sum() / out[24, :, c].sum() for c in range(3)]
    assert centroid[0] > centroid[1] > centroid[2]


def test_default_is_mild():
    rgb = _image(120, 160, 1)
    out = apply_camera_fx(rgb, (0, 0), CAMERA_FX).astype(int)
    smooth = np.full((120, 160, 3), 120, np.uint8)
    assert np.abs(apply_camera_fx(smooth, (0, 0)).astype(int) - 120).mean() < 6
    assert out.shape == rgb.shape


def test_sharpening_raises_edge_contrast_only():
    """The unsharp mask overshoots on both sides of an edge, keeps flat areas and the
    mean level, and is the only effect of a CameraFx with everything else off."""
    only = CameraFx(0.0, 0.0, 0.0, 0.0, 0.0, sharpen=0.6)
    assert not only.is_identity and NO_CAMERA_FX.is_identity
    img = np.full((32, 64, 3), 80, np.uint8)
    img[:, 32:] = 160
    out = apply_camera_fx(img, (0, 0), only).astype(int)
    assert out[:, 31].max() < 80 and out[:, 32].min() > 160  # halo on each side
    assert np.array_equal(out[:, :24], img[:, :24]) and np.array_equal(out[:, 40:], img[:, 40:])
    assert abs(out.mean() - img.mean()) < 0.5
    soft = apply_camera_fx(img, (0, 0), CameraFx(0.0, 0.0, 0.0, 0.0, 0.0, sharpen=0.0))
    assert np.array_equal(soft, img)
    # Coring: +-1 level of render noise is below the threshold and is not amplified.
    grain = (128 + np.random.default_rng(0).integers(-1, 2, (32, 64, 3))).astype(np.uint8)
    assert np.array_equal(apply_camera_fx(grain, (0, 0), only), grain)
    loud = apply_camera_fx(grain, (0, 0), CameraFx(0, 0, 0, 0, 0, sharpen=0.6, sharpen_threshold=0))
    assert loud.astype(int).std() > grain.astype(int).std()
