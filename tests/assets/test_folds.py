"""assets_pipeline.folds: creases the shapes make, not the template's own sharp edges."""

from __future__ import annotations

import numpy as np

from assets_pipeline.folds import face_triangles, folded_triangles
from synth.config import load_config
from synth.sampling import sample_identity


def test_template_and_smooth_offsets_have_no_new_folds(asset):
    tris = face_triangles(asset)
    assert 1000 < len(tris) < len(asset.faces)
    assert folded_triangles(asset, asset.template, tris) == 0
    # A rigid move folds nothing.
    moved = asset.template @ np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]).T
    assert folded_triangles(asset, moved + 0.3, tris) == 0


def test_a_dent_is_counted(asset):
    tris = face_triangles(asset)
    v = asset.template.astype(np.float64).copy()
    # Push one cheek vertex 6 mm into the head: its ring of triangles folds.
    cheek = asset.faces[tris[len(tris) // 2], 0]
    normal = v[cheek] - v.mean(axis=0)
    v[cheek] -= 0.006 * normal / np.linalg.norm(normal)
    assert folded_triangles(asset, v, tris) >= 3


def test_wider_local_changes_crease_more_faces(asset):
    tris = face_triangles(asset)

    def total(sigma):
        cfg = load_config(None, {"identity": {"local_sigma": sigma}})
        out = 0
        for i in range(12):
            ident = sample_identity(cfg, 0, i, asset.local_names)
            out += folded_triangles(
                asset, asset.evaluate(ident.phenotypes, ident.local_changes)[0], tris
            )
        return out

    assert total(0.6) > total(0.3) > total(0.15)
