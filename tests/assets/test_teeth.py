"""Teeth and tongue sit close behind the lips (makehuman.TEETH_FORWARD_M) without entering
the lips' flesh: a point in the mouth's air crosses the skin an even number of times on its
way out through the face, a point inside the flesh an odd number."""

from __future__ import annotations

import dataclasses

import numpy as np

from assets_pipeline.expressions import ARKIT_UNITS, PRESETS
from assets_pipeline.head_asset import PART_TEETH
from assets_pipeline.makehuman import TEETH_FORWARD_M
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


def _in_flesh(asset, face_units, ident=None) -> int:
    mouth = asset.landmarks(asset.template)[48:68].mean(axis=0)
    skin = np.flatnonzero(asset.face_part == 0)
    centre = asset.template[asset.faces[skin]].mean(axis=1)
    near = asset.faces[skin[np.linalg.norm(centre - mouth, axis=1) < 0.05]]
    parts = np.unique(asset.faces[asset.face_part == PART_TEETH])
    phen, local = (ident.phenotypes, ident.local_changes) if ident else ({}, {})
    v = asset.evaluate(phen, local, face_units)[0].astype(np.float64)
    return int(np.count_nonzero(_forward_crossings(v, near, v[parts]) % 2 == 1))


def test_teeth_close_behind_the_lips(asset):
    lm = asset.landmarks(asset.template)
    teeth = asset.template[np.unique(asset.faces[asset.face_part == PART_TEETH])]
    mid = teeth[np.abs(teeth[:, 0]) < 0.004]
    gap = mid[:, 2].min() - lm[[62, 66], 2].mean()  # z points to the back
    assert 0.004 < gap < 0.009  # MakeHuman's own: ~11.7 mm


def test_teeth_stay_out_of_the_lips(asset):
    """Moving teeth and tongue forward puts none of them into the lips' flesh for the
    presets (MakeHuman's own placement has one vertex there under "sad") and at most 3
    for any one face unit at full weight."""
    parts = np.unique(asset.faces[asset.face_part == PART_TEETH])
    back = asset.template.copy()
    back[parts, 2] += TEETH_FORWARD_M
    original = dataclasses.replace(asset, template=back)
    cfg = load_config()
    idents = [None] + [sample_identity(cfg, 0, i, asset.local_names) for i in range(3)]
    for ident in idents:
        for name, units in PRESETS.items():
            assert _in_flesh(asset, units, ident) <= _in_flesh(original, units, ident), name
        for unit in ARKIT_UNITS:
            if unit != "tongueOut":  # the tongue leaves the mouth through the teeth
                was = _in_flesh(original, {unit: 1.0}, ident)
                assert _in_flesh(asset, {unit: 1.0}, ident) <= was + 3, unit
