"""Hair curtain: a labelled, jaw-length "bob" hanging from the hair shell (numpy, build time).

The hair shell (assets_pipeline.hair_shell) is skin pushed outwards, so it can only model
hair that hugs the head: everyone had the same short crop. Hair that hangs -- over the
ears, down to the jaw -- does not follow the skin, so the curtain is its own surface:

- a sheet round the back and sides of the head, from a front edge ``FRONT_DEG`` (azimuth)
  in front of the ears round the back, from ``TOP_ABOVE_EYES_M`` above eye level (the
  temples: inside the shell, where the short hair is still thick, so the seam is hidden)
  down to ``BOTTOM_BELOW_EYES_M`` below it (about the jaw line);
- it hangs straight down from the head's widest point, stays ``GAP_M`` clear of the skin
  beneath it (ears, jaw, neck) -- ``EDGE_GAP_M`` at its front edges, which lie against
  temple and cheek -- and its last centimetres turn a few millimetres under towards
  the neck, as a bob's ends do; the ends are uneven: a slow wave plus locks 1-2 cm wide
  whose tips differ by up to ~6 mm (a pattern mirror-symmetric like the rest of the
  asset). Until 0.11.0 the ends were a smooth edge (5 mm of unevenness, 64 columns)
  tucked 9 mm under: a thick, rounded hem, like a rubber sheet's;
- every curtain vertex carries the rows of the ``ANCHORS`` skin vertices nearest its
  hanging place, blended by inverse distance (phenotypes, local changes, skinning
  weights; not the face units: hair does not move with a smile), so it moves as the skin
  beneath it does for any identity and pose. At the template it is folded away half-way
  towards the head's vertical axis, deep inside the head or neck (hidden); the fourth
  hair basis, ``length``, is the offset from there to the hanging place (coefficient 0:
  short hair; 1: the bob). It is meant to be used at 0 or 1.

Labels are exact as for the shell: both renderers draw the curtain's triangles (mask
class "hair"). Coordinates: head frame (metres, y down, z back).
"""

from __future__ import annotations

import numpy as np

from assets_pipeline.head_asset import HeadAsset
from assets_pipeline.neckline import VERTEX_ARRAYS
from synth.spec import MASK_CLASS_IDS as C

COLUMNS, ROWS = 128, 20  # curtain grid (azimuth x height; ~5 mm columns: locks at the ends)
TOP_ABOVE_EYES_M = 0.06  # top row: this far above the eyeballs' centre (under the full shell)
BOTTOM_BELOW_EYES_M = 0.095  # bottom row: this far below them (~ the jaw line)
FRONT_DEG = 12.0  # the front edge: this far (azimuth) in front of the pinnae's front...
FRONT_FORWARD_DEG = 8.0  # ...and this much further forward at the bottom
END_JITTER_M = 0.01  # unevenness of the ends (locks of ~1-2 cm, 0.11.0; 5 mm before)...
LOCKS = 0.3  # ...of which the locks' share (0.5 in a draft: serrated, like torn paper)
GAP_M = 0.006  # clearance over the skin beneath (ears, jaw, neck)...
EDGE_GAP_M, EDGE_COLUMNS = 0.0015, 10  # ...closing to this at the front edges, over columns
TOP_SINK_M = 0.0025  # the top row's depth under the shell's surface (at volume MIN_VOLUME)
MIN_VOLUME = 0.8  # the smallest shell volume sampled with the curtain
ANCHORS = 4  # skin vertices each curtain vertex follows
TURN_UNDER_M = (0.001, 0.002, 0.004)  # the last rows' inward turn (ends tuck under)


def _cylindrical(p: np.ndarray, zc: float) -> tuple[np.ndarray, np.ndarray]:
    """(azimuth, radius) about the vertical axis through (0, ., zc): azimuth 0 straight
    ahead (-z), +-pi behind, positive towards +x."""
    return np.arctan2(p[:, 0], -(p[:, 2] - zc)), np.hypot(p[:, 0], p[:, 2] - zc)


def _box_smooth(a: np.ndarray, passes: int) -> np.ndarray:
    for _ in range(passes):
        p = np.pad(a, 1, mode="edge")
        a = (p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:] + 4 * a) / 8
    return a


def curtain_geometry(
    ref: np.ndarray,
    faces: np.ndarray,
    face_part: np.ndarray,
    face_region: np.ndarray,
    hair_volume: np.ndarray,
    part_hair: int,
):
    """The hanging position (ROWS*COLUMNS, 3) of the curtain at the mean identity ``ref``
    (with the shell under the skin), its faces (grid-local ids), per-corner UVs and the
    z of the vertical axis it hangs round. ``hair_volume`` (V,3) is the shell's volume
    basis."""
    shell_v = np.unique(faces[face_part == part_hair])
    skin_v = np.unique(faces[np.isin(face_part, [0, 4])])
    ears = ref[np.unique(faces[np.isin(face_region, [C["left_ear"], C["right_ear"]])])]
    eye_y = float(np.mean(ref[np.unique(faces[face_part == 1]), 1]))  # eyeballs (part 1)
    zc = float(np.mean(ref[shell_v, 2]))
    y_top, y_bot = eye_y - TOP_ABOVE_EYES_M, eye_y + BOTTOM_BELOW_EYES_M
    # The pinnae: the ear regions' laterally outermost vertices (the regions also hold the
    # skin round the ears).
    pinna = ears[np.abs(ears[:, 0]) >= 0.85 * np.abs(ears[:, 0]).max()]
    front = np.abs(_cylindrical(pinna, zc)[0]).min() - np.deg2rad(FRONT_DEG)
    # Rows top to bottom; the front edge comes FRONT_FORWARD_DEG further forward at the
    # bottom (the hair frames the jaw), and the ends are uneven by a few millimetres (a
    # fixed pattern round the head, the same for every identity).
    t = np.linspace(0.0, 1.0, ROWS)[:, None]
    edge = front - np.deg2rad(FRONT_FORWARD_DEG) * t
    az = edge + np.linspace(0.0, 1.0, COLUMNS)[None] * (2 * np.pi - 2 * edge)
    az = np.angle(np.exp(1j * az))  # wrap to (-pi, pi]
    a0 = np.linspace(-np.pi, np.pi, COLUMNS)  # mirror-symmetric about straight behind
    locks = LOCKS * np.sqrt(np.abs(np.cos(11 * a0))) * np.cos(23 * a0)
    ends = y_bot + END_JITTER_M * (0.35 * np.cos(7 * a0) + 0.2 * np.cos(13 * a0) + locks)
    ys = y_top + t * (ends[None] - y_top)  # (ROWS, COLUMNS)

    cap = ref[shell_v] + MIN_VOLUME * hair_volume[shell_v]
    cap_az, cap_r = _cylindrical(cap, zc)
    skin_az, skin_r = _cylindrical(ref[skin_v], zc)

    def near(a0, a, y0, y, half_deg, half_y):
        return (np.abs(np.angle(np.exp(1j * (a - a0)))) < np.deg2rad(half_deg)) & (
            np.abs(y - y0) < half_y
        )

    r = np.zeros((ROWS, COLUMNS))
    local = np.zeros((ROWS, COLUMNS))
    for j in range(COLUMNS):
        m = near(az[0, j], cap_az, y_top, cap[:, 1], 6.0, 0.008)
        env = float(np.median(cap_r[m])) - TOP_SINK_M if m.any() else 0.0
        for i in range(ROWS):
            m = near(az[i, j], skin_az, ys[i, j], ref[skin_v, 1], 7.0, 0.006)
            here = float(skin_r[m].max()) if m.any() else 0.0
            local[i, j] = here
            env = max(env, here + GAP_M)  # hangs: never back in once pushed out
            r[i, j] = env
    r = np.maximum(_box_smooth(r, 3 * COLUMNS // 64), local + 0.6 * GAP_M)  # ~same arc
    # The front edges lie against the face (temple, cheek): a free edge standing off the
    # skin showed a dark gap, like a flap.
    k = np.minimum(np.arange(COLUMNS), np.arange(COLUMNS)[::-1]) / max(EDGE_COLUMNS, 1)
    hug = np.clip(k, 0.0, 1.0) ** 2 * (3 - 2 * np.clip(k, 0.0, 1.0))
    hugged = local + EDGE_GAP_M + hug[None] * (r - local - EDGE_GAP_M)
    r = np.where(local > 0, np.minimum(r, hugged), r)  # (no skin found: keep the hang)
    for k, dr in enumerate(TURN_UNDER_M[::-1]):
        i = ROWS - len(TURN_UNDER_M) + k
        r[i] = np.maximum(r[i] - dr, local[i] + 0.0015)
    pos = np.stack([np.sin(az) * r, ys, zc - np.cos(az) * r], axis=-1).reshape(-1, 3)
    ids = np.arange(ROWS * COLUMNS).reshape(ROWS, COLUMNS)
    a, b = ids[:-1, :-1].ravel(), ids[:-1, 1:].ravel()
    c, d = ids[1:, :-1].ravel(), ids[1:, 1:].ravel()
    grid_faces = np.concatenate([np.stack([a, c, b], 1), np.stack([b, c, d], 1)])
    # Wind the triangles outwards (away from the vertical axis), as the skin's are.
    tri = pos[grid_faces]
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    radial = tri.mean(1) - np.array([0.0, 0.0, zc])
    radial[:, 1] = 0.0
    if np.median(np.sum(n * radial, axis=1)) < 0:
        grid_faces = grid_faces[:, [0, 2, 1]]
    # UVs in metres along the sheet (arc length, height): one texel density throughout.
    arc = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(np.unwrap(az[0]))) * r.mean(0)[1:])])
    uv_v = np.stack(np.broadcast_arrays(arc[None, :], ys - y_top), -1).reshape(-1, 2)
    return pos, grid_faces, uv_v[grid_faces].astype(np.float32), zc


def add_hair_curtain(asset: HeadAsset, ref: np.ndarray, part_hair: int):
    """Append the curtain (module docstring) to an asset that has a hair shell whose
    ``hair_names`` start with ``volume``; returns the asset with the ``length`` basis
    appended and its reference vertices (re-sorted top down like the shell's)."""
    faces = asset.faces.astype(np.int64)
    vol = asset.hair_shapes[list(asset.hair_names).index("volume")].astype(np.float64)
    from scipy.spatial import cKDTree

    ref64 = ref.astype(np.float64)
    pos, grid_faces, uv, zc = curtain_geometry(
        ref64, faces, asset.face_part, asset.face_region, vol, part_hair
    )
    # Anchors: each vertex blends the rows of the ANCHORS skin vertices nearest its hanging
    # place (inverse-distance weights), so it moves as the skin beneath it does for any
    # identity (a wider jaw, bigger ears push the hair out) and pose (the neck's skinning
    # weights low down, the head's above); face units are left out (hair does not move
    # with a smile).
    skin_v = np.unique(faces[asset.face_part == 0])
    dist, k = cKDTree(ref64[skin_v]).query(pos, ANCHORS)
    w = 1.0 / np.maximum(dist, 1e-4)
    w /= w.sum(axis=1, keepdims=True)
    src = skin_v[k]  # (N, ANCHORS)
    n_old, n_new = asset.n_vertices, len(pos)

    def blend(x: np.ndarray) -> np.ndarray:
        """The curtain's rows of a per-vertex array (vertex axis second-to-last)."""
        va = x.ndim - 2
        xs = np.moveaxis(np.take(x, src, axis=va).astype(np.float64), [va, va + 1], [0, 1])
        return np.moveaxis(np.einsum("nk,nk...->n...", w, xs), 0, va).astype(x.dtype)

    kw = {}
    for name in VERTEX_ARRAYS:
        x = getattr(asset, name)
        rows = np.zeros_like(blend(x)) if name == "expression_shapes" else blend(x)
        kw[name] = np.concatenate([x, rows], axis=x.ndim - 2)
    # Collapsed at the template: half-way from the anchor towards the head's vertical
    # axis, deep inside the head or neck (hidden whatever the identity).
    anchor_ref = np.einsum("nk,nkd->nd", w, ref64[src])
    axis_pt = np.stack([np.zeros(n_new), anchor_ref[:, 1], np.full(n_new, zc)], axis=1)
    hidden = anchor_ref + 0.5 * (axis_pt - anchor_ref)
    kw["template"][n_old:] += (hidden - anchor_ref).astype(np.float32)
    hair = np.zeros((len(asset.hair_names) + 1, n_old + n_new, 3), np.float32)
    hair[:-1, :n_old] = asset.hair_shapes
    hair[-1, n_old:] = (pos - hidden).astype(np.float32)
    kw["hair_shapes"] = hair
    new_ref = np.concatenate([ref, hidden]).astype(ref.dtype)
    from assets_pipeline.hair_shell import append_hair_faces

    return append_hair_faces(
        asset, kw, new_ref, n_old + grid_faces, uv, (*asset.hair_names, "length")
    )


def curtain_vertices(asset: HeadAsset) -> np.ndarray:
    """(V,) bool: the curtain's vertices (non-zero ``length`` rows); none on assets
    without it."""
    if "length" not in asset.hair_names:
        return np.zeros(asset.n_vertices, bool)
    return np.abs(asset.hair_shapes[asset.hair_names.index("length")]).any(axis=1)
