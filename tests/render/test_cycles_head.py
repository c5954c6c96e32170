"""Painted stubble of the Cycles skin: where (beard area) and who (per identity)."""

from __future__ import annotations

import numpy as np

from synth.render.cycles_head import beard_weights
from synth.render.cycles_materials import identity_beard
from synth.spec import MASK_CLASS_IDS as C


def test_beard_area_is_the_lower_face(asset):
    w = beard_weights(asset)
    assert w.shape == (asset.n_vertices,) and 0 <= w.min() and w.max() <= 1
    v = asset.template
    lm = asset.landmarks(asset.template)
    near = lambda p: np.argsort(np.linalg.norm(v - p, axis=1))[:5]  # noqa: E731
    assert w[near((lm[8] + lm[57]) / 2)].mean() > 0.8  # chin, below the lower lip
    assert w[near((lm[4] + lm[48]) / 2)].mean() > 0.8  # lower cheek
    assert w[near(lm[27])].max() == 0 and w[near(lm[19])].max() == 0  # nose bridge, brow
    lips = np.unique(asset.faces[np.isin(asset.face_region, [C["upper_lip"], C["lower_lip"]])])
    assert np.median(w[lips]) < 0.5
    # Nothing on the sides and back of the head (behind the ears' front, above the jaw).
    assert np.all(w[(v[:, 2] > lm[0, 2] + 0.02) & (v[:, 1] < lm[2, 1])] == 0)


def test_beard_by_identity():
    assert identity_beard(3, 0.4) == 0.0 and identity_beard(3, 0.2) == 0.0
    male = [identity_beard(i, 0.9) for i in range(300)]
    assert identity_beard(7, 0.9) == identity_beard(7, 0.9)
    assert 0.2 < np.mean(np.array(male) == 0) < 0.5  # a third clean-shaven
    assert max(male) <= 0.75 and np.mean(male) > 0.2
