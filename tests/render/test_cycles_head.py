"""Cycles shading data of the head (numpy): stubble area, expression and age lines, the
upper lid's shadow on the eyes."""

from __future__ import annotations

import numpy as np
import pytest

from synth.render.cycles_head import beard_weights
from synth.render.cycles_traits import identity_beard
from synth.spec import MASK_CLASS_IDS as C


def test_beard_area_is_the_lower_face(asset):
    w = beard_weights(asset)
    assert w.shape == (asset.n_vertices,) and 0 <= w.min() and w.max() <= 1
    v = asset.template
    lm = asset.landmarks(asset.template)
    skin = np.unique(asset.faces[asset.face_part == 0])  # not the teeth's roots behind
    near = lambda p: skin[np.argsort(np.linalg.norm(v[skin] - p, axis=1))[:5]]  # noqa: E731
    assert w[near((lm[8] + lm[57]) / 2)].mean() > 0.8  # chin, below the lower lip
    assert w[near((lm[4] + lm[48]) / 2)].mean() > 0.8  # lower cheek
    assert w[near(lm[27])].max() == 0 and w[near(lm[19])].max() == 0  # nose bridge, brow
    lips = np.unique(asset.faces[np.isin(asset.face_region, [C["upper_lip"], C["lower_lip"]])])
    assert np.median(w[lips]) < 0.5
    # Nothing on the sides and back of the head (behind the ears' front, above the jaw).
    assert np.all(w[(v[:, 2] > lm[0, 2] + 0.02) & (v[:, 1] < lm[2, 1])] == 0)


def test_beard_by_identity():
    # anny's gender axis: 0 = male, 1 = female.
    assert identity_beard(3, 0.6) == 0.0 and identity_beard(3, 0.8) == 0.0
    male = [identity_beard(i, 0.1) for i in range(300)]
    assert identity_beard(7, 0.1) == identity_beard(7, 0.1)
    assert 0.2 < np.mean(np.array(male) == 0) < 0.5  # a third clean-shaven
    assert max(male) <= 0.75 and np.mean(male) > 0.2


def test_wrinkle_lines_lie_where_faces_fold(asset):
    """The line coordinates put each family where it belongs on the template: the
    nasolabial crease between the nose wing and the mouth corner's outside, forehead
    heights positive above the brows, the crow's-feet centre at the outer eye corner,
    and nothing on the eyeballs."""
    from synth.render.cycles_head import wrinkle_coords

    a, b = wrinkle_coords(asset)
    assert a.shape == b.shape == (asset.n_vertices, 3)
    v, lm = asset.template, asset.landmarks(asset.template)
    skin = np.zeros(asset.n_vertices, bool)
    skin[asset.faces[asset.face_part == 0].ravel()] = True
    crease = skin & (np.abs(a[:, 0]) < 0.0015) & (a[:, 1] > 0.1) & (a[:, 1] < 0.7)
    assert crease.sum() >= 4
    for side, wing, corner in ((-1, 31, 48), (1, 35, 54)):
        c = crease & (np.sign(v[:, 0]) == side)
        assert c.any()
        x, y = np.abs(v[c, 0]), v[c, 1]
        assert np.all(x > abs(lm[wing, 0])) and np.all(x < abs(lm[corner, 0]) + 0.015)
        assert np.all(y > lm[wing, 1] - 0.01) and np.all(y < lm[corner, 1] + 0.01)
    near = lambda p: np.argsort(np.linalg.norm(v - p, axis=1))[:3]  # noqa: E731
    assert np.all(a[near(lm[19] + [0, -0.02, 0]), 2] > 0.01)  # forehead above the brow
    assert np.all(a[near(lm[30]), 2] < -0.03)  # the nose tip is far below it
    assert np.all(b[near(lm[36]), 2] < 0.008) and np.all(b[near(lm[45]), 2] < 0.008)
    eyeball = np.unique(asset.faces[asset.face_part == 1])
    assert np.all(a[eyeball] == 1.0) and np.all(b[eyeball] == 1.0)


def test_lid_crease_lies_above_each_upper_lid(asset):
    """The crease groove (|across| small, window on) runs above the upper-lid landmarks,
    between the eye's corners, a few millimetres up; nothing off the skin or below the eye."""
    from synth.render.cycles_head import CREASE_HEIGHT_M, lid_crease_coords

    c = lid_crease_coords(asset)
    assert c.shape == (asset.n_vertices, 3)
    v, lm = asset.template, asset.landmarks(asset.template)
    on = (np.abs(c[:, 0]) < 0.0015) & (c[:, 1] > 0.5)
    for lid in ((36, 37, 38, 39), (42, 43, 44, 45)):
        x0, x1 = sorted((lm[lid[0], 0], lm[lid[3], 0]))
        mine = on & (v[:, 0] > x0 - 0.005) & (v[:, 0] < x1 + 0.005)
        assert mine.sum() >= 4
        order = sorted(lid, key=lambda k: lm[k, 0])
        margin = np.interp(v[mine, 0], lm[order, 0], lm[order, 1])
        above = margin - v[mine, 1]  # y points down
        assert np.all(above > 0.0005) and np.all(above < CREASE_HEIGHT_M + 0.003)
    assert not (on & (v[:, 1] > lm[[40, 41, 46, 47], 1].max())).any()  # nothing below the eyes
    eyeball = np.unique(asset.faces[asset.face_part == 1])
    assert np.all(c[eyeball, 1] == 0.0)


def test_lash_line_lies_on_each_upper_lid_margin(asset):
    """The lash-line coordinate (``crease`` z: height above the upper-lid landmark curve
    over the line's width) is 0 on the margin, grows upwards, puts the line within the
    eye's corners above the margin only, is 10 (no line) off the lids and on the
    eyeballs, and is mirror-symmetric."""
    from synth.render.cycles_head import LASH_LINE_M, lid_crease_coords

    z = lid_crease_coords(asset)[:, 2]
    v, lm = asset.template, asset.landmarks(asset.template)
    skin = np.unique(asset.faces[asset.face_part == 0])
    for k in (37, 38, 43, 44):  # upper-lid landmarks sit on margin vertices
        nearest = skin[np.argmin(np.linalg.norm(v[skin] - lm[k], axis=1))]
        assert abs(z[nearest]) < 0.05
    on = skin[(z[skin] > -0.4) & (z[skin] < 1.0)]  # where the line is drawn
    assert len(on) >= 8
    for lid in ((36, 37, 38, 39), (42, 43, 44, 45)):
        x0, x1 = sorted((lm[lid[0], 0], lm[lid[3], 0]))
        mine = on[(v[on, 0] >= x0 - 1e-4) & (v[on, 0] <= x1 + 1e-4)]
        assert len(mine) >= 4
        order = sorted(lid, key=lambda k: lm[k, 0])
        above = np.interp(v[mine, 0], lm[order, 0], lm[order, 1]) - v[mine, 1]  # y down
        assert np.all(above > -0.001) and np.all(above < LASH_LINE_M[0] + 0.0005)
    x_lo, x_hi = lm[[36, 39, 42, 45], 0].min(), lm[[36, 39, 42, 45], 0].max()
    assert np.all((v[on, 0] >= x_lo - 0.001) & (v[on, 0] <= x_hi + 0.001))  # to the corners
    assert not (v[on, 1] > lm[[40, 41, 46, 47], 1].max()).any()  # nothing on the lower lids
    eyeball = np.unique(asset.faces[asset.face_part == 1])
    assert np.all(z[eyeball] == 10.0) and np.sum(z == 10.0) > 0.9 * asset.n_vertices
    from scipy.spatial import cKDTree

    dist, twin = cKDTree(v[on]).query(v[on] * np.array([-1.0, 1.0, 1.0]))
    assert np.all(dist < 1e-6)
    np.testing.assert_allclose(z[on][twin], z[on], atol=1e-4)


def test_lid_crease_depth_per_identity():
    from synth.render.cycles_traits import identity_lid_crease

    d = [identity_lid_crease(i, 0.0) for i in range(50)]
    assert 0.6 <= min(d) and max(d) <= 1.0 and np.std(d) > 0.05
    assert identity_lid_crease(3, 1.0) == pytest.approx(0.4 * identity_lid_crease(3, 0.0))


def test_wrinkle_depths_follow_age_and_expression():
    from synth.config import load_config
    from synth.render.cycles_traits import age_years, wrinkle_depths
    from synth.sampling import sample_spec

    assert age_years(2 / 3) == 25 and age_years(1.0) == 90 and abs(age_years(0.55) - 20) < 0.5
    spec = sample_spec(load_config(), 0, 1, local_names=())
    ident, expr = spec.identity, spec.expression

    def depths(age, units):
        phen = {**ident.phenotypes, "age": age}
        return wrinkle_depths(spec.model_copy(update={
            "identity": ident.model_copy(update={"phenotypes": phen}),
            "expression": expr.model_copy(update={"face_units": units}),
        }))  # fmt: skip

    young, old = depths(2 / 3, {}), depths(0.85, {})
    assert all(0.0 <= x <= 1.0 for x in (*young.values(), *old.values()))
    assert all(old[k] > young[k] for k in young)
    assert young["wr_forehead"] == young["wr_glabella"] == young["wr_crow"] == 0.0
    smile = depths(2 / 3, {"mouthSmileLeft": 0.8, "mouthSmileRight": 0.8})
    assert smile["wr_nasolabial"] > young["wr_nasolabial"] + 0.3
    frown = depths(2 / 3, {"browDownLeft": 0.8, "browDownRight": 0.8})
    assert frown["wr_glabella"] > 0.3 and frown["wr_forehead"] == 0.0
    raised = depths(2 / 3, {"browInnerUp": 0.8})
    assert raised["wr_forehead"] > 0.3


def test_below_upper_lid_is_measured_along_the_heads_up_direction(asset):
    from synth.render.cycles_head import below_upper_lid, eyeball_vertices
    from synth.scene import head_rotation

    left, right = eyeball_vertices(asset)
    assert len(left) == len(right) > 30 and (asset.template[left, 0] < 0).all()
    lm = np.zeros((68, 3))
    lm[36:40] = [[-0.045, 0.0, 0], [-0.04, -0.004, 0], [-0.03, -0.004, 0], [-0.02, 0.0, 0]]
    lm[42:46] = lm[36:40] * [-1, 1, 1]
    verts = np.zeros((asset.n_vertices, 3))
    verts[left] = [-0.035, 0.003, 0.0]  # 7 mm below the left lid's flat middle (y down)
    verts[right] = [0.035, -0.006, 0.0]  # 2 mm above the right one
    got = below_upper_lid(verts, lm, np.eye(3), (left, right))
    np.testing.assert_allclose(got[: len(left)], 0.007, atol=1e-6)
    np.testing.assert_allclose(got[len(left) :], -0.002, atol=1e-6)
    R = head_rotation(25.0, -10.0, 8.0)  # the same face turned: the same distances
    turned = below_upper_lid(verts @ R.T, lm @ R.T, R, (left, right))
    np.testing.assert_allclose(turned, got, atol=1e-6)
    verts[left] = [-0.05, 0.0, 0.0]  # beyond the outer corner: the end slope continues
    assert below_upper_lid(verts, lm, np.eye(3), (left, right))[0] == pytest.approx(-0.004)


def test_wrinkle_bands_window_each_family(asset):
    """The per-vertex windows: the nasolabial one on the cheeks beside the nose, none on
    the forehead's lines at the nose tip, all in [0, 1]."""
    from synth.render.cycles_head import wrinkle_coords
    from synth.render.cycles_traits import wrinkle_bands

    bands = wrinkle_bands(wrinkle_coords(asset))
    assert bands.shape == (asset.n_vertices, 4) and bands.min() >= 0 and bands.max() <= 1
    v, lm = asset.template, asset.landmarks(asset.template)
    skin = np.unique(asset.faces[asset.face_part == 0])
    near = lambda p: skin[np.argsort(np.linalg.norm(v[skin] - p, axis=1))[:3]]  # noqa: E731
    beside_nose = near((lm[31] + lm[48]) / 2 + [-0.008, 0, 0])
    assert bands[beside_nose, 0].min() > 0.5
    assert bands[near(lm[30]), 1].max() == 0.0  # no forehead lines on the nose tip
    assert bands[near(lm[19] + [0, -0.025, 0]), 1].min() > 0.5  # but above the brow
    assert bands[near(lm[8]), :].max() == 0.0  # nothing on the chin


def test_under_eye_band_lies_below_each_lower_lid(asset):
    """The eyelid tint also covers a band under each eye (``_under_eyes``): a few
    millimetres below the lower lid, strongest towards the inner corner; nothing on the
    upper lid, the brow or the cheekbone further down."""
    from synth.render.cycles_head import UNDER_EYE, UNDER_EYE_M, _under_eyes, region_weights

    w = _under_eyes(asset)
    v = asset.template.astype(np.float64)
    lm = asset.landmarks(asset.template).astype(np.float64)
    skin = np.unique(asset.faces[asset.face_part == 0])
    near = lambda p: skin[np.argsort(np.linalg.norm(v[skin] - p, axis=1))[:4]]  # noqa: E731
    down = np.array([0.0, UNDER_EYE_M[0], 0.0])
    for outer, lower, inner, upper in ((36, 41, 39, 37), (45, 46, 42, 44)):
        under_inner = w[near(lm[lower] + 0.6 * (lm[inner] - lm[lower]) + down)].mean()
        under_outer = w[near(lm[lower] + 0.6 * (lm[outer] - lm[lower]) + down)].mean()
        assert under_inner > 0.5 and under_inner > under_outer > 0.2
        assert w[near(lm[upper] - [0.0, 0.004, 0.0])].max() == 0  # the upper lid
        assert w[near(lm[lower] + [0.0, 0.025, 0.0])].max() < 0.05  # the cheekbone
    assert w[near(lm[19])].max() == 0 and w[near(lm[30])].max() < 0.05  # brow, nose tip
    lid = region_weights(asset)[:, 3]
    assert np.all(lid >= np.clip(UNDER_EYE * w, 0, 1) - 1e-6)  # the band is in the lid tint


def _grid(height) -> tuple[np.ndarray, np.ndarray]:
    """A 21x21 grid, 2 mm apart, z = height(x), triangles wound so normals point to +z."""
    x, y = np.meshgrid(np.linspace(-0.02, 0.02, 21), np.linspace(-0.02, 0.02, 21))
    verts = np.stack([x.ravel(), y.ravel(), height(x.ravel())], axis=1)
    ids = np.arange(21 * 21).reshape(21, 21)
    a, b, c, d = (
        ids[:-1, :-1].ravel(),
        ids[:-1, 1:].ravel(),
        ids[1:, :-1].ravel(),
        ids[1:, 1:].ravel(),
    )
    return verts, np.concatenate([np.stack([a, b, c], 1), np.stack([b, d, c], 1)])


def test_cavity_of_a_groove_a_ridge_and_a_plane():
    from synth.render.cycles_head import Cavity

    valley, faces = _grid(lambda x: 0.1 * np.abs(x))  # a crease along y, outside = +z
    ridge, _ = _grid(lambda x: -0.1 * np.abs(x))
    plane, _ = _grid(lambda x: 0.0 * x)
    cavity = Cavity(faces, len(valley))
    mid = np.flatnonzero((np.abs(valley[:, 0]) < 1e-9) & (np.abs(valley[:, 1]) < 0.01))
    assert np.all(cavity(valley)[mid] > 1e-5)
    np.testing.assert_allclose(cavity(ridge)[mid], -cavity(valley)[mid], atol=1e-9)
    inner = np.flatnonzero(np.abs(plane[:, :2]).max(axis=1) < 0.014)
    np.testing.assert_allclose(cavity(plane)[inner], 0.0, atol=1e-12)
    # Rigid motions do not change it (it is computed on the posed mesh, in any frame).
    rot = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(cavity(valley @ rot.T + 0.3), cavity(valley), atol=1e-9)


def test_cavity_finds_the_faces_creases(asset):
    """Alar grooves and inner eye corners are creases, the forehead is convex, and a smile
    deepens the mouth corners (the shade follows the expression)."""
    from synth.render.cycles_head import Cavity
    from synth.render.cycles_materials import CAVITY_M

    cavity = Cavity(asset.faces, asset.n_vertices)
    skin = np.unique(asset.faces[asset.face_part == 0])

    def deepest(name: str, landmarks: tuple[int, ...]) -> np.ndarray:
        v, _ = asset.evaluate(face_units=asset.presets[name])
        cav, lm = cavity(v), asset.landmarks(v)
        near = [skin[np.linalg.norm(v[skin] - lm[k], axis=1) < 0.012] for k in landmarks]
        return np.array([cav[n].max() for n in near])

    assert np.all(deepest("neutral", (31, 35)) > CAVITY_M[1])  # alar grooves: full shade
    assert np.all(deepest("neutral", (39, 42)) > CAVITY_M[0])  # inner eye corners
    corners = deepest("neutral", (48, 54)), deepest("happy", (48, 54))
    assert np.all(corners[1] > 3 * corners[0]) and np.all(corners[1] > 2 * CAVITY_M[0])
    v, _ = asset.evaluate()
    lm = asset.landmarks(v)
    forehead = (lm[19] + lm[24]) / 2 + np.array([0.0, -0.025, 0.0])  # y down
    near = skin[np.linalg.norm(v[skin] - forehead, axis=1) < 0.02]
    assert np.median(cavity(v)[near]) < -0.0002
