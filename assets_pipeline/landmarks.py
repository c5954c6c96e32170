"""The 68 iBUG 300-W landmarks as points on the MakeHuman head (face index + barycentric).

Reproducible procedure on the mean adult identity, neutral face, head frame (x = image
right, y down, z to the back); iBUG numbering is 0-based here (iBUG 1 -> 0):

- eyes 36-47: the lid margin is the edge loop where the eye-cavity faces meet the lid
  skin; corners are its extreme-x vertices, the two upper (lower) points are the loop
  vertices above (below) the corner line nearest to 1/3 and 2/3 of the corner span;
- inner lips 60-67: the same on the loop where the mouth cavity meets the lips, at 1/4,
  1/2, 3/4; outer lips 48-59: the loop where the lips meet the skin, at k/6;
- brows 17-26: at 10/30/50/70/90 % of each brow's x span, the first surface point along
  the viewing axis at the brow's mid-height there (a barycentric point, not a vertex);
- nose 27-35: 30 = front-most nose vertex (pronasale); 27 = midline point at the height
  of the inner eye corners; 28, 29 midline points at 1/3, 2/3 down to 30; 33 = deepest
  midline point between the tip and the upper lip (subnasale); 31/35 = the
  skin vertices where nose-flaring acts most within 3 mm of the subnasale height (alar
  base); 32/34 = lowest front vertices half-way between 33 and them;
- jaw 0-16: the frontal silhouette of the head-driven face skin in front of the ears,
  sampled along 17 rays from the eye-level midline point, from image left (0) through
  straight down (8, chin) to image right (16).

Points 0-16 and 17-21/36-41 etc. follow iBUG's image-left-first order for a frontal face.
"""

from __future__ import annotations

import numpy as np

from synth.spec import MASK_CLASS_IDS as C

_MIDLINE_M = 0.001


def _boundary_vertices(faces, a_mask, b_mask):
    """Vertices of edges shared by a face in ``a_mask`` and a face in ``b_mask``."""

    def edges(fs):
        e = np.concatenate([fs[:, [0, 1]], fs[:, [1, 2]], fs[:, [2, 0]]])
        return {tuple(sorted(x)) for x in e.tolist()}

    shared = edges(faces[a_mask]) & edges(faces[b_mask])
    if not shared:
        raise ValueError("landmark procedure: regions do not touch")
    return np.unique(np.array(sorted(shared)).ravel())


def _contour(verts, idx, upper_fracs, lower_fracs):
    """Corners + upper/lower points of a closed contour given by vertex ids ``idx``."""
    p = verts[idx]
    left, right = idx[np.argmin(p[:, 0])], idx[np.argmax(p[:, 0])]
    a, b = verts[left], verts[right]
    t = (p[:, 0] - a[0]) / (b[0] - a[0])
    line_y = a[1] + t * (b[1] - a[1])
    upper, lower = p[:, 1] < line_y, p[:, 1] >= line_y

    def pick(sel, frac):
        cand = np.nonzero(sel)[0]
        return idx[cand[np.argmin(np.abs(t[cand] - frac))]]

    return left, right, [pick(upper, f) for f in upper_fracs], [pick(lower, f) for f in lower_fracs]


def place_landmarks(asset, identity: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """(68,) face ids and (68,3) barycentric weights; see the module docstring."""
    verts, _ = asset.evaluate(phenotypes=identity)
    F = asset.faces.astype(np.int64)
    lab = asset.face_region
    skin_mesh = asset.face_part == 0
    out = np.zeros(68, dtype=np.int64)

    # Eyes. Subject's right eye is on the image left: iBUG 36-41.
    for cls, base in ((C["right_eye"], 36), (C["left_eye"], 42)):
        cav = skin_mesh & (lab == cls)
        lid = skin_mesh & (lab != cls)
        idx = _boundary_vertices(F, cav, lid)
        left, right, up, lo = _contour(verts, idx, (1 / 3, 2 / 3), (2 / 3, 1 / 3))
        out[base : base + 6] = [left, up[0], up[1], right, lo[0], lo[1]]

    lips = np.isin(lab, [C["upper_lip"], C["lower_lip"]]) & skin_mesh
    mouth = (lab == C["mouth_interior"]) & skin_mesh
    idx = _boundary_vertices(F, mouth, lips | (skin_mesh & (lab == C["skin"])))
    left, right, up, lo = _contour(verts, idx, (0.25, 0.5, 0.75), (0.75, 0.5, 0.25))
    out[60:68] = [left, *up, right, *lo]
    idx = _boundary_vertices(F, lips, skin_mesh & (lab == C["skin"]))
    fr = [k / 6 for k in range(1, 6)]
    left, right, up, lo = _contour(verts, idx, fr, fr[::-1])
    out[48:60] = [left, *up, right, *lo]

    # Brows, in ascending x: 17-21 outer->inner (image left), 22-26 inner->outer.
    brow_pts = {}
    for cls, base in ((C["right_brow"], 17), (C["left_brow"], 22)):
        cen = verts[F[skin_mesh & (lab == cls)]].mean(axis=1)
        x0, x1 = cen[:, 0].min(), cen[:, 0].max()
        for k, f in enumerate((0.1, 0.3, 0.5, 0.7, 0.9)):
            xt = x0 + f * (x1 - x0)
            near = cen[np.argsort(np.abs(cen[:, 0] - xt))[:6]]
            brow_pts[base + k] = (xt, 0.5 * (near[:, 1].min() + near[:, 1].max()))

    # Nose.
    skin_v = np.unique(F[skin_mesh & np.isin(lab, [C["skin"], C["nose"], C["upper_lip"]])])
    sp = verts[skin_v]
    nose_v = np.unique(F[skin_mesh & (lab == C["nose"])])
    tip = nose_v[np.argmin(verts[nose_v, 2])]
    out[30] = tip
    mid = skin_v[np.abs(sp[:, 0]) < _MIDLINE_M]
    mp = verts[mid]
    y_eye = 0.5 * (verts[out[39], 1] + verts[out[42], 1])
    z_eye = 0.5 * (verts[out[39], 2] + verts[out[42], 2])

    def midline_at(y):
        front = mp[:, 2] < z_eye + 0.005
        cand = np.nonzero(front)[0]
        return mid[cand[np.argmin(np.abs(mp[cand, 1] - y))]]

    out[27] = midline_at(y_eye)
    y27, y30 = verts[out[27], 1], verts[tip, 1]
    out[28] = midline_at(y27 + (y30 - y27) / 3)
    out[29] = midline_at(y27 + 2 * (y30 - y27) / 3)
    y51 = verts[out[51], 1]
    between = (mp[:, 1] > y30) & (mp[:, 1] < y51) & (mp[:, 2] < verts[tip, 2] + 0.03)
    cand = np.nonzero(between)[0]
    out[33] = mid[cand[np.argmax(mp[cand, 2])]]
    y33, z33 = verts[out[33], 1], verts[out[33], 2]
    from assets_pipeline.regions import target_influence

    flare = target_influence(list(asset.local_names), asset.local_shapes, ("nose-flaring",))
    slab = skin_v[(np.abs(sp[:, 1] - y33 + 0.001) < 0.003) & (sp[:, 2] < z33 + 0.012)]
    for k, sign in ((31, -1.0), (35, 1.0)):
        side = slab[sign * verts[slab, 0] > 0.006]
        out[k] = side[np.argmax(flare[side])]
    for k, src in ((32, 31), (34, 35)):
        xt = verts[out[src], 0] / 2
        near = slab[np.abs(verts[slab, 0] - xt) < 0.003]
        out[k] = near[np.argmax(verts[near, 1] - 0.3 * verts[near, 2])]

    # Jaw: frontal silhouette of head-driven face skin in front of the ears.
    ear_v = np.unique(F[np.isin(lab, [C["left_ear"], C["right_ear"]])])
    z_ear = verts[ear_v, 2].min()
    face_f = skin_mesh & np.isin(lab, [C["skin"], C["upper_lip"], C["lower_lip"]])
    fv = np.unique(F[face_f])
    head_w = asset.chain_weights[fv, 3]
    fv = fv[(head_w > 0.5) & (verts[fv, 2] < z_ear) & (verts[fv, 1] > y_eye - 0.005)]
    q = verts[fv, :2] - np.array([0.0, y_eye])
    ang = np.arctan2(q[:, 1], q[:, 0])
    for i in range(17):
        phi = np.pi - i * np.pi / 16
        dang = np.abs(np.angle(np.exp(1j * (ang - phi))))
        cone = np.nonzero(dang < np.deg2rad(4.0))[0]
        proj = q[cone] @ np.array([np.cos(phi), np.sin(phi)])
        out[i] = fv[cone[np.argmax(proj)]]

    faces, bary = _vertex_to_face_bary(F, out)
    for k, (x, y) in brow_pts.items():
        faces[k], bary[k] = _frontal_hit(verts, F, x, y)
    return faces, bary


def _frontal_hit(verts, F, x, y):
    """Face and barycentric weights of the first surface point along +z at (x, y)."""
    import trimesh

    mesh = trimesh.Trimesh(verts, F, process=False)
    origin = np.array([[x, y, verts[:, 2].min() - 0.1]])
    locs, _, tri = mesh.ray.intersects_location(origin, np.array([[0.0, 0.0, 1.0]]))
    if len(tri) == 0:
        raise ValueError(f"landmark procedure: no surface at ({x:.3f}, {y:.3f})")
    first = np.argmin(locs[:, 2])
    bary = trimesh.triangles.points_to_barycentric(verts[F[tri[first]]][None], locs[first][None])
    return int(tri[first]), bary[0].astype(np.float32)


def _vertex_to_face_bary(F: np.ndarray, vids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    faces = np.zeros(len(vids), dtype=np.int32)
    bary = np.zeros((len(vids), 3), dtype=np.float32)
    for k, v in enumerate(vids):
        fi, corner = np.argwhere(F == v)[0]
        faces[k] = fi
        bary[k, corner] = 1.0
    return faces, bary
