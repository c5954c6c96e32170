"""Folded skin: a geometric check of how plausible a shaped face is.

MakeHuman's local targets (nose depth, septum angle, mouth forward, epicanthus, ...) were
each modelled on the base mesh alone; summed with the phenotype targets, several at once
can crease the surface where a real face is smooth (a sharp fold across the nose base, a
pinched lip line). Rendered with Cycles' shadows those creases read as rubber; the flat
fast path hides them. ``folded_triangles`` counts them, so the sampler's local-change
spread (``identity.local_sigma``) is chosen by a measurement
(benchmarks/bench_face_folds.py), not by eye.
"""

from __future__ import annotations

import numpy as np

from assets_pipeline.head_asset import PART_SKIN, HeadAsset

FACE_RADIUS_M = 0.06  # the face: skin triangles within this of the nose tip (landmark 30)
FOLD_COS = 0.5  # folded: the triangle's normal is > 60 degrees off a corner's


def face_triangles(asset: HeadAsset) -> np.ndarray:
    """Indices of the skin triangles whose template centroid lies within FACE_RADIUS_M of
    the nose tip: brows, eyes' lids, nose, cheeks, mouth and chin."""
    skin = np.flatnonzero(asset.face_part == PART_SKIN)
    nose_tip = asset.landmarks(asset.template)[30]
    centre = asset.template[asset.faces[skin]].mean(axis=1)
    return skin[np.linalg.norm(centre - nose_tip, axis=1) < FACE_RADIUS_M]


def _worst_cos(faces: np.ndarray, vertices: np.ndarray) -> np.ndarray:
    """Per triangle: the smallest cosine between its normal and the area-weighted vertex
    normals (over the same triangles) at its three corners."""
    v = np.asarray(vertices, np.float64)
    cross = np.cross(v[faces[:, 1]] - v[faces[:, 0]], v[faces[:, 2]] - v[faces[:, 0]])
    vn = np.zeros_like(v)
    for k in range(3):
        np.add.at(vn, faces[:, k], cross)
    vn /= np.linalg.norm(vn, axis=1, keepdims=True).clip(1e-20)
    n = cross / np.linalg.norm(cross, axis=1, keepdims=True).clip(1e-20)
    return np.min([np.einsum("ij,ij->i", n, vn[faces[:, k]]) for k in range(3)], axis=0)


def folded_triangles(asset: HeadAsset, vertices: np.ndarray, tris: np.ndarray) -> int:
    """How many of the triangles ``tris`` of the mesh ``vertices`` (the asset's topology)
    are newly folded: the triangle's normal is more than 60 degrees from the vertex normal
    at one of its corners (normals over ``tris`` only), where on the template it is not.
    The template's own sharp edges (lid margins, nostrils, the lips' line) do not count;
    a crease the shapes made is a row of them."""
    f = asset.faces[tris]
    folded = _worst_cos(f, vertices) < FOLD_COS
    return int(np.count_nonzero(folded & (_worst_cos(f, asset.template) >= FOLD_COS)))
