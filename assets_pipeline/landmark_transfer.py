"""Place the 68 iBUG landmarks on a head that brings no (or only a partial) landmark definition.

Used by the FLAME source (for the 17 jaw-contour points FLAME's static embedding lacks, or
all 68 when the file has no embedding) and by the FBX/glTF source (always). Procedure, in the
head frame (x = subject's left = image right, y down, z back, origin at the eye midpoint):

- jaw 0-16: the frontal silhouette of the face, like ``landmarks.py``: face vertices (the
  caller's ``face_ok``: skin, no neck or clothing) below eye level and less than
  ``JAW_DEPTH_M`` behind the eye centres (in front of the ears), sampled along 17 rays from
  the origin, from image left (0) through straight down (8, chin) to image right (16); the
  farthest vertex within a 4-degree cone of each ray and within ``JAW_REACH`` times the
  (scaled) template point's distance, so the chest and shoulders of a bust never count;
- 17-67: the default MakeHuman asset's landmarks (mean identity, neutral face; x/y in
  ``TEMPLATE_XY_MM``), scaled by the ratio of eye-centre distances when the head has eyes,
  projected along +z onto the first surface they meet (a barycentric point); a point whose
  ray misses the mesh takes the nearest vertex in x/y.

This is a fallback: it is only as good as the head's proportions are close to the default
head's; look at the landmarks of a new asset (docs/ASSETS_SOURCES.md) before training on them.
"""

from __future__ import annotations

import numpy as np

# x, y (mm) of the 68 landmarks of the default MakeHuman asset (mean identity, neutral),
# relative to its eye midpoint; left-right symmetric; iBUG order (0-based).
TEMPLATE_XY_MM = np.array([
    (-63.7, 5.5), (-64.9, 19.9), (-65.1, 30.4), (-58.3, 43.3), (-56.3, 63.9), (-51.3, 80.4),
    (-35.3, 105.9), (-21.9, 115.1), (0.0, 120.4), (21.9, 115.1), (35.3, 105.9), (51.3, 80.4),
    (56.3, 63.9), (58.3, 43.3), (65.1, 30.4), (64.9, 19.9), (63.7, 5.5), (-48.9, -32.7),
    (-40.4, -31.7), (-31.8, -31.3), (-23.3, -31.1), (-14.7, -32.1), (14.7, -32.1), (23.3, -31.1),
    (31.8, -31.3), (40.4, -31.7), (48.9, -32.7), (0.0, 3.3), (0.0, 14.6), (0.0, 28.6),
    (0.0, 40.3), (-10.0, 51.6), (-2.0, 55.1), (0.0, 55.1), (2.0, 55.1), (10.0, 51.6),
    (-44.4, 1.9), (-35.3, -3.0), (-27.3, -2.4), (-20.7, 2.9), (-28.2, 5.4), (-35.8, 5.4),
    (20.7, 2.9), (27.3, -2.4), (35.3, -3.0), (44.4, 1.9), (35.8, 5.4), (28.2, 5.4),
    (-25.5, 71.0), (-17.7, 66.6), (-8.3, 63.3), (0.0, 63.8), (8.3, 63.3), (17.7, 66.6),
    (25.5, 71.0), (18.5, 78.8), (6.7, 84.9), (0.0, 82.0), (-6.7, 84.9), (-18.5, 78.8),
    (-24.6, 73.5), (-12.0, 71.5), (0.0, 72.1), (12.0, 71.5), (24.6, 73.5), (21.1, 74.3),
    (0.0, 73.7), (-21.1, 74.3),
])  # fmt: skip
TEMPLATE_EYE_DISTANCE_M = 0.0622  # between the default asset's eyeball centres
JAW_DEPTH_M = 0.02  # jaw candidates lie at most this far behind the eye centres
JAW_REACH = 1.3  # ... and at most this many times the template point's distance from the origin
_CONE_DEG = 4.0


def transfer_landmarks(
    vertices: np.ndarray,
    faces: np.ndarray,
    eye_distance_m: float | None = None,
    fixed: dict[int, tuple[int, np.ndarray]] | None = None,
    face_ok: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(68,) face ids int32 and (68,3) barycentric weights float32 (module docstring).

    ``vertices`` (V,3) metres in the head frame; ``fixed`` maps iBUG index -> (face, bary)
    for points the source defines itself; ``face_ok`` (F,) bool limits the jaw contour to
    face skin (default: all faces; see :func:`jaw_faces`).
    """
    v = np.asarray(vertices, dtype=np.float64)
    F = np.asarray(faces, dtype=np.int64)
    fixed = dict(fixed or {})
    out_f = np.zeros(68, dtype=np.int32)
    out_b = np.zeros((68, 3), dtype=np.float32)
    for k, (f, b) in fixed.items():
        out_f[k], out_b[k] = f, b
    ok = np.ones(len(F), dtype=bool) if face_ok is None else np.asarray(face_ok, dtype=bool)
    project = [i for i in range(17, 68) if i not in fixed]
    jaw_missing = [i for i in range(17) if i not in fixed]
    if jaw_missing:
        jaw = _jaw_silhouette(v, F, ok, _scaled(eye_distance_m)[:17])
        for i in jaw_missing:
            if jaw[i] >= 0:
                out_f[i], out_b[i] = _vertex_bary(F, int(jaw[i]))
            else:  # no silhouette vertex in this cone: project the template point
                project.append(i)
    if project:
        for i, (f, b) in zip(
            project, _project(v, F, _scaled(eye_distance_m)[project]), strict=True
        ):
            out_f[i], out_b[i] = f, b
    return out_f, out_b


def _scaled(eye_distance_m: float | None) -> np.ndarray:
    s = 1.0 if not eye_distance_m else eye_distance_m / TEMPLATE_EYE_DISTANCE_M
    return TEMPLATE_XY_MM * 1e-3 * s


def _project(v: np.ndarray, F: np.ndarray, xy: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """First surface point along +z at each (x, y): (face, barycentric) per point."""
    import trimesh

    mesh = trimesh.Trimesh(v, F, process=False)
    origins = np.column_stack([xy, np.full(len(xy), v[:, 2].min() - 0.1)])
    dirs = np.tile([0.0, 0.0, 1.0], (len(xy), 1))
    locs, ray_idx, tri = mesh.ray.intersects_location(origins, dirs, multiple_hits=True)
    out = []
    for r in range(len(xy)):
        sel = np.nonzero(ray_idx == r)[0]
        if len(sel) == 0:  # outside the silhouette: nearest vertex in x/y
            vid = int(np.argmin(np.linalg.norm(v[:, :2] - xy[r], axis=1)))
            out.append(_vertex_bary(F, vid))
            continue
        first = sel[np.argmin(locs[sel, 2])]
        bary = trimesh.triangles.points_to_barycentric(v[F[tri[first]]][None], locs[first][None])
        out.append((int(tri[first]), bary[0].astype(np.float32)))
    return out


def _jaw_silhouette(v: np.ndarray, F: np.ndarray, face_ok: np.ndarray, tmpl: np.ndarray):
    """Vertex id per jaw point 0-16 (-1 where a cone holds no candidate)."""
    cand = np.unique(F[face_ok])
    cand = cand[(v[cand, 2] < JAW_DEPTH_M) & (v[cand, 1] > -0.005)]
    q = v[cand, :2]
    ang = np.arctan2(q[:, 1], q[:, 0])
    out = np.full(17, -1, dtype=np.int64)
    for i in range(17):
        phi = np.pi - i * np.pi / 16
        dang = np.abs(np.angle(np.exp(1j * (ang - phi))))
        reach = JAW_REACH * np.linalg.norm(tmpl[i])
        cone = np.nonzero((dang < np.deg2rad(_CONE_DEG)) & (np.hypot(*q.T) < reach))[0]
        if len(cone):
            proj = q[cone] @ np.array([np.cos(phi), np.sin(phi)])
            out[i] = cand[cone[np.argmax(proj)]]
    return out


def _vertex_bary(F: np.ndarray, vid: int) -> tuple[int, np.ndarray]:
    fi, corner = np.argwhere(F == vid)[0]
    bary = np.zeros(3, dtype=np.float32)
    bary[corner] = 1.0
    return int(fi), bary


def jaw_faces(face_part: np.ndarray, face_region: np.ndarray) -> np.ndarray:
    """Faces that may carry the jaw contour: skin-mesh faces not labelled neck, clothing,
    hair or ear (F,) bool."""
    from synth.spec import MASK_CLASS_IDS as C

    excluded = [C[n] for n in ("neck", "clothing", "hair", "left_ear", "right_ear")]
    return (np.asarray(face_part) == 0) & ~np.isin(face_region, excluded)
