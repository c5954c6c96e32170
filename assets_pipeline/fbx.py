"""Build a HeadAsset from an FBX / glTF / GLB head with shape keys, through Blender's importers.

Procedure (docs/ASSETS_SOURCES.md has the tables):

1. Import into an empty Blender scene (:mod:`assets_pipeline.blender_io`); the head is the
   mesh object with the most shape keys (ties: the most vertices). It is triangulated; base
   coordinates are the reference (Basis) key in world space.
2. Frame: Blender's Z up / -Y forward becomes the head frame ``(x, -z, y)``. Scale: the file's
   units as Blender imports them, unless the bust's largest extent is not within
   ``PLAUSIBLE_EXTENT_M``, then the first of x0.01 (cm), x0.001 (mm), x0.1, x10, x100 that
   makes it so (recorded in ``meta["unit_scale"]``).
3. Origin: the eye midpoint when eyes are found -- other mesh objects, vertex groups of the
   head or armature bones whose names contain "eye" (not lash/brow/lid/...), split into the
   subject's left (x > 0) and right -- else an estimate from the bounding box of the top
   24 cm (the head): centred in x, ``CROWN_TO_EYES_M`` below the crown (mid-height for a
   shorter mesh), ``TIP_TO_EYES_M`` behind the front-most point (``meta["origin"]``).
4. Shape keys: names are matched to the 52 ARKit units ignoring case, ``_``/``-``/spaces, a
   namespace before the last ``.``/``:``/``|`` (``blendShape1.jawOpen``), an ``ARKit``/
   ``BS`` prefix and ``_L``/``_R`` suffixes (``Eye_Blink_L`` -> ``eyeBlinkLeft``). Missing
   units get zero shapes (``meta["arkit_units_missing"]``). Keys named like our presets
   (happy, neutral, angry, scared, sad: what ``synth assets export`` writes) are combinations
   of units and are skipped; every other key becomes a local change with
   ``local_shapes = (+key, -key)``.
5. Head rotation: with an armature that has a bone named "head" (and optionally "neck*"
   bones), the vertex-group weights of the head bone and its descendants drive the ``head``
   chain bone, neck bones drive ``neck01..03``, the rest stays; chain joints at the bones'
   heads. Without one the head is rigid (all chain weight on ``head``) and turns about a
   pivot ``DEFAULT_PIVOT_M`` from the eye midpoint (the default asset's head joint).
6. Regions from material names (``MATERIAL_REGIONS``: eye, lash, brow, teeth/tongue/mouth,
   hair, cloth, nose, lips, ears, neck -- the class names ``synth assets export`` writes; else
   skin; left/right by the side of the face centre); landmarks by
   :mod:`assets_pipeline.landmark_transfer`; UVs from the active map.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from assets_pipeline.expressions import ARKIT_UNITS, PRESETS
from assets_pipeline.head_asset import CHAIN_BONES, PHENOTYPE_VARIATIONS, AssetError, HeadAsset

PLAUSIBLE_EXTENT_M = (0.1, 3.0)
# Eye midpoint of the default asset: 12 cm below the crown, 4.5 cm behind the nose tip.
CROWN_TO_EYES_M, TIP_TO_EYES_M = 0.12, 0.045
DEFAULT_PIVOT_M = (0.0, 0.031, 0.108)
NOMINAL_EYE_HALF_DISTANCE_M = 0.031
_EYE_RE = re.compile(r"eye(?!.*(lash|brow|lid|occlu|tear|shadow|socket|line))", re.I)
_UNIT_KEYS = {re.sub(r"[^a-z]", "", u.lower()): u for u in ARKIT_UNITS}
# (pattern on the lower-cased material name, mask class or "eye", face_part)
MATERIAL_REGIONS: tuple[tuple[str, str, int], ...] = (
    (r"lash", "eye", 3),
    (r"brow", "brow", 0),
    (r"eye|iris|pupil|cornea|sclera", "eye", 1),
    (r"teeth|tooth|tongue|gum|mouth", "mouth_interior", 2),
    (r"hair|scalp", "hair", 0),
    (r"cloth|shirt|jacket|body|torso", "clothing", 4),
    (r"nose", "nose", 0),
    (r"upper.?lip", "upper_lip", 0),
    (r"lower.?lip", "lower_lip", 0),
    (r"(^|[^a-z])ears?([^a-z]|$)", "ear", 0),
    (r"neck", "neck", 0),
)


def arkit_unit(key_name: str) -> str | None:
    """The ARKit unit a shape-key name denotes, or None (rules in the module docstring)."""
    name = re.split(r"[.:|]", key_name)[-1].strip()
    low = name.lower()
    for prefix in ("arkit_", "arkit", "bs_"):
        if low.startswith(prefix) and len(low) > len(prefix):
            low = low[len(prefix) :]
            break
    low = re.sub(r"[_\-. ]l$", "left", low)
    low = re.sub(r"[_\-. ]r$", "right", low)
    return _UNIT_KEYS.get(re.sub(r"[^a-z]", "", low))


def build_fbx_asset(model_path: str | Path, progress=None) -> HeadAsset:
    """HeadAsset from an .fbx/.glb/.gltf file (module docstring); AssetError on bad input."""
    from assets_pipeline import blender_io

    step = progress or (lambda msg: None)
    path = Path(model_path)
    with blender_io.empty_blender() as bpy:
        step(f"importing {path.name} with Blender")
        blender_io.import_file(bpy, path)
        meshes = [o for o in bpy.data.objects if o.type == "MESH" and len(o.data.polygons)]
        if not meshes:
            raise AssetError(f"{path}: the file holds no mesh")

        def n_keys(o):
            return len(o.data.shape_keys.key_blocks) if o.data.shape_keys else 0

        head_obj = max(meshes, key=lambda o: (n_keys(o), len(o.data.vertices)))
        step(f"reading mesh {head_obj.name!r}")
        mesh = blender_io.read_mesh(head_obj)
        to_head = blender_io.HEAD_FROM_BLENDER
        eye_points = _eye_points(bpy, head_obj, to_head)
        rig = _armature_chain(bpy, head_obj, to_head)

    verts = mesh.vertices @ to_head.T
    scale = _unit_scale(verts)
    verts = verts * scale
    keys = {k: (d @ to_head.T) * scale for k, d in mesh.shape_keys.items()}
    eyes = None
    if eye_points is not None:
        eyes = [p * scale for p in eye_points]
    origin, origin_how = _origin(verts, eyes)
    verts = verts - origin
    return _assemble(path, mesh, verts, keys, eyes, origin, origin_how, rig, scale, step)


def _assemble(path, mesh, verts, keys, eyes, origin, origin_how, rig, scale, step):
    from synth.spec import MASK_CLASS_IDS as C

    n_v = len(verts)
    faces = mesh.triangles.astype(np.int32)
    step("mapping shape keys to ARKit units")
    unit_shapes = np.zeros((len(ARKIT_UNITS), n_v, 3), dtype=np.float32)
    mapped: dict[str, str] = {}
    local_names: list[str] = []
    local: list[np.ndarray] = []
    skipped: list[str] = []
    for name, delta in keys.items():
        unit = arkit_unit(name)
        if name.lower() in PRESETS:
            skipped.append(name)
        elif unit is not None and unit not in mapped.values():
            unit_shapes[ARKIT_UNITS.index(unit)] = delta
            mapped[name] = unit
        else:
            local_names.append(name)
            local.append(delta)
    missing = [u for u in ARKIT_UNITS if u not in mapped.values()]
    local_shapes = (
        np.stack([np.stack([d, -d]) for d in local]).astype(np.float32)
        if local
        else np.zeros((0, 2, n_v, 3), dtype=np.float32)
    )

    step("regions, head rotation and landmarks")
    region, part, scalp = _regions(mesh.material, verts, faces)
    if eyes is not None:
        eye_l, eye_r = eyes[0] - origin, eyes[1] - origin
    else:
        eye_l = np.array([NOMINAL_EYE_HALF_DISTANCE_M, 0.0, 0.0])
        eye_r = -eye_l
    if rig is not None:
        chain, chain_joints = rig
        chain_joints = chain_joints * scale - origin
    else:
        chain = np.zeros((n_v, 4), dtype=np.float32)
        chain[:, 3] = 1.0
        chain_joints = np.tile(np.asarray(DEFAULT_PIVOT_M), (4, 1))
    joints = np.vstack([chain_joints, eye_l, eye_r]).astype(np.float32)
    meta_extra = {}
    has_l = ((region == C["left_eye"]) & (part == 1)).any()
    if has_l and ((region == C["right_eye"]) & (part == 1)).any():
        from assets_pipeline.makehuman import _mark_iris

        meta_extra["pupil_vertices"] = _mark_iris(verts, faces, part, region)
    from assets_pipeline.landmark_transfer import jaw_faces, transfer_landmarks

    eye_dist = float(np.linalg.norm(eye_l - eye_r)) if eyes is not None else None
    lf, lb = transfer_landmarks(verts, faces, eye_dist, face_ok=jaw_faces(part, region))
    n_loc, n_j = len(local_names), len(joints)
    return HeadAsset(
        template=verts.astype(np.float32),
        faces=faces,
        face_region=region,
        face_scalp=scalp,
        face_part=part,
        uv=mesh.uv.astype(np.float32),
        phenotype_shapes=np.zeros((0, n_v, 3), dtype=np.float32),
        phenotype_mask=np.zeros((0, sum(map(len, PHENOTYPE_VARIATIONS.values()))), dtype=bool),
        local_names=tuple(local_names),
        local_shapes=local_shapes,
        expression_names=ARKIT_UNITS,
        expression_shapes=unit_shapes,
        chain_weights=chain.astype(np.float32),
        joint_names=(*CHAIN_BONES, "eye.L", "eye.R"),
        joint_template=joints,
        joint_phenotype_shapes=np.zeros((0, n_j, 3), dtype=np.float32),
        joint_local_shapes=np.zeros((n_loc, 2, n_j, 3), dtype=np.float32),
        joint_expression_shapes=np.zeros((len(ARKIT_UNITS), n_j, 3), dtype=np.float32),
        landmark_faces=lf,
        landmark_bary=lb,
        presets=PRESETS,
        meta={
            "source": "fbx",
            "source_detail": f"{path.name}: mesh {mesh.name!r}, {n_v} vertices, "
            f"{len(keys)} shape keys (Blender import)",
            "licences": {"assets": "supplied by the user: check the file's licence"},
            "frame": "head frame: x = image right (subject's left), y down, z back; metres",
            "unit_scale": scale,
            "origin": origin_how,
            "head_rotation": "armature neck/head weights" if rig is not None else "rigid head",
            "arkit_units_mapped": dict(sorted(mapped.items())),
            "arkit_units_missing": missing,
            "shape_keys_skipped": skipped,
            "landmarks": "geometric transfer from the default asset (landmark_transfer.py)",
            **meta_extra,
        },
    )


def _unit_scale(verts: np.ndarray) -> float:
    extent = float(np.ptp(verts, axis=0).max())
    lo, hi = PLAUSIBLE_EXTENT_M
    for k in (1.0, 0.01, 0.001, 0.1, 10.0, 100.0):
        if lo <= extent * k <= hi:
            return k
    raise AssetError(f"mesh extent {extent:g} m is not a head at any unit scale")


def _origin(verts: np.ndarray, eyes) -> tuple[np.ndarray, str]:
    if eyes is not None:
        return (eyes[0] + eyes[1]) / 2, "eye midpoint"
    top = verts[:, 1].min()
    head = verts[verts[:, 1] < top + 2 * CROWN_TO_EYES_M]
    lo, hi = head.min(axis=0), head.max(axis=0)
    y = min(top + CROWN_TO_EYES_M, (lo[1] + hi[1]) / 2)
    est = np.array([(lo[0] + hi[0]) / 2, y, lo[2] + TIP_TO_EYES_M])
    return est, "estimated eye midpoint (no eyes found; bounding box of the head)"


def _eye_points(bpy, head_obj, to_head) -> list[np.ndarray] | None:
    """(left, right) eye centres in the head frame before scaling/origin, or None."""
    pts = []
    for o in bpy.data.objects:
        if o is not head_obj and o.type == "MESH" and _EYE_RE.search(o.name):
            mw = np.array(o.matrix_world)
            co = np.zeros(len(o.data.vertices) * 3)
            o.data.vertices.foreach_get("co", co)
            pts.append((co.reshape(-1, 3) @ mw[:3, :3].T + mw[:3, 3]) @ to_head.T)
    if not pts:
        mw = np.array(head_obj.matrix_world)
        for vg in head_obj.vertex_groups:
            if _EYE_RE.search(vg.name):
                ids = [
                    v.index
                    for v in head_obj.data.vertices
                    if any(g.group == vg.index and g.weight > 0.5 for g in v.groups)
                ]
                if ids:
                    co = np.array([head_obj.data.vertices[i].co for i in ids])
                    pts.append((co @ mw[:3, :3].T + mw[:3, 3]) @ to_head.T)
    if not pts:
        for arm in (o for o in bpy.data.objects if o.type == "ARMATURE"):
            mw = np.array(arm.matrix_world)
            for b in arm.data.bones:
                if _EYE_RE.search(b.name) and "end" not in b.name.lower():
                    p = mw[:3, :3] @ np.array(b.head_local) + mw[:3, 3]
                    pts.append((p @ to_head.T)[None])
    if not pts:
        return None
    p = np.vstack(pts)
    cx = np.median(p[:, 0])
    left, right = p[p[:, 0] > cx], p[p[:, 0] < cx]
    if len(left) == 0 or len(right) == 0:
        return None
    return [(s.min(axis=0) + s.max(axis=0)) / 2 for s in (left, right)]


def _armature_chain(bpy, head_obj, to_head):
    """(chain weights (V,4), chain joints (4,3) unscaled head frame) or None (docstring 5)."""
    arm = head_obj.parent if head_obj.parent and head_obj.parent.type == "ARMATURE" else None
    for mod in head_obj.modifiers:
        if mod.type == "ARMATURE" and mod.object is not None:
            arm = mod.object
    if arm is None:
        return None
    bones = arm.data.bones
    head = next((b for b in bones if re.search(r"head(?!.*(end|top|nub))", b.name, re.I)), None)
    if head is None:
        return None
    necks = [b for b in bones if "neck" in b.name.lower() and "end" not in b.name.lower()]
    necks.sort(key=lambda b: len(b.parent_recursive))
    groups = {vg.name: vg.index for vg in head_obj.vertex_groups}
    bone_names = {b.name for b in bones}
    chain_of: dict[int, int] = {}
    for b in [head, *head.children_recursive]:
        if b.name in groups:
            chain_of[groups[b.name]] = 3
    slots = [2] if len(necks) == 1 else np.round(np.linspace(0, 2, len(necks))).astype(int)
    for b, slot in zip(necks, slots, strict=False):
        if b.name in groups:
            chain_of[groups[b.name]] = int(slot)
    deform = {i for n, i in groups.items() if n in bone_names}
    n_v = len(head_obj.data.vertices)
    chain = np.zeros((n_v, 4))
    total = np.zeros(n_v)
    for v in head_obj.data.vertices:
        for g in v.groups:
            if g.group in deform:
                total[v.index] += g.weight
                if g.group in chain_of:
                    chain[v.index, chain_of[g.group]] += g.weight
    chain /= np.maximum(total, 1e-12)[:, None]
    mw = np.array(arm.matrix_world)

    def pos(b):
        return (mw[:3, :3] @ np.array(b.head_local) + mw[:3, 3]) @ to_head.T

    joints = np.tile(pos(head), (4, 1))
    for b, slot in zip(necks, slots, strict=False):
        joints[int(slot)] = pos(b)
    for s in (1, 0):  # unfilled neck slots take their child's position
        if not any(int(x) == s for x in slots):
            joints[s] = joints[s + 1]
    return chain.astype(np.float32), joints


def _regions(material: np.ndarray, verts: np.ndarray, faces: np.ndarray):
    from synth.spec import MASK_CLASS_IDS as C

    n_f = len(faces)
    region = np.full(n_f, C["skin"], dtype=np.uint8)
    part = np.zeros(n_f, dtype=np.uint8)
    left = verts[faces].mean(axis=1)[:, 0] > 0
    uniq, inverse = np.unique(np.array([str(m).lower() for m in material]), return_inverse=True)
    done = np.zeros(n_f, dtype=bool)
    for pattern, cls, p in MATERIAL_REGIONS:
        hit = np.array([bool(re.search(pattern, n)) for n in uniq], dtype=bool)
        sel = ~done & hit[inverse]
        if cls in ("eye", "brow", "ear"):
            region[sel & left] = C[f"left_{cls}"]
            region[sel & ~left] = C[f"right_{cls}"]
        else:
            region[sel] = C[cls]
        part[sel] = p
        done |= sel
    return region, part, np.zeros(n_f, dtype=bool)


def build_from_source(model: Path | None, progress=None) -> HeadAsset:
    """Source-registry entry point: ``synth assets build --source fbx --model PATH``."""
    if model is None:
        raise AssetError("--source fbx needs --model PATH (.fbx, .glb or .gltf)")
    return build_fbx_asset(model, progress)
