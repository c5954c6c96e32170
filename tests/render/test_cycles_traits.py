"""The Cycles renderer's skin model, shading traits and camera response: pure numpy
functions of the SceneSpec (synth.render.cycles_traits, cycles_camera), no Blender."""

from __future__ import annotations

import numpy as np
import pytest

from synth.config import load_config
from synth.sampling import sample_spec


def test_skin_model_and_camera_response():
    from synth.render.cycles_camera import REC709_Y, metered_exposure, white_balance_gains
    from synth.render.cycles_traits import skin_colors

    y = [skin_colors(t, 0)["skin"] @ REC709_Y for t in np.linspace(0, 1, 6)]
    assert np.all(np.diff(y) < 0), "darker tone must give darker skin"
    for t in np.linspace(0, 1, 6):  # skin hues of photographs, not orange
        lin = skin_colors(t, 0)["skin"]
        srgb = np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055)
        assert 1.1 < srgb[0] / srgb[1] < 1.55 and 1.1 < srgb[1] / srgb[2] < 1.5, (t, srgb)
    spec = sample_spec(load_config(None, {"width": 64, "height": 48}), 0, 0, local_names=[])
    face = np.array([0.0, 0.0, spec.camera.distance_m])
    gains = white_balance_gains(spec, face)
    assert abs(gains @ REC709_Y - 1.0) < 1e-9
    white = [lt.model_copy(update={"color_rgb": [1.0, 1.0, 1.0]}) for lt in spec.lights]
    assert np.allclose(white_balance_gains(spec.model_copy(update={"lights": white}), face), 1)
    # An incident-light reading: more light at the face, less exposure.
    brighter = [lt.model_copy(update={"power_w": 4 * lt.power_w}) for lt in spec.lights]
    more = spec.model_copy(update={"lights": brighter})
    assert metered_exposure(more, face) < metered_exposure(spec, face)


def test_light_skin_is_desaturated_about_its_luminance():
    from synth.render.cycles_camera import REC709_Y
    from synth.render.cycles_traits import (
        identity_blood,
        melanin_from_tone,
        pigment_albedo,
        skin_colors,
        skin_saturation,
    )  # fmt: skip

    assert skin_saturation(0.0) == 0.9 and skin_saturation(0.5) == skin_saturation(1.0) == 1.0
    for tone in (0.0, 0.2, 0.6, 0.9):
        raw = pigment_albedo(melanin_from_tone(tone), identity_blood(4))
        got = skin_colors(tone, 4)["skin"]
        assert got @ REC709_Y == pytest.approx(raw @ REC709_Y)
        chroma = lambda c: np.ptp(c)  # noqa: E731
        assert chroma(got) == pytest.approx(skin_saturation(tone) * chroma(raw))


def test_eye_and_skin_detail_are_pure_functions():
    from synth.render.cycles_camera import REC709_Y
    from synth.render.cycles_traits import identity_skin_detail, iris_colors

    blue = (0.1, 0.2, 0.35)
    a, b = iris_colors(blue, 3), iris_colors(blue, 3)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    y = float(np.asarray(blue) @ REC709_Y)
    # 1.15x the saturation at 0.8x the luminance (a glowing iris read as painted)
    grey = np.full(3, y)
    np.testing.assert_allclose(a["iris"], 0.8 * (grey + 1.15 * (np.asarray(blue) - grey)))
    assert abs(float(a["iris"] @ REC709_Y) - 0.8 * y) < 1e-6
    assert not np.allclose(a["collarette"], iris_colors(blue, 4)["collarette"])
    freckles = [identity_skin_detail(i)["freckles"] for i in range(200)]
    assert identity_skin_detail(7) == identity_skin_detail(7)
    assert 0.08 <= min(freckles) and max(freckles) <= 0.58 and np.median(freckles) < 0.2
    dark = identity_skin_detail(7, 1.0)
    assert dark["freckles"] == pytest.approx(0.4 * identity_skin_detail(7)["freckles"])
    assert dark["oil"] == identity_skin_detail(7)["oil"]


def test_fabric_per_identity():
    """Tops vary per identity (a pure function of its id): knits, plain jersey and
    striped jersey in about the configured shares, stripes contrasting with the top."""
    from synth.render.cycles_traits import (
        FABRIC_SHARES,
        STRIPE_DARK,
        STRIPE_LIGHT,
        STRIPE_PERIOD_M,
        identity_fabric,
    )

    dark, light = (0.05, 0.05, 0.06), (0.6, 0.6, 0.58)
    a, b = identity_fabric(7, dark), identity_fabric(7, dark)
    assert a["knit"] == b["knit"] and a["stripe_period"] == b["stripe_period"]
    fabrics = [identity_fabric(i, dark) for i in range(2000)]
    knit = np.mean([f["knit"] for f in fabrics])
    stripes = np.mean([f["stripes"] for f in fabrics])
    assert abs(knit - FABRIC_SHARES["knit"]) < 0.05
    assert abs(stripes - (1 - sum(FABRIC_SHARES.values()))) < 0.05
    assert not any(f["knit"] and f["stripes"] for f in fabrics)  # stripes are on jersey
    periods = [f["stripe_period"] for f in fabrics]
    assert STRIPE_PERIOD_M[0] <= min(periods) and max(periods) <= STRIPE_PERIOD_M[1]
    np.testing.assert_allclose(identity_fabric(3, dark)["stripe_rgb"], STRIPE_LIGHT)
    np.testing.assert_allclose(identity_fabric(3, light)["stripe_rgb"], STRIPE_DARK)
