"""The hair shell: Loop subdivision, labelled hair geometry, its bases and the strands
that lie on it."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from assets_pipeline.hair_shell import (
    HAIR_SHAPES,
    INSET_M,
    PART_HAIR,
    loop_subdivide,
    rim_vertices,
    shell_thickness,
)
from assets_pipeline.head_asset import AssetError
from synth.spec import MASK_CLASS_IDS as C

SHORT = {"volume": 1.3, "hairline": 1.0, "temples": 0.0}  # the most short hair sampled
FULL = {**SHORT, "length": 1.0}  # ... with the curtain (assets_pipeline.hair_curtain)


def _cap_faces(asset):
    """The shell's own faces (not the curtain's)."""
    from assets_pipeline.hair_curtain import curtain_vertices

    f = asset.faces[asset.face_part == PART_HAIR]
    return f[~curtain_vertices(asset)[f].any(axis=1)]


def test_loop_subdivision_is_affine_and_keeps_planes():
    grid = trimesh.creation.box().subdivide()  # closed
    S, faces = loop_subdivide(grid.faces, len(grid.vertices))
    assert len(faces) == 4 * len(grid.faces)
    np.testing.assert_allclose(np.asarray(S.sum(axis=1)).ravel(), 1.0)
    # An open, flat patch (boundary rules; a vertex where two rims touch) stays flat.
    flat = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [2, 1, 0], [2, 2, 0]], float)
    tris = np.array([[0, 1, 2], [1, 3, 2], [3, 4, 5]])
    S, faces = loop_subdivide(tris, len(flat))
    np.testing.assert_allclose(np.asarray(S.sum(axis=1)).ravel(), 1.0)
    np.testing.assert_allclose((S @ flat)[:, 2], 0.0)
    assert faces.max() < S.shape[0]


def test_shell_is_labelled_hair(asset):
    shell = asset.face_part == PART_HAIR
    assert asset.hair_names == HAIR_SHAPES
    assert shell.sum() > 1000
    assert (asset.face_region[shell] == C["hair"]).all()
    assert not asset.face_scalp[shell].any()
    # The shell is part of the head's prefix (vertices stay ordered top down).
    assert asset._extents["hair"].max() < 0.8 * asset.n_vertices


def test_hair_offsets_are_linear_and_checked(asset):
    a, _ = asset.identity_offsets({}, {}, {"volume": 0.5})
    b, _ = asset.identity_offsets({}, {}, {"volume": 1.0})
    z, _ = asset.identity_offsets({}, {}, {})
    np.testing.assert_allclose(b - a, a - z, atol=1e-6)
    assert np.abs(b - z).max() > 0.008  # the crown stands ~1 cm out
    with pytest.raises(AssetError, match="unknown hair shape"):
        asset.identity_offsets({}, {}, {"mohawk": 1.0})


@pytest.mark.parametrize(
    "shape", [{}, SHORT, {"volume": 0.45, "hairline": -1.0, "temples": 1.0}, FULL]
)
def test_shell_rim_stays_under_the_skin(asset, shape):
    """The shell's open rim never shows (the curtain's edges are hair ends and do)."""
    t = shell_thickness(asset, shape)
    rim = rim_vertices(_cap_faces(asset))
    assert len(rim) > 50
    assert t[rim].max() < -0.5 * INSET_M
    if not shape:  # no hair: the whole shell is hidden under the skin
        shell = np.unique(asset.faces[asset.face_part == PART_HAIR])
        np.testing.assert_allclose(t[shell], -INSET_M, atol=1e-7)


def test_shell_thickness_matches_the_geometry(asset):
    """shell_thickness (what the renderers feather with) is the shell vertices' distance
    from their own position without hair, minus the inset."""
    v0, _ = asset.identity_offsets({}, {}, {})
    v1, _ = asset.identity_offsets({}, {}, FULL)
    shell = np.unique(asset.faces[asset.face_part == PART_HAIR])
    t = shell_thickness(asset, FULL)
    moved = np.linalg.norm(v1[shell] - v0[shell], axis=1)
    np.testing.assert_allclose(np.abs(t[shell] + INSET_M), moved, atol=1e-6)


def test_shell_thickness_sign_where_temples_lead(asset):
    """Where the temples recession is the largest basis, the shell goes *into* the head:
    the signed thickness must say so (it picks which strands show in Cycles)."""
    shape = {"volume": 0.45, "hairline": -1.0, "temples": 1.0}
    v0, _ = asset.identity_offsets({}, {}, {})
    v1, _ = asset.identity_offsets({}, {}, shape)
    shell = np.unique(asset.faces[asset.face_part == PART_HAIR])
    centre = asset.template[shell].mean(axis=0)
    outward = np.sum((v1[shell] - v0[shell]) * (asset.template[shell] - centre), axis=1)
    t = shell_thickness(asset, shape)[shell] + INSET_M
    moved = np.abs(t) > 1e-4
    assert (outward[moved] < 0).sum() > 50  # the recession exists
    assert np.all(np.sign(t[moved]) == np.sign(outward[moved]))


def _front_hairline_above_brows(asset, shape) -> float:
    """Height (m) of the lowest midline forehead point where the hair is 2 mm thick,
    above the brows' top (landmarks 19, 24), at the template."""
    v = asset.template.astype(np.float64)
    brow_y = asset.landmarks(asset.template)[[19, 24], 1].mean()
    shell = np.unique(asset.faces[asset.face_part == PART_HAIR])
    front = shell[(np.abs(v[shell, 0]) < 0.01) & (v[shell, 2] < 0.02)]
    t = shell_thickness(asset, shape)[front]
    return float(brow_y - v[front[t > 0.002], 1].max())


def test_front_hairline_height_and_shift(asset):
    """A forehead of 4-6 cm above the brows (not the label's ~3 cm, a bowl cut); the
    hairline coefficient moves the hair's edge by about HAIRLINE_SHIFT_M per unit
    instead of adding a ledge of hair in front of it."""
    from assets_pipeline.hair_shell import HAIRLINE_SHIFT_M

    mid = _front_hairline_above_brows(asset, {"volume": 1.0})
    low = _front_hairline_above_brows(asset, {"volume": 1.0, "hairline": 1.0})
    high = _front_hairline_above_brows(asset, {"volume": 1.0, "hairline": -1.0})
    assert 0.04 < mid < 0.06
    assert 0.4 * HAIRLINE_SHIFT_M < mid - low < 1.6 * HAIRLINE_SHIFT_M
    assert 0.4 * HAIRLINE_SHIFT_M < high - mid < 1.6 * HAIRLINE_SHIFT_M


def test_flow_coordinates_follow_the_strands(asset):
    """The shell's flow u (Cycles' shading tangent) grows along the strands, away from
    the crown, so the highlight and streaks run the way the hair grows."""
    from synth.render.cycles_scalp import flow_uv, grow_shell_strands

    uv = flow_uv(asset)
    shell = asset.face_part == PART_HAIR
    assert np.all(uv[~shell] == 0) and np.ptp(uv[shell][..., 0]) > 0.1
    strands = grow_shell_strands(asset)
    # u at each strand point: the mean of its triangle's corner u (faces are small).
    u = uv[strands.tri][..., 0].mean(axis=-1)  # (S,P)
    du = np.diff(u, axis=1)
    assert np.mean(du > 0) > 0.8


def _render(asset, small_config, hair: bool):
    from synth.render import get_renderer
    from synth.sampling import sample_spec

    spec = sample_spec(small_config, 0, 0, local_names=asset.local_names)
    ident = spec.identity.model_copy(
        update={"has_hair": hair, "hair_shape": FULL if hair else dict.fromkeys(HAIR_SHAPES, 0)}
    )
    pose = spec.head_pose.model_copy(update={"yaw_deg": 0.0, "pitch_deg": 0.0, "roll_deg": 0.0})
    spec = spec.model_copy(update={"identity": ident, "head_pose": pose})
    with get_renderer("fast")(asset) as r:
        return r.render(spec)


def test_hair_is_in_depth_and_mask_only_with_hair(asset, small_config):
    bald = _render(asset, small_config, hair=False)
    hairy = _render(asset, small_config, hair=True)
    assert not (bald.mask == C["hair"]).any()
    hair = hairy.mask == C["hair"]
    assert hair.sum() > 30
    # Where the hair is, the labelled surface is nearer the camera than the bald scalp,
    # and the hair widens the head's silhouette.
    both = hair & (bald.depth > 0)
    assert (hairy.depth[both] < bald.depth[both]).mean() > 0.95
    fg = lambda r: (r.mask != C["background"]) & (r.mask != C["scene"])  # noqa: E731
    assert fg(hairy).sum() > fg(bald).sum()


def test_sampled_hair_shape(small_config):
    from synth.sampling import sample_identity

    idents = [sample_identity(small_config, 3, i, local_names=[]) for i in range(40)]
    for ident in idents:
        assert set(ident.hair_shape) == set(HAIR_SHAPES)
        if not ident.has_hair:
            assert not any(ident.hair_shape.values())
        else:
            assert 0.45 <= ident.hair_shape["volume"] <= 1.3
    assert idents[7] == sample_identity(small_config, 3, 7, local_names=[])


def test_scalp_strands_lie_on_the_shell(asset):
    from synth.render.cycles_scalp import FRIZZ_M, grow_shell_strands, rooted_in_hair

    strands = grow_shell_strands(asset)
    v, _ = asset.evaluate(phenotypes={"gender": 0.9}, hair_shape=FULL)
    shown = np.ones(len(strands), bool)
    pts = strands.positions(v, asset.faces, shown)
    mesh = trimesh.Trimesh(v, asset.faces[asset.face_part == PART_HAIR], process=False)
    sample = pts[:: max(1, len(strands) // 400)].reshape(-1, 3)
    _, dist, _ = trimesh.proximity.closest_point(mesh, sample)
    # The strands stay within ~2 mm of the labelled shell, frizzed tips FRIZZ_M further:
    # each point no further than its own height over its triangle.
    assert dist.max() < 0.0025 + FRIZZ_M
    height = np.abs(strands.height[:: max(1, len(strands) // 400)]).reshape(-1)
    assert np.all(dist <= height + 1e-5)  # float32 points
    assert np.mean(dist < 0.0025) > 0.75
    bald = shell_thickness(asset, {})
    assert not rooted_in_hair(strands, asset.faces, bald).any()
    assert rooted_in_hair(strands, asset.faces, shell_thickness(asset, FULL)).mean() > 0.5


def test_hairline_is_a_density_gradient(asset):
    """Strands thin out across the hairline: none where the shell lies FRINGE_M under the
    skin, all where it stands DENSE_M out, and a share rising with the thickness between
    (before 0.10.0: all strands from 0.4 mm out, a cap's edge)."""
    from synth.render.cycles_scalp import DENSE_M, FRINGE_M, grow_shell_strands, rooted_in_hair

    strands = grow_shell_strands(asset)
    t = shell_thickness(asset, SHORT)
    root_t = np.einsum("sk,sk->s", strands.bary[:, 0], t[asset.faces[strands.tri[:, 0]]])
    shown = rooted_in_hair(strands, asset.faces, t)
    assert not shown[root_t <= -FRINGE_M].any()
    assert shown[root_t >= DENSE_M].all()
    edges = np.linspace(-FRINGE_M, DENSE_M, 5)
    share = [
        shown[(root_t > lo) & (root_t <= hi)].mean()
        for lo, hi in zip(edges[:-1], edges[1:], strict=True)
    ]
    assert all(np.diff(share) > 0), share
    assert 0.0 < share[0] < 0.2 and 0.8 < share[-1] < 1.0, share


def test_strands_past_the_hairline_lie_on_the_skin(asset):
    """Strand points over shell that is just under the skin are lifted onto the skin: they
    end up outside it (within ~2.5 mm, frizzed tips FRIZZ_M further), never under it."""
    from synth.render.cycles_scalp import (
        FRIZZ_M,
        SKIN_CLEARANCE_M,
        grow_shell_strands,
        rooted_in_hair,
        skin_lift,
    )

    strands = grow_shell_strands(asset)
    t = shell_thickness(asset, SHORT)
    v, _ = asset.evaluate(hair_shape=SHORT)
    lift = skin_lift(strands, asset.faces, t)
    shown = rooted_in_hair(strands, asset.faces, t)
    pts = strands.positions(v, asset.faces, shown, lift=lift)
    on_skin = pts[shown][lift[shown] > 0]
    assert len(on_skin) > 100
    skin = asset.faces[(asset.face_part == 0) & (asset.face_region != C["hair"])]
    mesh = trimesh.Trimesh(v, skin, process=False)
    sample = on_skin[:: max(1, len(on_skin) // 500)]
    closest, dist, tri = trimesh.proximity.closest_point(mesh, sample)
    outward = np.einsum("ij,ij->i", sample - closest, mesh.face_normals[tri])
    assert dist.max() < 0.0025 + FRIZZ_M  # frizzed tips stand off further
    # The skin's winding normal may point in or out: (nearly) every point lies on one side
    # of it, and none deeper than a strand's radius on the other.
    side = np.sign(np.median(outward))
    assert (np.sign(outward) == side).mean() > 0.98
    assert (outward * side).min() > -1e-4
    # Without the lift, many of them lie under the skin (hidden: the old cap edge).
    deep = lift[shown] > SKIN_CLEARANCE_M + 1e-4
    sunk = strands.positions(v, asset.faces, shown)[shown][deep]
    sunk = sunk[:: max(1, len(sunk) // 500)]
    c2, _, tri2 = trimesh.proximity.closest_point(mesh, sunk)
    sunk_side = np.sign(np.einsum("ij,ij->i", sunk - c2, mesh.face_normals[tri2]))
    assert (sunk_side == -side).mean() > 0.3


def test_parted_hair_runs_away_from_the_side_parting(asset):
    """Bob identities get strands that flow away from a side parting on top of the head
    (``parting``), left of it to the left and right of it to the right; the parting's
    coordinates are linear over the shell and zero on its plane."""
    from synth.render.cycles_scalp import (
        PARTING_X_M,
        full_hair,
        grow_shell_strands,
        parting,
        parting_coords,
    )

    front, back = parting(asset)
    assert front[2] < back[2] - 0.05  # front to back over the top of the head
    assert abs(front[0] - PARTING_X_M) < 0.006
    lm = asset.landmarks(asset.template)
    assert front[1] < lm[17:27, 1].min() - 0.03  # well above the brows
    coords = parting_coords(asset)
    shell = np.unique(asset.faces[asset.face_part == PART_HAIR])
    v = full_hair(asset)[shell]
    A = np.c_[v, np.ones(len(v))]
    coef, *_ = np.linalg.lstsq(A, coords[shell, :2].astype(np.float64), rcond=None)
    np.testing.assert_allclose(A @ coef, coords[shell, :2], atol=1e-5)  # linear: exact
    for point, along in ((front, 0.0), (back, 1.0)):
        np.testing.assert_allclose(np.r_[point, 1.0] @ coef, [0.0, along], atol=1e-6)

    strands = grow_shell_strands(asset, seed=17, parted=True)
    from assets_pipeline.hair_curtain import curtain_vertices

    on_curtain = curtain_vertices(asset)[asset.faces[strands.tri[:, 0]]].any(axis=1)
    assert not on_curtain.any()  # the bob's sheet has no strands (glitter at 640x480)
    pts = strands.positions(full_hair(asset), asset.faces, np.ones(len(strands), bool))
    root, tip = pts[:, 0].astype(np.float64), pts[:, -1].astype(np.float64)
    normal = np.cross(back - front, [0.0, 1.0, 0.0])
    normal /= np.linalg.norm(normal)
    offset = (root - front) @ normal
    t = (root - front) @ (back - front) / float((back - front) @ (back - front))
    top = (np.abs(offset) > 0.015) & (t > 0.1) & (t < 0.9) & (root[:, 1] < front[1] + 0.02)
    assert top.sum() > 500
    away = np.sign((tip - root)[top] @ normal) == np.sign(offset[top])
    assert away.mean() > 0.85
    # The crown flow (short hair) does not part there: about as many cross it as not.
    crown = grow_shell_strands(asset)
    cpts = crown.positions(full_hair(asset), asset.faces, np.ones(len(crown), bool))
    c_root, c_tip = cpts[:, 0].astype(np.float64), cpts[:, -1].astype(np.float64)
    c_off = (c_root - front) @ normal
    c_t = (c_root - front) @ (back - front) / float((back - front) @ (back - front))
    c_top = (np.abs(c_off) > 0.015) & (c_t > 0.1) & (c_t < 0.9) & (c_root[:, 1] < front[1] + 0.02)
    c_away = np.sign((c_tip - c_root)[c_top] @ normal) == np.sign(c_off[c_top])
    assert c_away.mean() < away.mean() - 0.15, (c_away.mean(), away.mean())


def test_flyaways_come_in_patches(asset):
    """Frizzed strands (tips off the shell) are dense in some places and rare in others:
    an even share drew a halo round short crops."""
    from scipy.spatial import cKDTree

    from synth.render.cycles_scalp import FRIZZ_SHARE, grow_shell_strands

    strands = grow_shell_strands(asset)
    v, _ = asset.evaluate(phenotypes={"gender": 0.9}, hair_shape=FULL)
    roots = strands.roots(v, asset.faces)
    frizzed = np.abs(strands.height[:, -1]) > 0.0004  # an unfrizzed tip lies 0.3 mm out
    assert abs(frizzed.mean() - FRIZZ_SHARE) < 0.1
    tree = cKDTree(roots)
    probe = np.random.default_rng(0).choice(len(roots), 300, replace=False)
    share = np.array([frizzed[tree.query_ball_point(roots[i], 0.008)].mean() for i in probe])
    assert np.percentile(share, 10) < 0.25 and np.percentile(share, 90) > 0.75
