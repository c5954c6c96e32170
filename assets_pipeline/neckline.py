"""A clean crew neckline: cut the MakeHuman mesh along a plane and label clothing below it.

Skinning weights give a ragged neck/clothing border (it follows whichever triangles the torso
drives most), which reads as a torn collar in the RGB and in the mask. Instead, the border
is a plane through the neck base, lower at the throat than at the nape, and the triangles
it crosses are split exactly on it:

- vertices within ``SNAP_M`` of the plane carry the cut themselves (no slivers);
- every new vertex lies on an original edge at a fixed fraction ``t`` (measured on the mean
  identity), and its bases are interpolated with the same ``t``, so for every identity and
  expression the new vertex stays on that edge: the surface, and so the depth, is unchanged;
- per-corner UVs of the new triangles are interpolated from the parent triangle;
- neck and clothing triangles (as skinning labelled them: never head-driven) below the
  plane become clothing, those above it neck.

Vertices are then sorted top down again (the order ``HeadAsset`` evaluation relies on).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from assets_pipeline.head_asset import HeadAsset
from synth.spec import MASK_CLASS_IDS as C

FRONT_DROP_M = 0.025  # the neckline at the throat, below the neck01 joint
SLOPE = 0.33  # metres of rise per metre towards the nape (head frame: y down, z back)
SNAP_M = 0.002  # vertices this close to the plane carry the cut (no sliver triangles)
# Per-vertex arrays of a HeadAsset; the vertex axis of each is its second-to-last axis.
VERTEX_ARRAYS = (
    "template",
    "phenotype_shapes",
    "local_shapes",
    "expression_shapes",
    "chain_weights",
)


def neckline_height(points: np.ndarray, neck01: np.ndarray) -> np.ndarray:
    """Signed distance-like value, > 0 below the neckline (head frame, metres)."""
    y_line = neck01[1] + FRONT_DROP_M - 0.07 * SLOPE - SLOPE * (points[..., 2] - neck01[2])
    return points[..., 1] - y_line


def split_faces(values: np.ndarray, faces: np.ndarray, candidates: np.ndarray, snap: float = 0.0):
    """Split the ``candidates`` faces whose corners' ``values`` change sign.

    Corners with ``|value| <= snap`` count as on the cut: the cut passes through them
    instead of cutting their edges close to them, so no sliver triangles are made (slivers
    shade badly: their smooth normals disagree with their geometric normals).

    Returns (faces (F',3), parent (F',) face index, corner barycentrics (F',3,3) in the
    parent, new vertices as (src (N,2) vertex pairs, t (N,) fraction from src[:,0])).
    """
    sign = np.where(np.abs(values) <= snap, 0, np.sign(values)).astype(np.int64)
    fs = sign[faces]
    cross = candidates & (fs > 0).any(axis=1) & (fs < 0).any(axis=1)
    n_v = len(values)
    edge_id: dict[tuple[int, int], int] = {}
    src, ts = [], []

    def mid(a: int, b: int) -> tuple[int, float]:
        """Vertex id on edge (a, b) where the value crosses 0, and its fraction from a."""
        key = (min(a, b), max(a, b))
        if key not in edge_id:
            edge_id[key] = n_v + len(src)
            src.append(key)
            ts.append(values[key[0]] / (values[key[0]] - values[key[1]]))
        t = ts[edge_id[key] - n_v]
        return edge_id[key], (t if key[0] == a else 1.0 - t)

    out_f, parent, bary = [], [], []
    eye = np.eye(3)
    for f in np.nonzero(~cross)[0]:
        out_f.append(faces[f])
        parent.append(f)
        bary.append(eye)
    for f in np.nonzero(cross)[0]:
        tri, sf = faces[f], fs[f]
        zero = np.nonzero(sf == 0)[0]
        # i0: the corner on the cut if there is one, else the corner alone on its side
        i0 = int(zero[0]) if len(zero) else int(np.nonzero(sf != np.sign(sf.sum()))[0][0])
        i1, i2 = (i0 + 1) % 3, (i0 + 2) % 3
        a, b, c = int(tri[i0]), int(tri[i1]), int(tri[i2])
        w = np.zeros((5, 3))  # barycentrics of a, b, c and the new vertices in the parent
        w[0, i0] = w[1, i1] = w[2, i2] = 1.0
        if len(zero):  # the cut runs from a to the edge (b, c): two children
            p, t = mid(b, c)
            w[3, i1], w[3, i2] = 1 - t, t
            ids, kids = (a, b, c, p), ((0, 1, 3), (0, 3, 2))
        else:  # the cut crosses (a, b) and (a, c): three children
            p_ab, t_ab = mid(a, b)
            p_ac, t_ac = mid(a, c)
            w[3, i0], w[3, i1] = 1 - t_ab, t_ab
            w[4, i0], w[4, i2] = 1 - t_ac, t_ac
            ids, kids = (a, b, c, p_ab, p_ac), ((0, 3, 4), (3, 1, 2), (3, 2, 4))
        for k in kids:  # keeps the parent's winding
            out_f.append([ids[j] for j in k])
            parent.append(f)
            bary.append(w[list(k)])
    return (
        np.array(out_f, dtype=np.int64),
        np.array(parent, dtype=np.int64),
        np.array(bary),
        np.array(src, dtype=np.int64).reshape(-1, 2),
        np.array(ts, dtype=np.float64),
    )


def _lerp_rows(x: np.ndarray, src: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``x`` with the new vertices appended along its vertex axis (the second-to-last)."""
    axis = x.ndim - 2
    a = np.take(x, src[:, 0], axis=axis).astype(np.float64)
    b = np.take(x, src[:, 1], axis=axis).astype(np.float64)
    shape = [1] * x.ndim
    shape[axis] = len(t)
    tt = t.reshape(shape)
    new = ((1 - tt) * a + tt * b).astype(x.dtype)
    return np.concatenate([x, new], axis=axis)


def cut_neckline(
    asset: HeadAsset, ref_vertices: np.ndarray, neck01: np.ndarray
) -> tuple[HeadAsset, np.ndarray]:
    """Split skin faces on the neckline plane and relabel neck/clothing by side.

    ``ref_vertices`` (V,3): the mean identity in the head frame, where the plane is placed;
    ``neck01``: its neck01 joint. Returns the new asset and its reference vertices.
    Landmarks and vertex ids must be placed after this (face and vertex ids change)."""
    height = neckline_height(ref_vertices, neck01)
    region = asset.face_region
    body = np.isin(region, [C["neck"], C["clothing"]]) & np.isin(asset.face_part, [0, 4])
    faces, parent, bary, src, t = split_faces(height, asset.faces, body, SNAP_M)
    kw = {name: _lerp_rows(getattr(asset, name), src, t) for name in VERTEX_ARRAYS}
    ref = _lerp_rows(ref_vertices, src, t)
    uv = np.einsum("fkc,fcd->fkd", bary, asset.uv[parent].astype(np.float64))
    region = region[parent].copy()
    part = asset.face_part[parent].copy()
    below = neckline_height(ref[faces].mean(axis=1), neck01) > 0
    is_body = body[parent]
    region[is_body & below] = C["clothing"]
    part[is_body & below] = 4
    region[is_body & ~below] = C["neck"]
    part[is_body & ~below] = 0
    # Top-down vertex order again (by the reference height).
    order = np.argsort(ref[:, 1], kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    for name, x in kw.items():
        kw[name] = np.take(x, order, axis=x.ndim - 2)
    return dataclasses.replace(
        asset,
        **kw,
        faces=rank[faces].astype(np.int32),
        face_region=region,
        face_part=part,
        face_scalp=asset.face_scalp[parent],
        uv=uv.astype(asset.uv.dtype),
    ), ref[order]
