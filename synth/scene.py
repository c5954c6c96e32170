"""SceneSpec + HeadAsset -> camera-frame geometry shared by every renderer.

Both renderers (fast and Cycles) draw exactly this geometry, so they differ only in
shading. Everything is in the OpenCV camera frame (metres, x right, y down, z forward).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assets_pipeline.hair_shell import PART_HAIR
from assets_pipeline.head_asset import CHAIN_BONES, HeadAsset, transform_points
from synth.background import backdrop
from synth.room import room
from synth.spec import MASK_CLASS_IDS as C
from synth.spec import SceneSpec

# face_part codes beyond the asset's (0-7): background geometry.
PART_BACKDROP, PART_CLUTTER = 10, 11


def head_rotation(yaw_deg: float, pitch_deg: float, roll_deg: float) -> np.ndarray:
    """R = Rz(roll) @ Ry(yaw) @ Rx(pitch), camera frame (see HeadPoseSpec)."""
    p, r = np.deg2rad([pitch_deg, roll_deg])
    Rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    Rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return Rz @ body_rotation(yaw_deg) @ Rx


def body_rotation(yaw_deg: float) -> np.ndarray:
    """B = Ry(yaw): the torso's turn about the head frame's vertical (y) axis; also the
    yaw factor of ``head_rotation`` (one matrix, one sign convention)."""
    y = np.deg2rad(yaw_deg)
    return np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])


def turn_body(
    asset: HeadAsset, rest: np.ndarray, joints: np.ndarray, R: np.ndarray, body_yaw_deg: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pose the head to ``R`` (3x3, head frame, relative to the camera) on a torso turned by
    ``body_yaw_deg``: the neck chain takes ``R_rel = B^T R`` (``asset.posed``), then every
    vertex and joint turns by ``B`` about the vertical line through the chain's root joint,
    so the head's final rotation is exactly ``R``. Returns (V,3), (J,3) float32, head frame.
    Body yaw 0 is exactly ``asset.posed(rest, joints, R)``. Elementwise float64 formulas
    (no BLAS reductions) keep the result bit-identical across runs and workers."""
    if body_yaw_deg == 0:
        return asset.posed(rest, joints, R)
    B = body_rotation(body_yaw_deg)
    R_rel = np.einsum("ji,jk->ik", B, np.asarray(R, dtype=np.float64))
    verts, posed_j = asset.posed(rest, joints, R_rel)
    # The chain's root joint does not move in posed(); B leaves y alone, so turning about
    # the root point is turning about the vertical line through it.
    pivot = posed_j[asset.joint_names.index(CHAIN_BONES[0])].astype(np.float64)
    c, s = B[0, 0], B[0, 2]

    def turn(p: np.ndarray) -> np.ndarray:
        q = p.astype(np.float64)
        dx, dz = q[:, 0] - pivot[0], q[:, 2] - pivot[2]
        x = c * dx + s * dz + pivot[0]
        z = -s * dx + c * dz + pivot[2]
        return np.stack([x, q[:, 1], z], axis=1).astype(np.float32)

    return turn(verts), turn(posed_j)


@dataclass
class SceneGeometry:
    """Triangles of one sample in the camera frame.

    vertices (N,3) f32 m; faces (M,3) i32; face_class (M,) u8 (MASK_CLASSES);
    face_part (M,) u8 (asset codes 0-7, 10 backdrop, 11 clutter); face_albedo (M,3) f32
    linear RGB; n_head_vertices / n_head_faces: the head comes first;
    landmarks_3d (68,3) f32 camera frame; head_rotation (3,3) camera-from-head;
    head_translation (3,) camera-frame position of the head joint (rotation pivot of the
    head bone).
    """

    vertices: np.ndarray
    faces: np.ndarray
    face_class: np.ndarray
    face_part: np.ndarray
    face_albedo: np.ndarray
    n_head_vertices: int
    n_head_faces: int
    landmarks_3d: np.ndarray
    head_rotation: np.ndarray
    head_translation: np.ndarray


def skin_albedo(tone: float) -> np.ndarray:
    """Linear-RGB skin albedo from a 0 (light) .. 1 (dark) tone."""
    light = np.array([0.80, 0.56, 0.45])
    dark = np.array([0.20, 0.11, 0.07])
    return (1 - tone) * light + tone * dark


def head_albedo(asset: HeadAsset, spec: SceneSpec) -> np.ndarray:
    """Per-face linear albedo of the head for the fast renderer (Cycles has its own)."""
    ident = spec.identity
    skin = skin_albedo(ident.skin_tone)
    cls = asset.face_region
    part = asset.face_part
    alb = np.tile(skin, (len(cls), 1))
    alb[np.isin(cls, [C["upper_lip"], C["lower_lip"]])] = skin * np.array([1.0, 0.7, 0.7])
    brow = np.isin(cls, [C["left_brow"], C["right_brow"]])
    alb[brow] = 0.7 * skin + 0.3 * np.array(
        ident.hair_rgb if ident.has_hair else [0.08, 0.05, 0.03]
    )
    alb[cls == C["mouth_interior"]] = np.array([0.35, 0.08, 0.08])
    alb[part == 2] = np.array([0.8, 0.78, 0.7])
    alb[part == 1] = np.array([0.85, 0.82, 0.8])
    alb[part == 5] = np.array(ident.eye_rgb)
    alb[part == 6] = np.array([0.01, 0.01, 0.01])
    alb[part == 4] = np.array(ident.clothing_rgb)
    alb[part == PART_HAIR] = np.array(ident.hair_rgb)
    if ident.has_hair and not asset.has_hair_shell:
        alb[asset.face_scalp] = np.array(ident.hair_rgb)
    return alb.astype(np.float32)


def head_classes(asset: HeadAsset, spec: SceneSpec) -> np.ndarray:
    """Per-face class: the asset's regions; an asset without a hair shell labels its
    scalp faces "hair" when the identity has hair (the shell is labelled "hair" itself)."""
    cls = asset.face_region.copy()
    if spec.identity.has_hair and not asset.has_hair_shell:
        cls[asset.face_scalp] = C["hair"]
    return cls


def build_geometry(
    asset: HeadAsset, spec: SceneSpec, *, identity_cache: dict | None = None
) -> SceneGeometry:
    """Evaluate the head for ``spec`` and add its background, all in the camera frame.

    ``identity_cache`` (optional, owned by the caller) memoises identity offsets, which
    samples of the same identity share.
    """
    ident = spec.identity
    key = ident.identity_id
    if identity_cache is not None and key in identity_cache and identity_cache[key][0] == ident:
        dv, dj = identity_cache[key][1]
    else:
        dv, dj = asset.identity_offsets(ident.phenotypes, ident.local_changes, ident.hair_shape)
        if identity_cache is not None:
            identity_cache[key] = (ident, (dv, dj))
    ev, ej = asset.expression_offsets(spec.expression.face_units)
    hp = spec.head_pose
    R = head_rotation(hp.yaw_deg, hp.pitch_deg, hp.roll_deg)
    verts_h, joints_h = turn_body(
        asset, asset.template + dv + ev, asset.joint_template + dj + ej, R, spec.body_yaw_deg
    )
    T = np.array(spec.camera.cam_from_world)
    verts = transform_points(verts_h, T[:3, :3], T[:3, 3])
    lms = transform_points(asset.landmarks(verts_h), T[:3, :3], T[:3, 3])
    head_joint = transform_points(joints_h[[asset.joint_names.index("head")]], T[:3, :3], T[:3, 3])[
        0
    ]

    parts_v, parts_f = [verts], [asset.faces.astype(np.int64)]
    cls = [head_classes(asset, spec)]
    part = [asset.face_part]
    alb = [head_albedo(asset, spec)]
    rng = np.random.default_rng(spec.background.seed)
    kind = spec.background.kind
    offset = len(verts)
    extra = []
    if kind == "textured":
        extra.append((PART_BACKDROP, backdrop(spec, rng)))
    if kind == "cluttered":
        shell, objects = room(spec, rng)
        extra += [(PART_BACKDROP, shell), (PART_CLUTTER, objects)]
    for code, (v, f, a) in extra:
        parts_v.append(v)
        parts_f.append(f + offset)
        cls.append(np.full(len(f), C["scene"], np.uint8))
        part.append(np.full(len(f), code, np.uint8))
        alb.append(a)
        offset += len(v)
    return SceneGeometry(
        vertices=np.concatenate(parts_v).astype(np.float32),
        faces=np.concatenate(parts_f).astype(np.int32),
        face_class=np.concatenate(cls).astype(np.uint8),
        face_part=np.concatenate(part).astype(np.uint8),
        face_albedo=np.concatenate(alb).astype(np.float32),
        n_head_vertices=len(verts),
        n_head_faces=len(asset.faces),
        landmarks_3d=lms.astype(np.float32),
        head_rotation=(T[:3, :3] @ R).astype(np.float64),
        head_translation=head_joint.astype(np.float64),
    )
