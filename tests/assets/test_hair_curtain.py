"""The hair curtain (a jaw-length bob): hidden without length, clear of the skin and off
the face with it, over the ears, and drawn into the labels."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import cKDTree

from assets_pipeline.hair_curtain import MIN_VOLUME, curtain_vertices
from assets_pipeline.hair_shell import PART_HAIR, vertex_normals
from synth.spec import FACE_REGION_CLASSES
from synth.spec import MASK_CLASS_IDS as C

BOB = {"volume": MIN_VOLUME, "hairline": 0.0, "temples": 0.0, "length": 1.0}
SHORT = {**BOB, "length": 0.0}


def _curtain(asset) -> np.ndarray:
    return np.flatnonzero(curtain_vertices(asset))


def _height_over_skin(asset, verts: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Signed distance of verts[idx] along the normal of the nearest skin vertex."""
    skin = asset.faces[asset.face_part == 0]
    sv = np.unique(skin)
    n = vertex_normals(verts, skin)
    _, k = cKDTree(verts[sv]).query(verts[idx])
    return np.sum((verts[idx] - verts[sv[k]]) * n[sv[k]], axis=1)


def _depth_inside(asset, verts: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """How far verts[idx] lie inside the head's outer skin, horizontally: the outermost
    skin radius about the vertical axis within 12 degrees and 1 cm of height, minus theirs."""
    skin = verts[np.unique(asset.faces[asset.face_part == 0])]
    zc = verts[np.unique(asset.faces[asset.face_part == PART_HAIR]), 2].mean()

    def cyl(p):
        return np.arctan2(p[:, 0], p[:, 2] - zc), np.hypot(p[:, 0], p[:, 2] - zc)

    (sa, sr), (pa, pr) = cyl(skin), cyl(verts[idx])
    out = np.empty(len(idx))
    for i in range(len(idx)):
        near = (np.abs(np.angle(np.exp(1j * (sa - pa[i])))) < np.deg2rad(12.0)) & (
            np.abs(skin[:, 1] - verts[idx[i], 1]) < 0.01
        )
        out[i] = sr[near].max() - pr[i]
    return out


def test_curtain_is_labelled_hair_with_its_own_basis(asset):
    cur = _curtain(asset)
    assert asset.hair_names[-1] == "length" and len(cur) > 500
    faces = asset.faces[np.isin(asset.faces, cur).all(axis=1)]
    assert len(faces) > 1000
    part = asset.face_part[np.isin(asset.faces, cur).all(axis=1)]
    assert (part == PART_HAIR).all()
    # The curtain moves with nothing but its own basis among the hair bases, and no face
    # unit moves it.
    others = np.delete(asset.hair_shapes, asset.hair_names.index("length"), axis=0)
    assert not others[:, cur].any() and not asset.expression_shapes[:, cur].any()


@pytest.mark.parametrize("phen", [{}, {"gender": 1.0, "weight": 0.8, "muscle": 0.2},
                                  {"gender": 0.0, "weight": 0.2, "age": 0.85}])  # fmt: skip
def test_curtain_hidden_without_length_and_clear_of_the_skin_with_it(asset, phen):
    cur = _curtain(asset)
    short, _ = asset.evaluate(phenotypes=phen, hair_shape=SHORT)
    assert _depth_inside(asset, short.astype(np.float64), cur).min() > 0.01
    bob, _ = asset.evaluate(phenotypes=phen, hair_shape=BOB)
    h = _height_over_skin(asset, bob.astype(np.float64), cur)
    assert h.min() > 0.0005  # never into the ears, jaw or neck beneath
    assert np.median(h) > 0.005


def _render(asset, small_config, yaw: float, shape: dict):
    from synth.render import get_renderer
    from synth.sampling import sample_spec

    spec = sample_spec(small_config, 0, 0, local_names=asset.local_names)
    ident = spec.identity.model_copy(update={"has_hair": True, "hair_shape": shape})
    pose = spec.head_pose.model_copy(update={"yaw_deg": yaw, "pitch_deg": 0.0, "roll_deg": 0.0})
    expr = spec.expression.model_copy(update={"name": "neutral", "face_units": {}})
    spec = spec.model_copy(
        update={"identity": ident, "head_pose": pose, "expression": expr, "body_yaw_deg": 0.0}
    )
    with get_renderer("fast")(asset) as r:
        return r.render(spec)


def test_curtain_covers_the_ears_not_the_face(asset, small_config):
    cfg = small_config.model_copy(update={"width": 160, "height": 120})
    ear = lambda r: np.isin(r.mask, [C["left_ear"], C["right_ear"]]).sum()  # noqa: E731
    face = lambda r: np.isin(r.mask, FACE_REGION_CLASSES).sum()  # noqa: E731
    side_short, side_bob = (_render(asset, cfg, 80.0, s) for s in (SHORT, BOB))
    assert ear(side_short) > 20 and ear(side_bob) < 0.3 * ear(side_short)
    assert (side_bob.mask == C["hair"]).sum() > 1.3 * (side_short.mask == C["hair"]).sum()
    front_short, front_bob = (_render(asset, cfg, 0.0, s) for s in (SHORT, BOB))
    assert face(front_bob) > 0.97 * face(front_short)
    # Labels stay exact: the hair pixels' depth is the curtain's, nearer than the bald head.
    hair = (front_bob.mask == C["hair"]) & (front_short.mask != C["hair"])
    both = hair & (front_short.depth > 0)
    assert hair.sum() > 10 and (front_bob.depth[both] < front_short.depth[both]).all()


def test_sampled_length_goes_with_gender():
    from synth.config import load_config
    from synth.sampling import sample_hair_shape

    load_config(None, {})
    f = [sample_hair_shape(0, i, 1.0, True) for i in range(400)]
    m = [sample_hair_shape(0, i, 0.0, True) for i in range(400)]
    share = lambda xs: np.mean([x["length"] for x in xs])  # noqa: E731
    assert 0.65 < share(f) < 0.85 and share(m) < 0.1
    assert all(x["length"] in (0.0, 1.0) for x in f + m)
    assert all(x["volume"] >= MIN_VOLUME for x in f + m if x["length"])
    assert not any(sample_hair_shape(0, i, 1.0, False)["length"] for i in range(50))


def test_curtain_ends_are_ragged_locks(asset):
    """The hem round the back and sides varies by more than a centimetre (locks of 1-2
    cm whose tips differ; a smooth, even hem read as a rubber sheet's edge until 0.11.0),
    mirror-symmetric like the rest of the asset."""
    cur = _curtain(asset)
    faces = asset.faces[np.isin(asset.faces, cur).all(axis=1)]
    edges = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), 1)
    uniq, count = np.unique(edges, axis=0, return_counts=True)
    rim = np.unique(uniq[count == 1])  # the sheet's boundary: top, front edges, hem
    v, _ = asset.evaluate(hair_shape=BOB)
    p = v[rim].astype(np.float64)
    zc = v[np.unique(asset.faces[asset.face_part == PART_HAIR]), 2].mean()
    az = np.rad2deg(np.arctan2(p[:, 0], -(p[:, 2] - zc)))
    hem = p[(np.abs(az) > 100.0) & (p[:, 1] > np.median(p[:, 1]))]  # y down: the lower rim
    assert len(hem) > 40
    assert np.ptp(hem[:, 1]) > 0.012
    mirrored = hem * np.array([-1.0, 1.0, 1.0])
    assert cKDTree(hem).query(mirrored)[0].max() < 1e-6
