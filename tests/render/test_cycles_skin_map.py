"""Skin maps (identity.skin_map_dir): read by the asset's UVs, normalised to the identity's
tone, RGB only."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

W, H = 160, 120
BASE_SRGB = (190, 150, 130)


def _uv_of_landmark(asset, k: int) -> np.ndarray:
    return asset.landmark_bary[k].astype(np.float64) @ asset.uv[asset.landmark_faces[k]]


def _dot_map(asset, size: int = 512, radius_uv: float = 0.012) -> Image.Image:
    """A uniform map with a black disc round the nose tip's UV (landmark 30)."""
    u, v = _uv_of_landmark(asset, 30)
    yy, xx = np.mgrid[0:size, 0:size]
    uu, vv = (xx + 0.5) / size, 1.0 - (yy + 0.5) / size  # v runs up from the bottom row
    img = np.empty((size, size, 3), np.uint8)
    img[:] = BASE_SRGB
    img[np.hypot(uu - u, vv - v) < radius_uv] = 0
    return Image.fromarray(img)


def test_detail_is_the_map_over_its_local_mean(asset, tmp_path):
    from synth.render.cycles_skin_map import DETAIL_RANGE, map_detail_pixels, uv_coverage

    coverage = {}

    def cover(size):
        return coverage.setdefault(size, uv_coverage(asset, size))

    _dot_map(asset).save(tmp_path / "dot.png")
    px = map_detail_pixels(tmp_path / "dot.png", cover) * DETAIL_RANGE
    assert px.shape == (512, 512, 4)
    u, v = _uv_of_landmark(asset, 30)
    row, col = int(v * 512), int(u * 512)  # rows bottom to top, as Blender stores them
    assert cover(512)[511 - row, col]  # the nose tip's texel is inside a UV island
    assert px[row, col, :3].max() < 0.05  # the black disc: no light at all
    assert cover(512)[511 - (row + 60), col]  # 60 texels (~12 cm) away, on the face ...
    np.testing.assert_allclose(px[row + 60, col, :3], 1.0, atol=1e-3)  # ... no detail
    # A ratio of 1 is stored exactly in 8 bits (byte 128).
    assert round(1.0 / DETAIL_RANGE * 255) / 255 * DETAIL_RANGE == 1.0
    # The empty atlas between the islands does not darken the blur near their edges.
    inside = cover(512)[::-1]
    flat = np.full((512, 512, 3), BASE_SRGB, np.uint8)
    flat[~cover(512)] = 0
    Image.fromarray(flat).save(tmp_path / "islands.png")
    px = map_detail_pixels(tmp_path / "islands.png", cover) * DETAIL_RANGE
    np.testing.assert_allclose(px[inside][:, :3], 1.0, atol=1e-3)


def test_map_reaches_the_face_not_the_rescaled_islands(asset):
    """skin_map_w is 1 exactly where the renderer's UVs are the asset's own: the face's
    island (skin, nose, brows, ears, most of the lips), not the neck's and chest's."""
    from synth.render.cycles_head import detail_uv
    from synth.render.cycles_skin_map import skin_map_weights
    from synth.spec import MASK_CLASS_IDS as C

    uv = detail_uv(asset)
    w = skin_map_weights(asset, uv)
    same = np.all(uv == asset.uv, axis=(1, 2))
    assert np.all(w[asset.faces[~same]] == 0)  # never on a rescaled triangle
    assert np.mean(w[asset.faces[same]].max(axis=1) == 1) > 0.95

    def reach(region):
        sel = (asset.face_region == C[region]) & (asset.face_part == 0)
        return w[np.unique(asset.faces[sel])].mean()

    assert reach("skin") > 0.9 and reach("nose") == 1.0 and reach("left_ear") > 0.95
    assert reach("upper_lip") > 0.8 and reach("neck") < 0.5


@pytest.fixture(scope="module")
def map_dir(asset, tmp_path_factory):
    d = tmp_path_factory.mktemp("skin_maps")
    _dot_map(asset).save(d / "dot.png")
    Image.new("RGB", (64, 64), BASE_SRGB).save(d / "flat.png")
    return d


@pytest.fixture(scope="module")
def cycles(asset, map_dir):
    pytest.importorskip("bpy")
    from synth.render import get_renderer

    r = get_renderer("cycles")(asset, samples=4, skin_map_dir=str(map_dir), camera_fx=False)
    yield r
    r.close()


@pytest.fixture(scope="module")
def spec(asset):
    from synth.config import load_config
    from synth.sampling import sample_spec

    cfg = load_config(None, {"width": W, "height": H, "expression.names": ["neutral"]})
    return sample_spec(cfg, 0, 3, local_names=asset.local_names)


def _with_map(spec, name):
    return spec.model_copy(update={"identity": spec.identity.model_copy(update={"skin_map": name})})


@pytest.mark.blender
def test_skin_map_lands_on_its_uvs_and_keeps_the_tone(cycles, spec):
    from synth.spec import MASK_CLASS_IDS as C

    plain = cycles.render(_with_map(spec, None))
    flat = cycles.render(_with_map(spec, "flat.png"))
    dot = cycles.render(_with_map(spec, "dot.png"))
    for res in (flat, dot):  # labels do not change
        np.testing.assert_array_equal(res.depth, plain.depth)
        np.testing.assert_array_equal(res.mask, plain.mask)
    x, y = np.round(plain.landmarks_2d[30]).astype(int)
    assert plain.landmarks_visible[30]

    def luma(res, x, y, r=1):
        return float(res.rgb[y - r : y + r + 1, x - r : x + r + 1].astype(float).mean())

    # The black disc round the nose tip's UV shows at the nose tip's pixel ...
    assert luma(dot, x, y) < 0.6 * luma(flat, x, y)
    # ... and a uniform map keeps the identity's tone: it has no detail.
    skin = plain.mask == C["skin"]
    assert abs(flat.rgb[skin].mean() - plain.rgb[skin].mean()) < 6.0


@pytest.mark.blender
def test_missing_map_and_missing_directory(cycles, spec, capsys):
    from synth.config import ConfigError

    with pytest.raises(ConfigError, match="nope.png"):
        cycles.render(_with_map(spec, "nope.png"))
    plain = cycles.render(_with_map(spec, None))
    directory = cycles._scene.skin_maps.directory
    cycles._scene.skin_maps.directory = None
    try:
        res = cycles.render(_with_map(spec, "dot.png"))
    finally:
        cycles._scene.skin_maps.directory = directory
    np.testing.assert_array_equal(res.rgb, plain.rgb)  # procedural skin, with a warning
    assert "no skin_map_dir" in capsys.readouterr().err
