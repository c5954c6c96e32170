"""Build a HeadAsset from a user-supplied FLAME model file, through ``smplx``.

FLAME (Li, Bolkart, Black, Li, Romero: "Learning a model of facial shape and expression from
4D scans", SIGGRAPH Asia 2017) is licensed by MPI-IS for non-commercial research; users
bring the file (``generic_model.pkl``, ``FLAME2020/*.pkl`` or an ``.npz`` with the same
arrays), nothing is downloaded. ``smplx`` (Apache-2.0 code) evaluates the model.

Reading: ``.pkl`` files go through :mod:`assets_pipeline.restricted_pickle` (chumpy arrays
become numpy, anything executable is refused); ``.npz`` files are read with
``allow_pickle=False``. smplx's ``FLAME`` constructor always loads ``FLAME_<GENDER>.pkl`` and
``flame_static_embedding.pkl`` from a folder (its ``data_struct`` argument is ignored), so
the validated plain arrays are written there, in a temporary folder, as numpy-only pickles.

Mapping onto the HeadAsset (see docs/ASSETS_SOURCES.md for the tables):

- frame: FLAME is y up, z out of the face, x to the subject's left, metres; the head frame
  is ``(x, -y, -z)``, origin at the midpoint of the two eye joints of the mean shape;
- identity: no phenotypes (P = 0); FLAME shape component k becomes the local change
  ``flame_shape_kkk`` with ``local_shapes[k] = (+r, -r) * component`` and
  ``r = FLAME_SHAPE_RANGE``, so a local value in [-1, 1] is a shape coefficient in [-r, r]
  (FLAME's components are scaled to unit variance);
- expression: the 52 ARKit units are always present; FLAME has no ARKit semantics, so only
  the units that are a rotation of a FLAME joint get a shape (``POSE_UNITS``: jaw open/left/
  right, the eight eye-look units), each the linearised offset (pose correctives included)
  of that rotation; the other 41 units are zero shapes (they do nothing), listed in
  ``meta["arkit_units_zero"]``. FLAME's own expression components follow as extra units
  ``flame_expr_kkk`` (weight = FLAME expression coefficient);
- head/neck: FLAME's LBS weights of the neck joint and its descendants (jaw, eyes) become
  the ``head`` chain weight, the root's weight stays with the torso; all four chain joints
  sit at FLAME's neck joint, so a head rotation is exactly FLAME's neck pose (no correctives);
- joints: chain joints and eye centres from the ``J_regressor``, with their shape bases;
- regions: eyeballs (vertices skinned to the eye joints) -> left/right eye, root-skinned faces
  -> neck, the rest skin; with FLAME's ``FLAME_masks.pkl`` beside the model also nose, lips
  (split at the lips' mid-height), ears, neck and scalp (painted as hair);
- landmarks: a 68-point embedding in the file (``full_lmk_faces_idx``), else the 51-point
  static embedding (in the file, or ``flame_static_embedding.pkl`` / DECA's
  ``landmark_embedding.npy`` beside it) for iBUG 17-67 plus the geometric jaw contour of
  :mod:`assets_pipeline.landmark_transfer`; with no embedding at all, that module's fallback;
- UVs: FLAME's texture space is a separate file; the asset's UVs are zero.
"""

from __future__ import annotations

import contextlib
import io
import pickle
import tempfile
from pathlib import Path

import numpy as np

from assets_pipeline.expressions import ARKIT_UNITS, PRESETS
from assets_pipeline.head_asset import CHAIN_BONES, PHENOTYPE_VARIATIONS, AssetError, HeadAsset

FLAME_SHAPE_RANGE = 3.0
FLAME_TO_HEAD = np.diag([1.0, -1.0, -1.0])
REQUIRED = ("v_template", "f", "shapedirs", "posedirs", "J_regressor", "weights", "kintree_table")
# ARKit unit -> (FLAME joint, axis-angle in FLAME's frame, radians); "eye.L"/"eye.R" are the
# subject's eyes (resolved by the sign of x). At weight 1 the unit is that rotation.
JAW_OPEN_RAD, JAW_SIDE_RAD, EYE_VERTICAL_RAD, EYE_HORIZONTAL_RAD = 0.35, 0.10, 0.35, 0.45
POSE_UNITS: dict[str, tuple[str, tuple[float, float, float]]] = {
    "jawOpen": ("jaw", (JAW_OPEN_RAD, 0.0, 0.0)),
    "jawLeft": ("jaw", (0.0, JAW_SIDE_RAD, 0.0)),
    "jawRight": ("jaw", (0.0, -JAW_SIDE_RAD, 0.0)),
    "eyeLookUpLeft": ("eye.L", (-EYE_VERTICAL_RAD, 0.0, 0.0)),
    "eyeLookDownLeft": ("eye.L", (EYE_VERTICAL_RAD, 0.0, 0.0)),
    "eyeLookInLeft": ("eye.L", (0.0, -EYE_HORIZONTAL_RAD, 0.0)),
    "eyeLookOutLeft": ("eye.L", (0.0, EYE_HORIZONTAL_RAD, 0.0)),
    "eyeLookUpRight": ("eye.R", (-EYE_VERTICAL_RAD, 0.0, 0.0)),
    "eyeLookDownRight": ("eye.R", (EYE_VERTICAL_RAD, 0.0, 0.0)),
    "eyeLookInRight": ("eye.R", (0.0, EYE_HORIZONTAL_RAD, 0.0)),
    "eyeLookOutRight": ("eye.R", (0.0, -EYE_HORIZONTAL_RAD, 0.0)),
}
MASKS_FILE = "FLAME_masks.pkl"
EMBEDDING_FILES = ("flame_static_embedding.pkl", "landmark_embedding.npy")
_LMK_KEYS = (
    ("full_lmk_faces_idx", "full_lmk_bary_coords"),
    ("lmk_faces_idx", "lmk_bary_coords"),
    ("lmk_face_idx", "lmk_b_coords"),
    ("static_lmk_faces_idx", "static_lmk_bary_coords"),
)


# ----------------------------------------------------------------------------- reading
def read_flame_arrays(path: str | Path) -> dict:
    """The FLAME file's entries as plain numpy arrays (J_regressor dense), validated.

    Raises AssetError with a one-line reason for an unreadable, unsafe or inconsistent file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as z:
                raw = {k: z[k] for k in z.files}
        except ValueError as exc:
            raise AssetError(f"{path}: .npz holds pickled objects; refusing ({exc})") from None
        except Exception as exc:
            raise AssetError(f"{path}: not a readable .npz ({type(exc).__name__})") from None
    elif suffix in (".pkl", ".pickle"):
        from assets_pipeline.restricted_pickle import load_restricted, to_plain

        raw = to_plain(load_restricted(path))
    else:
        raise AssetError(f"{path}: FLAME model must be .pkl or .npz, got {suffix or 'no suffix'}")
    if not isinstance(raw, dict):
        raise AssetError(f"{path}: not a FLAME model (top level is {type(raw).__name__})")
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        raise AssetError(f"{path}: not a FLAME model, missing {missing}")
    return _validated(path, raw)


def _validated(path: Path, raw: dict) -> dict:
    def arr(key, dtype=np.float64):
        v = raw[key]
        if hasattr(v, "toarray"):
            v = v.toarray()
        try:
            return np.asarray(v, dtype=dtype)
        except (TypeError, ValueError):
            raise AssetError(f"{path}: FLAME entry {key!r} is not numeric") from None

    out = {k: v for k, v in raw.items() if k not in REQUIRED}
    v = arr("v_template")
    f = arr("f", np.int64)
    sd, pd = arr("shapedirs"), arr("posedirs")
    jr, w = arr("J_regressor"), arr("weights")
    kt = arr("kintree_table", np.int64)
    n_v = len(v)
    checks = [
        (v.ndim == 2 and v.shape[1] == 3 and n_v >= 4, f"v_template has shape {v.shape}"),
        (f.ndim == 2 and f.shape[1] == 3, f"f has shape {f.shape}"),
        (f.size and f.min() >= 0 and f.max() < n_v, "f indexes vertices out of range"),
        (sd.ndim == 3 and sd.shape[:2] == (n_v, 3), f"shapedirs has shape {sd.shape}"),
        (jr.ndim == 2 and jr.shape == (5, n_v), f"J_regressor has shape {jr.shape}"),
        (w.shape == (n_v, 5), f"weights has shape {w.shape}"),
        (kt.shape == (2, 5), f"kintree_table has shape {kt.shape}"),
        (pd.ndim == 3 and pd.shape[:2] == (n_v, 3) and pd.shape[2] == 36, "posedirs shape"),
        (np.isfinite(v).all() and np.isfinite(sd).all(), "non-finite vertices or shapedirs"),
    ]
    for ok, why in checks:
        if not ok:
            raise AssetError(f"{path}: not a 5-joint FLAME model ({why})")
    kt[0, 0] = -1
    if list(kt[0, 1:]) != [0, 1, 1, 1]:
        raise AssetError(f"{path}: unexpected FLAME joint tree {kt[0].tolist()}")
    out.update(v_template=v, f=f, shapedirs=sd, posedirs=pd, J_regressor=jr, weights=w)
    out["kintree_table"] = kt
    return out


def _read_embedding(model: Path, data: dict) -> tuple[np.ndarray, np.ndarray] | None:
    """Landmark faces (N,) and barycentric weights (N,3), N = 68 or 51, or None."""
    sources = [data]
    for name in EMBEDDING_FILES:
        side = model.parent / name
        if side.is_file():
            sources.append(_read_sidecar(side))
    for src in sources:
        for fk, bk in _LMK_KEYS:
            if fk in src and bk in src:
                faces = np.asarray(src[fk], dtype=np.int64).ravel()
                bary = np.asarray(src[bk], dtype=np.float64).reshape(-1, 3)
                if len(faces) in (51, 68) and len(bary) == len(faces):
                    return faces, bary
    return None


def _read_sidecar(path: Path) -> dict:
    from assets_pipeline.restricted_pickle import load_restricted, loads_restricted, to_plain

    if path.suffix == ".npy":  # an object array holding a dict (DECA): a pickle after the header
        with open(path, "rb") as fh:
            try:
                version = np.lib.format.read_magic(fh)
                if version == (1, 0):
                    np.lib.format.read_array_header_1_0(fh)
                else:
                    np.lib.format.read_array_header_2_0(fh)
            except ValueError as exc:
                raise AssetError(f"{path}: not a .npy file ({exc})") from None
            obj = to_plain(loads_restricted(fh.read()))
        obj = obj.item() if isinstance(obj, np.ndarray) and obj.dtype == object else obj
    else:
        obj = to_plain(load_restricted(path))
    if not isinstance(obj, dict):
        raise AssetError(f"{path}: expected a dict, found {type(obj).__name__}")
    return obj


# ----------------------------------------------------------------------------- smplx
def _smplx_flame(data: dict, embedding):
    """smplx's FLAME built from plain arrays (written to a temporary folder, see docstring)."""
    import smplx

    n_comp = data["shapedirs"].shape[2]
    n_shape, n_expr = (300, 100) if n_comp >= 400 else (10, 10)
    if n_comp < 20:
        raise AssetError(f"FLAME model has only {n_comp} shape components (need >= 20)")
    plain = {k: data[k] for k in REQUIRED}
    if embedding is not None and len(embedding[0]) == 51:
        lmk = {"lmk_face_idx": embedding[0], "lmk_b_coords": embedding[1]}
    else:  # smplx insists on a static embedding; its landmark output is not used here
        lmk = {"lmk_face_idx": np.zeros(51, np.int64), "lmk_b_coords": np.eye(3)[[0] * 51]}
    with tempfile.TemporaryDirectory(prefix="facedepth_flame_") as tmp:
        with open(Path(tmp) / "FLAME_NEUTRAL.pkl", "wb") as fh:
            pickle.dump(plain, fh, protocol=4)
        with open(Path(tmp) / "flame_static_embedding.pkl", "wb") as fh:
            pickle.dump(lmk, fh, protocol=4)
        with contextlib.redirect_stdout(io.StringIO()):  # smplx prints size warnings
            model = smplx.FLAME(
                model_path=tmp,
                gender="neutral",
                ext="pkl",
                num_betas=n_shape,
                num_expression_coeffs=n_expr,
                batch_size=1,
            )
    return model


def _pose_offsets(model, unit_joint: dict[str, str], to_head) -> tuple[dict, dict]:
    """Vertex (V,3) and FLAME-joint (5,3) offsets of each POSE_UNITS rotation, head frame."""
    import torch

    def run(**pose):
        kw = {k: torch.tensor([v], dtype=torch.float32) for k, v in pose.items()}
        with torch.no_grad():
            out = model(return_verts=True, **kw)
        return out.vertices[0].double().numpy(), out.joints[0, :5].double().numpy()

    v0, j0 = run()
    dv, dj = {}, {}
    for unit, (joint, rotvec) in POSE_UNITS.items():
        v1, j1 = run(**{unit_joint[joint]: rotvec})
        dv[unit], dj[unit] = to_head(v1 - v0), to_head(j1 - j0)
    return dv, dj


# ----------------------------------------------------------------------------- build
def build_flame_asset(model_path: str | Path, progress=None) -> HeadAsset:
    """HeadAsset from a FLAME model file (module docstring); raises AssetError on bad input."""
    step = progress or (lambda msg: None)
    model_path = Path(model_path)
    step("reading the FLAME model (restricted unpickler)")
    data = read_flame_arrays(model_path)
    embedding = _read_embedding(model_path, data)
    step("building smplx FLAME")
    model = _smplx_flame(data, embedding)

    def to_head(x):
        return np.asarray(x, dtype=np.float64) @ FLAME_TO_HEAD.T

    v_t = model.v_template.double().numpy()
    jreg = model.J_regressor.double().numpy()
    faces = np.asarray(model.faces, dtype=np.int32)
    joints0 = to_head(jreg @ v_t)  # root, neck, jaw, eye, eye
    eye_l, eye_r = (3, 4) if joints0[3, 0] > joints0[4, 0] else (4, 3)
    origin = joints0[[eye_l, eye_r]].mean(axis=0)
    jsel = [1, 1, 1, 1, eye_l, eye_r]  # neck01..head at FLAME's neck joint, then the eyes

    step("extracting shape, expression and pose bases")
    shape_dirs = np.moveaxis(model.shapedirs.double().numpy(), -1, 0)  # (S,V,3)
    expr_dirs = np.moveaxis(model.expr_dirs.double().numpy(), -1, 0)  # (E,V,3)
    shape_h, expr_h = to_head(shape_dirs), to_head(expr_dirs)
    j_shape = np.einsum("jv,svd->sjd", jreg, shape_h)[:, jsel]
    j_expr = np.einsum("jv,svd->sjd", jreg, expr_h)[:, jsel]
    pose_kw = {"jaw": "jaw_pose", "eye.L": ("leye_pose", "reye_pose")[eye_l - 3]}
    pose_kw["eye.R"] = ("leye_pose", "reye_pose")[eye_r - 3]
    pose_dv, pose_dj = _pose_offsets(model, pose_kw, to_head)

    n_v = len(v_t)
    names = list(ARKIT_UNITS) + [f"flame_expr_{k:03d}" for k in range(len(expr_h))]
    expr_shapes = np.zeros((len(names), n_v, 3), dtype=np.float32)
    joint_expr = np.zeros((len(names), len(jsel), 3), dtype=np.float32)
    for unit in POSE_UNITS:
        u = names.index(unit)
        expr_shapes[u], joint_expr[u] = pose_dv[unit], pose_dj[unit][jsel]
    expr_shapes[len(ARKIT_UNITS) :] = expr_h
    joint_expr[len(ARKIT_UNITS) :] = j_expr

    r = FLAME_SHAPE_RANGE
    local_shapes = np.stack([r * shape_h, -r * shape_h], axis=1).astype(np.float32)
    joint_local = np.stack([r * j_shape, -r * j_shape], axis=1).astype(np.float32)
    template = (to_head(v_t) - origin).astype(np.float32)

    # Chain: the neck joint and its descendants (jaw, eyes) drive the head; root = torso.
    weights = model.lbs_weights.double().numpy()
    chain = np.zeros((n_v, 4), dtype=np.float32)
    chain[:, 3] = np.clip(weights[:, 1:].sum(axis=1), 0.0, 1.0)

    step("labelling regions and placing landmarks")
    face_region, face_part, face_scalp = _regions(model_path, template, faces, weights)
    meta_extra = {}
    if (face_part == 1).any():
        from assets_pipeline.makehuman import _mark_iris

        meta_extra["pupil_vertices"] = _mark_iris(template, faces, face_part, face_region)
    lf, lb, lmk_how = _landmarks(
        template, faces, face_part, face_region, joints0, origin, embedding
    )

    zero_units = [u for u in ARKIT_UNITS if u not in POSE_UNITS]
    return HeadAsset(
        template=template,
        faces=faces,
        face_region=face_region,
        face_scalp=face_scalp,
        face_part=face_part,
        uv=np.zeros((len(faces), 3, 2), dtype=np.float32),
        phenotype_shapes=np.zeros((0, n_v, 3), dtype=np.float32),
        phenotype_mask=np.zeros((0, _n_variations()), dtype=bool),
        local_names=tuple(f"flame_shape_{k:03d}" for k in range(len(shape_h))),
        local_shapes=local_shapes,
        expression_names=tuple(names),
        expression_shapes=expr_shapes,
        chain_weights=chain,
        joint_names=(*CHAIN_BONES, "eye.L", "eye.R"),
        joint_template=(joints0[jsel] - origin).astype(np.float32),
        joint_phenotype_shapes=np.zeros((0, len(jsel), 3), dtype=np.float32),
        joint_local_shapes=joint_local,
        joint_expression_shapes=joint_expr,
        landmark_faces=lf,
        landmark_bary=lb,
        presets=PRESETS,
        meta={
            "source": "flame",
            "source_detail": (
                f"{model_path.name}: {n_v} vertices, {len(shape_h)} shape and "
                f"{len(expr_h)} expression components (smplx FLAME)"
            ),
            "licences": {
                "assets": "FLAME model supplied by the user (MPI-IS FLAME licence: check "
                "its terms before redistributing data made from it)",
                "code": "Apache-2.0 (smplx)",
            },
            "frame": "head frame: x = image right (subject's left), y down, z back; metres",
            "arkit_units_mapped": sorted(POSE_UNITS),
            "arkit_units_zero": zero_units,
            "flame_shape_range": FLAME_SHAPE_RANGE,
            "landmarks": lmk_how,
            **meta_extra,
        },
    )


def _n_variations() -> int:
    return sum(len(v) for v in PHENOTYPE_VARIATIONS.values())


def _regions(model_path: Path, verts, faces, weights):
    """Region id (F,) u8, part (F,) u8, scalp (F,) bool; see the module docstring."""
    from synth.spec import MASK_CLASS_IDS as C

    n_f = len(faces)
    region = np.full(n_f, C["skin"], dtype=np.uint8)
    part = np.zeros(n_f, dtype=np.uint8)
    scalp = np.zeros(n_f, dtype=bool)
    centre = verts[faces].mean(axis=1)
    left = centre[:, 0] > 0
    fw = weights[faces].mean(axis=1)  # (F,5)
    eyeball = fw[:, 3:5].sum(axis=1) > 0.5
    region[fw[:, 0] > 0.5] = C["neck"]
    masks_path = model_path.parent / MASKS_FILE
    if masks_path.is_file():
        masks = _read_sidecar(masks_path)

        def in_mask(name):
            if name not in masks:
                return np.zeros(n_f, dtype=bool)
            m = np.zeros(len(verts), dtype=bool)
            idx = np.asarray(masks[name], dtype=np.int64).ravel()
            m[idx[(idx >= 0) & (idx < len(verts))]] = True
            return m[faces].all(axis=1)

        region[in_mask("neck")] = C["neck"]
        region[in_mask("nose")] = C["nose"]
        ears = in_mask("left_ear") | in_mask("right_ear")
        region[ears & left] = C["left_ear"]
        region[ears & ~left] = C["right_ear"]
        lips = in_mask("lips")
        if lips.any():
            y_mid = np.median(verts[np.unique(faces[lips]), 1])
            region[lips & (centre[:, 1] < y_mid)] = C["upper_lip"]
            region[lips & (centre[:, 1] >= y_mid)] = C["lower_lip"]
        scalp = in_mask("scalp") & (region == C["skin"])
        eyeball |= in_mask("left_eyeball") | in_mask("right_eyeball")
    region[eyeball & left] = C["left_eye"]
    region[eyeball & ~left] = C["right_eye"]
    part[eyeball] = 1
    if (
        not ((region == C["left_eye"]) & (part == 1)).any()
        or not ((region == C["right_eye"]) & (part == 1)).any()
    ):
        part[eyeball] = 0  # one-sided or no eyeballs: no iris marking
    return region, part, scalp


def _landmarks(verts, faces, face_part, face_region, joints0, origin, embedding):
    from assets_pipeline.landmark_transfer import jaw_faces, transfer_landmarks

    eyes = joints0[[3, 4]] - origin
    eye_dist = float(np.linalg.norm(eyes[0] - eyes[1]))
    fixed = {}
    how = "geometric fallback (no FLAME landmark embedding found)"
    if embedding is not None:
        lf, lb = embedding
        if lf.max() >= len(faces) or lf.min() < 0:
            raise AssetError("FLAME landmark embedding indexes faces out of range")
        first = 0 if len(lf) == 68 else 17
        pairs = enumerate(zip(lf, lb, strict=True))
        fixed = {first + i: (int(f), b.astype(np.float32)) for i, (f, b) in pairs}
        how = (
            "FLAME 68-point embedding"
            if len(lf) == 68
            else "FLAME static embedding (17-67) + geometric jaw contour (0-16)"
        )
    ok = jaw_faces(face_part, face_region)
    lf, lb = transfer_landmarks(verts, faces, eye_dist, fixed=fixed, face_ok=ok)
    return lf, lb, how


def build_from_source(model: Path | None, progress=None) -> HeadAsset:
    """Source-registry entry point: ``synth assets build --source flame --model PATH``."""
    if model is None:
        raise AssetError("--source flame needs --model PATH (a FLAME .pkl or .npz)")
    return build_flame_asset(model, progress)
