"""Per-vertex and per-face shading data of the head for the Cycles renderer (numpy only).

Computed once per renderer from the HeadAsset topology and its neutral template; the
shaders read them as mesh attributes (see synth.render.cycles_materials):

- material slot per face (``material_slots``), from ``face_part`` and ``face_region``;
- scalp, clothing, lash-line and beard-area weights per vertex (``cover_weights``), which
  the "body" material blends skin, hair, cloth and stubble with;
- smoothed region weights per vertex (``region_weights``): lips, flush (nose, ears,
  cheeks), brows, eyelids, so tints fade over a few millimetres instead of stopping at
  triangle edges;
- ``detail_uv``: the asset's UVs with every UV island rescaled to the face's texel density,
  so procedural skin and cloth detail has the same size in millimetres on the body as on
  the face (MakeHuman packs the body island about twice as densely);
- ``iris_coords``: iris-plane coordinates (units of the iris radius) of the eyeball
  vertices, centred on the eye's level gaze point: linear in position, so their
  interpolation over the asset's coarse eyeball triangles is exact and the shader draws
  round pupils, rings and radial fibres;
- ``Cavity``: per sample, each vertex's concavity on the posed mesh (creases > 0), which
  the skin shader darkens (cycles_materials.CAVITY_SHADE).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from assets_pipeline.hair_shell import PART_HAIR
from assets_pipeline.head_asset import PART_SKIN, PART_TEETH, PART_TONGUE, HeadAsset
from synth.render.cycles_eye import IRIS_RADIUS_M
from synth.render.cycles_materials import HEAD_SLOTS
from synth.render.shading import vertex_normals
from synth.spec import MASK_CLASS_IDS as C

SLOT = {name: i for i, name in enumerate(HEAD_SLOTS)}
PART_SCLERA, PART_CLOTHING, PART_IRIS, PART_PUPIL = 1, 4, 5, 6
CHEEK_SIGMA_M = 0.016  # radius of the cheek flush blob
UNDER_EYE = 0.8  # the under-eye band's share of the eyelid tint (region_weights)
UNDER_EYE_M = (0.004, 0.004)  # its centre below the lower lid and its half-width (m)
LASH_WIDTH_M = 0.0018  # width of the painted lash line along the lid margin


def material_slots(asset: HeadAsset) -> np.ndarray:
    """(F,) int32 index into HEAD_SLOTS for every head triangle. Skin and scalp hair
    share the "body" slot: the shader blends them with ``cover_weights`` so the hairline
    is a smooth curve rather than triangle edges; clothing has its own slot (the asset's
    collar is a clean plane cut); one eye material draws sclera, iris and pupil
    (``iris_coords`` covers the whole eyeball)."""
    part, region = asset.face_part, asset.face_region
    slot = np.full(len(part), SLOT["body"], np.int32)
    slot[(part == 0) & (region == C["mouth_interior"])] = SLOT["mouth"]
    for code, name in (
        (PART_SCLERA, "eye"),
        (PART_IRIS, "eye"),
        (PART_PUPIL, "eye"),
        (PART_TEETH, "teeth"),
        (PART_TONGUE, "mouth"),
        (PART_CLOTHING, "cloth"),
        (PART_HAIR, "hair"),
    ):
        slot[part == code] = SLOT[name]
    return slot


def cover_weights(asset: HeadAsset) -> np.ndarray:
    """(V,4) float32: share of scalp (painted as hair when the identity has hair and the
    asset no hair shell; 0 with a shell) among each vertex's faces (its 0.5 iso-line
    follows the labelled triangle boundary, smoothed); 1 on
    vertices that touch clothing, else 0 (so it fades over one triangle next to the
    collar); lash-line weight (``lash_weights``); beard area (``beard_weights``)."""
    faces, n = asset.faces, asset.n_vertices
    scalp = face_to_vertex(faces, n, asset.face_scalp.astype(np.float64))
    if asset.has_hair_shell:  # the shell is the hair; the scalp under it stays skin
        scalp[:] = 0.0
    cloth = np.zeros(n)
    cloth[np.unique(faces[asset.face_part == PART_CLOTHING])] = 1.0
    cover = [scalp, cloth, lash_weights(asset), beard_weights(asset)]
    return np.stack(cover, axis=1).astype(np.float32)


def beard_weights(asset: HeadAsset, smooth_iters: int = 3) -> np.ndarray:
    """(V,) beard-area weight in [0,1] for painted stubble: skin of the lower face in
    front of the ears, inside the frontal outline of the jaw (iBUG landmarks 2-14), the
    lateral cheeks and the nose base (31-35), lips excluded; smoothed over vertices."""
    from matplotlib.path import Path as Outline

    faces, n = asset.faces, asset.n_vertices
    v = asset.template.astype(np.float64)
    lm = asset.landmarks(asset.template).astype(np.float64)
    cheek_l, cheek_r = (lm[1] + lm[31]) / 2, (lm[15] + lm[35]) / 2
    ring = np.concatenate([lm[2:15], cheek_r[None], lm[35:30:-1], cheek_l[None]])
    inside = Outline(ring[:, :2]).contains_points(v[:, :2])
    front = v[:, 2] < max(lm[2, 2], lm[14, 2]) + 0.01
    skin = (asset.face_part == 0) & ~np.isin(asset.face_region, [C["upper_lip"], C["lower_lip"]])
    w = face_to_vertex(faces, n, skin.astype(np.float64)) * (inside & front)
    adj = _vertex_adjacency(faces, n)
    for _ in range(smooth_iters):
        w = adj @ w
    return np.clip(w * 1.3, 0.0, 1.0)


def lash_weights(asset: HeadAsset) -> np.ndarray:
    """(V,) lid-margin weight: skin within ~2 mm of the front of an eyeball, full on the
    upper lid, 40 % on the lower one -- a painted lash line (the asset has no lash cards)."""
    from scipy.spatial import cKDTree

    faces, part, v = asset.faces, asset.face_part, asset.template.astype(np.float64)
    w = np.zeros(len(v))
    eye_v = np.unique(faces[np.isin(part, [PART_SCLERA, PART_IRIS, PART_PUPIL])])
    skin_v = np.unique(faces[part == 0])
    if len(eye_v) == 0:
        return w
    dist, _ = cKDTree(v[eye_v]).query(v[skin_v])
    for side in (-1.0, 1.0):
        ev = eye_v[np.sign(v[eye_v, 0]) == side]
        if len(ev) == 0:
            continue
        centre = v[ev].mean(axis=0)
        own = np.sign(v[skin_v, 0]) == side
        front = v[skin_v, 2] < centre[2]
        upper = np.where(v[skin_v, 1] < centre[1], 1.0, 0.4)
        wk = np.exp(-((dist / LASH_WIDTH_M) ** 2)) * upper * (own & front)
        w[skin_v] = np.maximum(w[skin_v], wk)
    return w


def _vertex_adjacency(faces: np.ndarray, n: int) -> sp.csr_matrix:
    """Row-normalised vertex adjacency (including self) from triangles."""
    i = np.concatenate([faces[:, 0], faces[:, 1], faces[:, 2], np.arange(n)])
    j = np.concatenate([faces[:, 1], faces[:, 2], faces[:, 0], np.arange(n)])
    a = sp.coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n)).tocsr()
    a = ((a + a.T) > 0).astype(np.float64)
    deg = np.asarray(a.sum(axis=1)).ravel()
    return sp.diags(1.0 / deg) @ a


def face_to_vertex(faces: np.ndarray, n: int, face_value: np.ndarray) -> np.ndarray:
    """Mean of ``face_value`` over each vertex's incident faces."""
    num = np.bincount(faces.ravel(), np.repeat(face_value, 3), minlength=n)
    den = np.bincount(faces.ravel(), minlength=n)
    return num / np.maximum(den, 1)


class Cavity:
    """Per-vertex concavity (metres) of meshes with the topology ``faces``: the mean of
    each vertex's one-ring and itself, minus the vertex, along its area-weighted normal
    (synth.render.shading.vertex_normals; outward for the asset's winding), smoothed over
    two rings. > 0 in creases (lid folds, alar grooves, the lip line, mouth corners, ear
    folds), < 0 on convex skin; computed on the posed vertices, so expression folds count
    too (~3 ms)."""

    def __init__(self, faces: np.ndarray, n_vertices: int):
        self.faces = np.asarray(faces, np.int64)
        self.ring = _vertex_adjacency(self.faces, n_vertices)

    def __call__(self, verts: np.ndarray) -> np.ndarray:
        v = np.asarray(verts, np.float64)
        normals = vertex_normals(v, self.faces, np.float64)
        cav = np.einsum("ij,ij->i", self.ring @ v - v, normals)
        return (self.ring @ (self.ring @ cav)).astype(np.float32)


def corner_frames(
    verts: np.ndarray, faces: np.ndarray, sharp_deg: float
) -> tuple[np.ndarray, np.ndarray]:
    """Position and unit shading normal of every triangle corner, (3M,3) float64 each,
    in Blender's loop order (face-major). A corner's normal is the area-weighted mean of
    the normals of the faces round its vertex that lie within ``sharp_deg`` of its own
    face (as ``set_sharp_from_angle`` shades: a box keeps flat sides, a sphere is smooth)."""
    v = np.asarray(verts, np.float64)
    f = np.asarray(faces, np.intp)
    fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])  # area-weighted
    unit = fn / np.maximum(np.linalg.norm(fn, axis=1, keepdims=True), 1e-15)
    # Faces round each vertex, padded with -1: (V, max valence).
    vert_of, face_of = f.ravel(), np.repeat(np.arange(len(f)), 3)
    order = np.argsort(vert_of, kind="stable")
    counts = np.bincount(vert_of, minlength=len(v))
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.arange(len(order)) - start[vert_of[order]]
    ring = np.full((len(v), max(int(counts.max()), 1)), -1, np.intp)
    ring[vert_of[order], rank] = face_of[order]
    g = ring[vert_of]  # (3M, K) faces round each corner's vertex
    own = unit[face_of]  # (3M, 3)
    keep = (g >= 0) & (np.einsum("ckd,cd->ck", unit[g], own) > np.cos(np.radians(sharp_deg)))
    normals = np.einsum("ck,ckd->cd", keep.astype(np.float64), fn[g])
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-15)
    return v[vert_of], normals


def region_weights(asset: HeadAsset, smooth_iters: int = 2) -> np.ndarray:
    """(V,4) float32 weights in [0,1]: lips, flush, brow, eyelid (RGBA of ``regions``); the
    eyelid weight also covers the skin under the eyes (``_under_eyes``)."""
    faces, region, part = asset.faces, asset.face_region, asset.face_part
    n = asset.n_vertices
    skin = part == 0
    sel = {
        "lips": np.isin(region, [C["upper_lip"], C["lower_lip"]]),
        "flush": np.isin(region, [C["nose"], C["left_ear"], C["right_ear"]]),
        "brow": np.isin(region, [C["left_brow"], C["right_brow"]]),
        "lid": skin & np.isin(region, [C["left_eye"], C["right_eye"]]),
    }
    adj = _vertex_adjacency(faces, n)
    out = []
    for key, faces_in in sel.items():
        w = face_to_vertex(faces, n, (faces_in & skin).astype(np.float64))
        for _ in range(smooth_iters):
            w = adj @ w
        if key == "flush":
            w = 0.6 * w + _cheeks(asset)
        w = np.clip(w * 1.3, 0.0, 1.0)
        if key == "lid":
            w = np.maximum(w, UNDER_EYE * _under_eyes(asset))
        out.append(w)
    return np.stack(out, axis=1).astype(np.float32)


def _under_eyes(asset: HeadAsset) -> np.ndarray:
    """(V,) weight in [0,1] of the skin under each eye (the lower lid and the tear trough):
    a band UNDER_EYE_M[0] below the lower-lid landmarks' curve (front view, 40-41 /
    46-47 with the eye corners), UNDER_EYE_M[1] wide, across the eye's width and fading
    past its corners, strongest at the inner corner. There the skin is thinner and darker
    (pigment and the vessels beneath): without it the face had one tone from the lashes
    to the cheek, which flattened the eyes."""
    lm = asset.landmarks(asset.template).astype(np.float64)
    v = asset.template.astype(np.float64)
    w = np.zeros(len(v))
    for outer, lower, inner in ((36, (41, 40), 39), (45, (46, 47), 42)):
        curve = lm[[outer, *lower, inner]]
        curve = curve[np.argsort(curve[:, 0])]
        x0, x1 = curve[0, 0], curve[-1, 0]
        lid_y = np.interp(v[:, 0], curve[:, 0], curve[:, 1])
        below = v[:, 1] - lid_y  # y down: > 0 below the lid
        band = np.exp(-0.5 * ((below - UNDER_EYE_M[0]) / UNDER_EYE_M[1]) ** 2) * (below > 0)
        width = x1 - x0
        past = np.maximum(np.maximum(x0 - v[:, 0], v[:, 0] - x1), 0.0)
        along = np.clip((v[:, 0] - lm[inner, 0]) / (lm[outer, 0] - lm[inner, 0]), 0.0, 1.0)
        front = v[:, 2] < lm[[outer, inner], 2].max() + 0.01
        w += band * np.exp(-0.5 * (past / (0.2 * width)) ** 2) * (1.0 - 0.5 * along) * front
    return np.clip(w, 0.0, 1.0)


def _cheeks(asset: HeadAsset) -> np.ndarray:
    """Gaussian blobs on both cheeks (between the jaw, the nostril and the lower lid)."""
    lm = asset.landmarks(asset.template).astype(np.float64)
    v = asset.template.astype(np.float64)
    w = np.zeros(len(v))
    for jaw, nose, lid in ((2, 31, 41), (14, 35, 46)):
        c = (lm[jaw] + lm[nose] + lm[lid]) / 3.0
        d2 = np.sum((v - c) ** 2, axis=1)
        w += 0.8 * np.exp(-d2 / (2 * CHEEK_SIGMA_M**2))
    return w


def uv_islands(faces: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """(F,) island id: faces are in one island when they share a vertex with the same UV."""
    from scipy.sparse.csgraph import connected_components

    corner_key = np.concatenate([faces.reshape(-1, 1), np.round(uv.reshape(-1, 2) * 1e6)], 1)
    _, node = np.unique(corner_key, axis=0, return_inverse=True)
    node = node.reshape(-1, 3)
    n = int(node.max()) + 1
    rows = np.concatenate([node[:, 0], node[:, 1]])
    cols = np.concatenate([node[:, 1], node[:, 2]])
    graph = sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    return comp[node[:, 0]]


def detail_uv(asset: HeadAsset) -> np.ndarray:
    """(F,3,2) float32 UVs, each island scaled about its centre so its median metres per
    UV unit equals that of the face skin's island (whose UVs are left unchanged)."""
    faces, uv = asset.faces, asset.uv.astype(np.float64)
    v = asset.template.astype(np.float64)[faces]
    area = 0.5 * np.linalg.norm(np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0]), axis=1)
    e1, e2 = uv[:, 1] - uv[:, 0], uv[:, 2] - uv[:, 0]
    uv_area = 0.5 * np.abs(e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0])
    ok = uv_area > 1e-12
    density = np.where(ok, np.sqrt(area / np.where(ok, uv_area, 1.0)), np.nan)
    island = uv_islands(faces, asset.uv)
    skin = (asset.face_part == 0) & (asset.face_region == C["skin"])
    ref = np.nanmedian(density[island == np.bincount(island[skin]).argmax()])
    out = uv.copy()
    for i in np.unique(island):
        sel = island == i
        d = np.nanmedian(density[sel]) if np.isfinite(density[sel]).any() else ref
        centre = uv[sel].reshape(-1, 2).mean(axis=0)
        out[sel] = centre + (uv[sel] - centre) * (d / ref)
    return out.astype(np.float32)


def iris_coords(asset: HeadAsset) -> np.ndarray:
    """(V,3) float32: for every eyeball vertex (sclera, iris, pupil), (x, y, z) in the frame
    of its eye's iris plane (least-squares fit to the iris vertices), origin at the eye's
    level gaze point (``assets_pipeline.makehuman.gaze_point``: straight ahead of the
    eyeball's centre), x along the head's x axis, z along the plane's normal towards the
    front; in units of the iris radius ``IRIS_RADIUS_M``; zeros elsewhere.

    Linear in position, so Cycles' interpolation over the coarse eyeball is exact and the
    eye shader draws a round iris wherever r = |(x, y)| < 1 on the front (z > -1): on the
    sclera's triangles too, since the asset's iris faces end in an octagon (r 0.88-0.95)."""
    from assets_pipeline.makehuman import gaze_point

    faces, part = asset.faces, asset.face_part
    v = asset.template.astype(np.float64)
    out = np.zeros((len(v), 3), np.float32)
    iris_v = np.unique(faces[np.isin(part, [PART_IRIS, PART_PUPIL])])
    ball_v = np.unique(faces[np.isin(part, [PART_SCLERA, PART_IRIS, PART_PUPIL])])
    for side in (-1.0, 1.0):
        iv = iris_v[np.sign(v[iris_v, 0]) == side]
        bv = ball_v[np.sign(v[ball_v, 0]) == side]
        if len(iv) < 3:
            continue
        gaze = gaze_point(v, bv)
        d = v[iv] - gaze
        normal = np.linalg.svd(d - d.mean(axis=0))[2][2]
        normal = -normal if normal[2] > 0 else normal  # the face looks towards -z
        e1 = np.array([1.0, 0.0, 0.0]) - normal[0] * normal
        e1 /= np.linalg.norm(e1)
        e2 = np.cross(normal, e1)
        d = v[bv] - gaze
        out[bv] = np.c_[d @ e1, d @ e2, d @ normal] / IRIS_RADIUS_M
    return out


# Expression and age lines (synth.render.cycles_materials "wrinkles"): sizes in metres on
# the template (an adult face), iBUG-68 landmark indices.
GLABELLA_OFFSET_M = 0.0045  # the two vertical lines between the brows, off the midline
CROW_CENTRE_IN_M = 0.004  # crow's feet fan out from just inside the outer eye corner


def _signed_curve_distance(p: np.ndarray, curve: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Signed distance (m) of 2D points ``p`` (N,2) to the polyline ``curve`` (K,2)
    extended straight beyond its ends (positive on the curve's left of its direction),
    and the arc-length parameter of the nearest point (0 at the start, 1 at the end)."""
    seg = np.diff(curve, axis=0)
    length = np.linalg.norm(seg, axis=1)
    cum = np.r_[0.0, np.cumsum(length)]
    d = p[:, None, :] - curve[None, :-1, :]
    t = np.einsum("nkd,kd->nk", d, seg) / length**2
    first, last = np.zeros_like(t), np.ones_like(t)
    first[:, 0], last[:, -1] = -np.inf, np.inf  # the end segments extend as straight lines
    t = np.clip(t, first, last)
    foot = curve[None, :-1, :] + t[..., None] * seg[None]
    dist = np.linalg.norm(p[:, None, :] - foot, axis=2)
    k = np.argmin(dist, axis=1)
    rows = np.arange(len(p))
    cross = seg[k, 0] * (p[:, 1] - foot[rows, k, 1]) - seg[k, 1] * (p[:, 0] - foot[rows, k, 0])
    along = (cum[k] + t[rows, k] * length[k]) / cum[-1]
    return np.sign(cross) * dist[rows, k], along


def wrinkle_coords(asset: HeadAsset) -> tuple[np.ndarray, np.ndarray]:
    """Two (V,3) float32 fields of smooth coordinates on the template, from which the
    skin shader draws expression and age lines as grooves (bump and a little shade):

    - ``wrinkle_a``: (nasolabial across, nasolabial along, forehead height): signed
      front-view distance (m) to the fold's curve on the vertex's side of the face (from
      beside the nose wing, past the mouth corner, to below it) and the curve parameter
      (0..1); height (m) above the brow line;
    - ``wrinkle_b``: (glabella across, crow's-feet angle, crow's-feet radius): |x| minus
      GLABELLA_OFFSET_M; the angle (rad, 0 pointing outwards, positive up) and radius (m)
      about a point just inside the vertex side's outer eye corner.

    Each is smooth (linear within a triangle up to the curve's bends), so the grooves
    are sharper than the asset's ~4 mm triangles. Vertices off the skin get values far
    outside every line's band."""
    v = asset.template.astype(np.float64)
    lm = asset.landmarks(asset.template).astype(np.float64)
    xy = v[:, :2]
    side = np.where(v[:, 0] >= 0.0, 1, 0)  # 0: image left (landmarks 31, 48, 36), 1: right
    a = np.full((len(v), 3), 1.0)
    b = np.full((len(v), 3), 1.0)
    for s, (wing, corner, eye_out, eye_in) in enumerate(((31, 48, 36, 39), (35, 54, 45, 42))):
        sel = side == s
        out = np.sign(lm[corner, 0] - lm[33, 0])  # outwards in x on this side
        curve = np.array([
            lm[wing, :2] + [out * 0.006, -0.006],
            lm[wing, :2] + [out * 0.011, 0.004],
            lm[corner, :2] + [out * 0.009, -0.002],
            lm[corner, :2] + [out * 0.008, 0.012],
        ])  # fmt: skip
        across, along = _signed_curve_distance(xy[sel], curve)
        a[sel, 0], a[sel, 1] = across, along
        centre = lm[eye_out, :2] + (lm[eye_in, :2] - lm[eye_out, :2]) * (
            CROW_CENTRE_IN_M / np.linalg.norm(lm[eye_in, :2] - lm[eye_out, :2])
        )
        d = xy[sel] - centre
        # y points down in the head frame: "up" is -y; the angle is 0 straight outwards.
        b[sel, 1] = np.arctan2(-d[:, 1], out * d[:, 0])
        b[sel, 2] = np.linalg.norm(d, axis=1)
    brow_y = np.interp(v[:, 0], lm[17:27, 0], lm[17:27, 1])
    a[:, 2] = brow_y - v[:, 1]
    b[:, 0] = np.abs(v[:, 0] - lm[27, 0]) - GLABELLA_OFFSET_M
    off = asset.face_part != 0
    off_v = np.zeros(len(v), bool)
    off_v[asset.faces[off].ravel()] = True
    on_v = np.zeros(len(v), bool)
    on_v[asset.faces[~off].ravel()] = True
    far = off_v & ~on_v
    a[far], b[far] = 1.0, 1.0
    return a.astype(np.float32), b.astype(np.float32)


# The upper lid's crease (supratarsal fold; ``lid_crease_coords``): at CREASE_HEIGHT_M above
# the open lid's margin over the eye, lower towards the corners, running on a little past
# the outer corner; the shader darkens a groove CREASE_WIDTH_M wide along it.
CREASE_HEIGHT_M = 0.006
CREASE_END_M = (0.003, 0.002)  # height above the outer / inner corner
CREASE_PAST_OUTER_M = 0.003
# The upper lash line (``lid_crease_coords``' third component): lashes rooted in a dense
# row along the lid margin read as a dark line in a photograph, thickest at the outer
# corner; its width above the margin (front view) at the outer / inner corner. Much of
# it falls on the margin's rounded rim, so the camera sees ~1 mm of dark line.
LASH_LINE_M = (0.0022, 0.001)


def lid_crease_coords(asset: HeadAsset) -> np.ndarray:
    """(V,3) float32 ``crease`` field on the template: (signed front-view distance (m) to
    the crease curve of the vertex side's upper lid, its window (1 along the lid, 0 past
    the ends and off the skin), the front-view height above the lid margin -- the
    upper-lid landmark curve -- over the lash line's width there (``LASH_LINE_M``; 10 off
    the lid)). The crease curve follows the upper-lid landmarks (36-39 / 42-45) raised
    by CREASE_HEIGHT_M (CREASE_END_M at the corners). The field moves with the skin, so a
    blink or a squint carries crease and lash line along; like the wrinkle coordinates
    it is interpolated within a triangle, so the lines are sharper than the triangles."""
    v = asset.template.astype(np.float64)
    lm = asset.landmarks(asset.template).astype(np.float64)
    xy = v[:, :2]
    out = np.zeros((len(v), 3))
    out[:, 0], out[:, 2] = 1.0, 10.0
    for lid in ((36, 37, 38, 39), (45, 44, 43, 42)):  # outer corner .. inner corner
        outer, a, b, inner = (lm[k, :2] for k in lid)
        away = np.sign(outer[0] - inner[0])  # outwards in x on this side
        # y points down in the head frame: "up" is -y.
        curve = np.array([
            outer + [away * CREASE_PAST_OUTER_M, -CREASE_END_M[0]],
            a + [0.0, -CREASE_HEIGHT_M],
            b + [0.0, -CREASE_HEIGHT_M],
            inner + [-away * 0.001, -CREASE_END_M[1]],
        ])  # fmt: skip
        sel = np.sign(v[:, 0] - lm[27, 0]) == np.sign(outer[0] - lm[27, 0])
        across, along = _signed_curve_distance(xy[sel], curve)
        window = np.clip(np.minimum(along, 1.0 - along) / 0.12, 0.0, 1.0)
        # Only near the lid: within a centimetre of the curve (the groove is nothing
        # further out); past the curve's ends (along < 0 or > 1) the window is 0.
        window *= np.abs(across) < 0.01
        out[sel, 0], out[sel, 1] = across, window
        # The lash line: height above the lid margin (the landmark curve itself) in units
        # of the line's width there, LASH_LINE_M[0] at the outer corner narrowing to
        # LASH_LINE_M[1] at the inner one; 10 (no line) past the corners or far off.
        margin = np.array([outer, a, b, inner])
        m_across, m_along = _signed_curve_distance(xy[sel], margin)
        above, _ = _signed_curve_distance(((a + b) / 2 + [0.0, -0.001])[None], margin)
        width = LASH_LINE_M[0] + (LASH_LINE_M[1] - LASH_LINE_M[0]) * np.clip(m_along, 0, 1)
        near = (m_along >= 0.0) & (m_along <= 1.0) & (np.abs(m_across) < 0.005)
        out[sel, 2] = np.where(near, m_across * np.sign(above[0]) / width, 10.0)
    skin = np.zeros(len(v), bool)
    skin[asset.faces[asset.face_part == PART_SKIN].ravel()] = True
    out[~skin] = (1.0, 0.0, 10.0)
    return out.astype(np.float32)


def eyeball_vertices(asset: HeadAsset) -> tuple[np.ndarray, np.ndarray]:
    """Vertex indices of the two eyeballs (sclera, iris, pupil): (image-left eye, whose lid
    landmarks are 36-39; image-right eye, 42-45), split by the template's x sign."""
    ball = np.unique(asset.faces[np.isin(asset.face_part, [PART_SCLERA, PART_IRIS, PART_PUPIL])])
    x = asset.template[ball, 0]
    return ball[x < 0], ball[x >= 0]


def below_upper_lid(
    verts: np.ndarray, landmarks: np.ndarray, rotation: np.ndarray, eyes: tuple
) -> np.ndarray:
    """(len(eyes[0]) + len(eyes[1]),) float32: how far (m) each eyeball vertex lies below
    its upper lid's margin, measured along the head's up direction in the head's frontal
    plane (the margin: the upper-lid landmarks 36-39 / 42-45, linear in between and
    beyond), for the sample's posed ``verts`` and ``landmarks`` (camera frame) and
    camera-from-head ``rotation``. Smooth in position, so it interpolates well over the
    coarse eyeball; the sclera and iris shaders turn it into the lid's shadow."""
    R = np.asarray(rotation, np.float64)
    right, up = R[:, 0], -R[:, 1]
    out = []
    for vids, lid in zip(eyes, (landmarks[36:40], landmarks[42:46]), strict=True):
        lid = np.asarray(lid, np.float64)
        lx, ly = lid @ right, lid @ up
        order = np.argsort(lx)
        lx, ly = lx[order], ly[order]
        p = np.asarray(verts[vids], np.float64)
        px, py = p @ right, p @ up
        y_lid = np.interp(px, lx, ly)
        # Beyond the corners continue the end segments' slopes (np.interp holds them flat).
        lo, hi = px < lx[0], px > lx[-1]
        y_lid[lo] = ly[0] + (px[lo] - lx[0]) * (ly[1] - ly[0]) / (lx[1] - lx[0])
        y_lid[hi] = ly[-1] + (px[hi] - lx[-1]) * (ly[-1] - ly[-2]) / (lx[-1] - lx[-2])
        out.append(y_lid - py)
    return np.concatenate(out).astype(np.float32)
