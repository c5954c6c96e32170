"""Hair shell: labelled hair volume over the MakeHuman scalp (numpy, build time).

MakeHuman's head is bald. A painted scalp gives every subject the same swim-cap silhouette
and a hard hairline, and RGB-only strands that stand off the skin would disagree with the
depth. So the asset carries the hair volume as geometry that both renderers draw, and
the labels (depth, mask class "hair") describe it exactly:

- the **shell** is a copy of the head skin around the scalp: the scalp faces plus a margin
  of ``MARGIN_M`` below the asset's hairline (forehead, temples, around the ears, nape).
  Every shell vertex copies its skin vertex's rows in every basis (phenotypes, local
  changes, face units, chain weights), so for any identity, expression and pose it sits
  exactly where its skin vertex is, offset along the template's outward normal;
- at the template the shell lies ``INSET_M`` *inside* the skin, where it is hidden;
- ``SHELL_SHAPES`` are three linear bases, thicknesses along that normal (``hair_shapes``,
  shaped like the other bases; ``HAIR_SHAPES`` adds the curtain's ``length``,
  assets_pipeline.hair_curtain, appended at the end of ``add_hair_shell``).
  Coefficients come from ``IdentitySpec.hair_shape``:
  ``volume`` (0..~1.3: the hair's thickness, thickest on top), ``hairline`` (-1..1:
  lower or higher front hairline) and ``temples`` (0..1: receding temples, an "M").
  The hair shows where the summed thickness exceeds the inset: its hairline is the curve
  where the shell comes out of the skin, so it moves with the coefficients; an identity
  without hair has all coefficients 0 and no visible shell.

The shell's outer boundary always stays inside the skin (every basis is zero there), so
no open edge of the shell is ever visible (the curtain's edges are hair ends).
Coordinates: head frame (metres, y down, z back).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from assets_pipeline.head_asset import HeadAsset
from assets_pipeline.neckline import VERTEX_ARRAYS
from synth.spec import MASK_CLASS_IDS as C

SHELL_SHAPES: tuple[str, ...] = ("volume", "hairline", "temples")
# The shell's bases plus the curtain's (assets_pipeline.hair_curtain): a jaw-length bob.
HAIR_SHAPES: tuple[str, ...] = (*SHELL_SHAPES, "length")
PART_HAIR = 7  # face_part code of the shell
INSET_M = 0.0015  # the shell's depth under the skin at the template (no hair)
MARGIN_M = 0.03  # shell extent below the scalp label's edge (room for a lower hairline)
TOP_M, SIDE_M = 0.013, 0.009  # volume thickness on the crown and on the sides/back
FRONT_START_M = 0.022  # the front hair edge's distance inside the scalp label
RAMP_M = 0.045  # width of the volume's rise from the hair's edge
HAIRLINE_SHIFT_M = 0.014  # how far the hairline basis moves the front edge per unit
TEMPLE_M = 0.014  # the temples basis's peak depth (negative thickness)
TEMPLE_X_M = 0.048  # |x| of the temple recession's centre
RIM_FADE_M = 0.012  # the bases fade to zero over this distance from the shell's rim
SUBDIVISIONS = 1  # Loop steps on the shell (a smooth hairline and silhouette)


def vertex_normals(verts: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted unit vertex normals (V,3) float64, oriented outwards (away from the
    centroid of ``faces``)."""
    v = verts.astype(np.float64)
    a, b, c = (v[faces[:, k]] for k in range(3))
    n = np.cross(b - a, c - a)
    out = np.sum(n * ((a + b + c) / 3 - v[np.unique(faces)].mean(0)), axis=1)
    n = n if np.median(out) > 0 else -n
    vn = np.zeros_like(v)
    for k in range(3):
        np.add.at(vn, faces[:, k], n)
    return vn / np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-12)


def signed_scalp_distance(ref: np.ndarray, faces: np.ndarray, scalp: np.ndarray, body):
    """(V,) metres from each vertex to the asset's hairline: + inside the scalp label,
    - outside it (Euclidean distance to the nearest vertex on the other side; ``body``
    selects the faces that count as outside: every skin and clothing face)."""
    from scipy.spatial import cKDTree

    in_v = np.zeros(len(ref), bool)
    in_v[np.unique(faces[scalp])] = True
    out_v = np.zeros(len(ref), bool)
    out_v[np.unique(faces[body & ~scalp])] = True
    in_v &= ~out_v  # vertices on the label's edge are at distance 0 from outside
    d_out, _ = cKDTree(ref[out_v]).query(ref)
    d_in, _ = cKDTree(ref[in_v]).query(ref)
    return np.where(in_v, d_out, -d_in)


def loop_subdivide(faces: np.ndarray, n_vertices: int):
    """One step of Loop subdivision as a linear operator: returns (S, new_faces) where S is
    a sparse (N', n_vertices) matrix mapping vertex rows (positions, or any per-vertex
    basis) to the subdivided mesh's rows, and new_faces (4F,3) index those rows. Boundary
    edges use the cubic B-spline boundary rules, so the open rim stays a curve."""
    import scipy.sparse as sp

    f = np.asarray(faces, np.int64)
    e = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
    edges, inverse, count = np.unique(e, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    n_e = len(edges)
    boundary = count == 1
    rows, cols, vals = [], [], []

    def add(r, c, v):
        rows.append(np.asarray(r)), cols.append(np.asarray(c)), vals.append(np.asarray(v, float))

    # Edge points: 3/8 (ends) + 1/8 (opposite vertices) inside, midpoints on the boundary.
    opposite = np.concatenate([f[:, 2], f[:, 0], f[:, 1]])
    n_f = len(f)
    for k in range(2):
        add(n_vertices + np.arange(n_e), edges[:, k], np.where(boundary, 0.5, 0.375))
    inside = ~boundary[inverse]
    add(n_vertices + inverse[inside], opposite[inside], np.full(inside.sum(), 0.125))
    # Vertex points: Loop's beta for interior vertices, 3/4 + 1/8 + 1/8 on the boundary.
    rim_edges = np.bincount(edges[boundary].ravel(), minlength=n_vertices)
    on_rim = rim_edges == 2
    pinned = rim_edges > 2  # where two rim loops touch: kept in place
    valence = np.bincount(edges.ravel(), minlength=n_vertices).astype(float)
    beta = np.where(valence > 3, 3.0 / (8.0 * np.maximum(valence, 1)), 3.0 / 16.0)
    used = np.zeros(n_vertices, bool)
    used[f.ravel()] = True
    interior = used & ~on_rim & ~pinned
    add(np.flatnonzero(interior), np.flatnonzero(interior), 1 - valence[interior] * beta[interior])
    fixed = ~used | pinned
    add(np.flatnonzero(fixed), np.flatnonzero(fixed), np.ones(fixed.sum()))
    add(np.flatnonzero(on_rim), np.flatnonzero(on_rim), np.full(on_rim.sum(), 0.75))
    inner = ~boundary
    for a, b in ((0, 1), (1, 0)):
        ia = edges[inner, a]
        keep = interior[ia]
        add(ia[keep], edges[inner, b][keep], beta[ia[keep]])
        ra = edges[boundary, a]
        keep = on_rim[ra]
        add(ra[keep], edges[boundary, b][keep], np.full(keep.sum(), 0.125))
    S = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_vertices + n_e, n_vertices),
    )
    m = n_vertices + inverse.reshape(3, n_f).T  # edge points of edges (01, 12, 20)
    new_faces = np.concatenate([
        np.stack([f[:, 0], m[:, 0], m[:, 2]], 1),
        np.stack([f[:, 1], m[:, 1], m[:, 0]], 1),
        np.stack([f[:, 2], m[:, 2], m[:, 1]], 1),
        np.stack([m[:, 0], m[:, 1], m[:, 2]], 1),
    ])  # fmt: skip
    return S, new_faces


def rim_vertices(faces: np.ndarray) -> np.ndarray:
    """Vertices on the boundary edges of a triangle mesh."""
    e = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    edges, count = np.unique(e, axis=0, return_counts=True)
    return np.unique(edges[count == 1])


def _subdivided_uv(uv: np.ndarray, levels: int) -> np.ndarray:
    """Per-corner UVs (F,3,2) of the faces ``loop_subdivide`` makes, by linear
    interpolation (the corner order of its four children per face)."""
    for _ in range(levels):
        a, b, c = uv[:, 0], uv[:, 1], uv[:, 2]
        ab, bc, ca = (a + b) / 2, (b + c) / 2, (c + a) / 2
        uv = np.concatenate([
            np.stack([a, ab, ca], 1), np.stack([b, bc, ab], 1),
            np.stack([c, ca, bc], 1), np.stack([ab, bc, ca], 1),
        ])  # fmt: skip
    return uv


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def hair_bases(ref: np.ndarray, normals: np.ndarray, d: np.ndarray) -> np.ndarray:
    """(3,V) thickness (m) per unit coefficient of HAIR_SHAPES at vertices ``ref`` with
    outward ``normals`` and signed hairline distance ``d``; zero at d <= -MARGIN_M + 5 mm.

    ``volume`` rises from 0 at the hair's edge over ``RAMP_M`` (a smoothstep): at the front
    the edge sits ``FRONT_START_M`` *inside* the MakeHuman scalp label (whose front edge is
    only ~3 cm above the brows: a forehead that short reads as a bowl cut), over the ears
    and at the nape it reaches below the label. ``hairline`` is the first-order shift of
    the front edge, ``HAIRLINE_SHIFT_M`` times the volume profile's slope: coefficient +1
    moves every iso-thickness line of the forehead ~``HAIRLINE_SHIFT_M`` lower (-1
    higher) instead of adding a ledge of hair in front of it."""
    up = np.clip(-normals[:, 1], 0.0, 1.0)  # 1 where the surface faces up (crown)
    front = np.clip(-normals[:, 2], 0.0, 1.0)  # 1 where it faces forwards (forehead)
    side = np.clip(np.abs(normals[:, 0]) * 1.4 - 0.2, 0.0, 1.0) * (1 - front)
    back = np.clip(normals[:, 2], 0.0, 1.0)
    # "In front" by azimuth round the head's vertical axis, not by the normal: constant
    # up the forehead as it curves into the crown, so the ramp keeps its width there.
    h = ref[:, [0, 2]] - np.array([0.0, 0.5 * (ref[:, 2].min() + ref[:, 2].max())])
    ahead = np.clip(-h[:, 1] / np.maximum(np.linalg.norm(h, axis=1), 1e-9), 0.0, 1.0) ** 2
    # Where the hair starts, as a distance below (+) or above (-) the label's edge.
    start = 0.006 + 0.018 * side + 0.008 * back - FRONT_START_M * ahead
    full = SIDE_M + (TOP_M - SIDE_M) * up
    r = (d + start) / RAMP_M
    volume = full * _smoothstep(r)
    slope = np.where((r > 0) & (r < 1), 6 * r * (1 - r), 0.0) / RAMP_M  # d(smoothstep)/dd
    hairline = HAIRLINE_SHIFT_M * ahead * full * slope
    temple = np.exp(-0.5 * ((np.abs(ref[:, 0]) - TEMPLE_X_M) / 0.018) ** 2)
    temples = -TEMPLE_M * temple * front * np.clip(1 - d / 0.05, 0.0, 1.0) * (d > -0.02)
    return np.stack([volume, hairline, temples])


def add_hair_shell(asset: HeadAsset, ref: np.ndarray) -> tuple[HeadAsset, np.ndarray]:
    """Append the shell (see the module docstring) to ``asset``; ``ref`` (V,3) is the mean
    identity in the head frame. Vertices are re-sorted top down (as HeadAsset evaluation
    expects), faces keep their ids (the shell's are appended). Returns the new asset and
    its reference vertices. Vertex ids change: place landmarks and iris after this."""
    faces = asset.faces.astype(np.int64)
    region = asset.face_region
    skin = (asset.face_part == 0) & (region == C["skin"])
    scalp = asset.face_scalp.astype(bool) & skin
    d = signed_scalp_distance(ref, faces, scalp, np.isin(asset.face_part, [0, 4]))
    # Head skin and neck round the scalp (not the ears: the hair fades out before them).
    sel = (skin | ((asset.face_part == 0) & (region == C["neck"]))) & np.all(
        d[faces] > -MARGIN_M, axis=1
    )
    src, local = np.unique(faces[sel], return_inverse=True)
    shell_local = local.reshape(-1, 3)
    # Loop-subdivide the shell (a linear operator on vertex rows, so every basis follows).
    S = None
    for _ in range(SUBDIVISIONS):
        step, shell_local = loop_subdivide(shell_local, len(src) if S is None else S.shape[0])
        S = step if S is None else step @ S
    S = S if S is not None else np.eye(len(src))

    def rows(x: np.ndarray) -> np.ndarray:
        """The shell's rows of a per-vertex array (vertex axis second-to-last)."""
        xs = np.moveaxis(np.take(x, src, axis=x.ndim - 2).astype(np.float64), -2, 0)
        out = (S @ xs.reshape(len(src), -1)).reshape(S.shape[0], *xs.shape[1:])
        return np.moveaxis(out, 0, -2).astype(x.dtype)

    normals = rows(vertex_normals(ref, faces[skin]))
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    shell_ref = rows(ref.astype(np.float64))
    from scipy.spatial import cKDTree

    # Every basis fades to zero towards the shell's open rim (next to the ears, brows,
    # neck), so the rim always stays under the skin, whatever the coefficients.
    rim_dist, _ = cKDTree(shell_ref[rim_vertices(shell_local)]).query(shell_ref)
    bases = hair_bases(shell_ref, normals, rows(d[:, None])[:, 0])
    bases *= _smoothstep(rim_dist / RIM_FADE_M)[None]
    n_old, n_shell_v = len(ref), S.shape[0]
    shell_faces = n_old + shell_local

    kw = {}
    for name in VERTEX_ARRAYS:
        x = getattr(asset, name)
        kw[name] = np.concatenate([x, rows(x)], axis=x.ndim - 2)
    kw["template"][n_old:] -= (INSET_M * normals).astype(np.float32)
    new_ref = np.concatenate([ref, shell_ref - INSET_M * normals]).astype(ref.dtype)
    hair = np.zeros((len(SHELL_SHAPES), n_old + n_shell_v, 3), np.float32)
    hair[:, n_old:] = (bases[:, :, None] * normals[None]).astype(np.float32)
    kw["hair_shapes"] = hair

    shelled, shell_ref = append_hair_faces(
        asset, kw, new_ref, shell_faces, _subdivided_uv(asset.uv[sel], SUBDIVISIONS),
        SHELL_SHAPES,
    )  # fmt: skip
    from assets_pipeline.hair_curtain import add_hair_curtain

    return add_hair_curtain(shelled, shell_ref, PART_HAIR)


def append_hair_faces(asset: HeadAsset, kw: dict, ref: np.ndarray, new_faces: np.ndarray,
                      uv: np.ndarray, hair_names: tuple[str, ...]):  # fmt: skip
    """``asset`` with its per-vertex arrays replaced by ``kw`` (the old rows, then the new
    ones), ``new_faces`` (ids into those rows, with per-corner ``uv``) appended as hair
    (part PART_HAIR, class hair) and ``hair_names``; vertices re-sorted top down by
    ``ref`` (as HeadAsset evaluation expects), faces keeping their ids. Returns the asset
    and ``ref`` in the new order."""
    order = np.argsort(ref[:, 1], kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    kw = {name: np.take(x, order, axis=x.ndim - 2) for name, x in kw.items()}
    n = len(new_faces)
    out = dataclasses.replace(
        asset,
        **kw,
        hair_names=hair_names,
        faces=rank[np.concatenate([asset.faces.astype(np.int64), new_faces])].astype(np.int32),
        face_region=np.concatenate([asset.face_region, np.full(n, C["hair"], np.uint8)]),
        face_part=np.concatenate([asset.face_part, np.full(n, PART_HAIR, np.uint8)]),
        face_scalp=np.concatenate([asset.face_scalp, np.zeros(n, bool)]),
        uv=np.concatenate([asset.uv, uv]),
    )
    return out, ref[order]


def shell_thickness(asset: HeadAsset, hair_shape: dict[str, float]) -> np.ndarray:
    """(V,) float32: how far each hair-shell vertex stands out of the skin (m; negative
    under it) for the coefficients ``hair_shape``; 0 on every other vertex. Every basis
    row of a shell vertex is parallel to its offset direction, so this is exact at the
    template's normals (the renderers use it to feather the hairline)."""
    out = np.zeros(asset.n_vertices, np.float32)
    if not asset.has_hair_shell:
        return out
    shell = np.unique(asset.faces[asset.face_part == PART_HAIR])
    rows = asset.hair_shapes[:, shell].astype(np.float64)  # (H,S,3)
    # Outward direction: volume and hairline rows point out of the skin, temples rows in
    # (hair_bases' signs), so their signed sum points out wherever any basis is non-zero.
    sign = np.array([-1.0 if n == "temples" else 1.0 for n in asset.hair_names])
    out_dir = np.einsum("h,hsd->sd", sign, rows)
    u = out_dir / np.maximum(np.linalg.norm(out_dir, axis=1, keepdims=True), 1e-12)
    signed = np.einsum("hsd,sd->hs", rows, u)
    c = np.array([hair_shape.get(n, 0.0) for n in asset.hair_names])
    out[shell] = c @ signed - INSET_M
    return out
