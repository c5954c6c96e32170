"""Hair strands for the Cycles renderer: eyebrows, eyelashes and short scalp hair (numpy).

The asset has no hair geometry, so the strands are grown once per renderer on the asset's
neutral template and carried along with the head per sample:

- every strand is rooted on one head triangle (barycentric coordinates) and its points
  are stored in that triangle's orthonormal frame (edge, in-plane, normal) at rest;
- per sample (``StrandSet.positions``) the root triangles' frames are rebuilt from the
  sample's deformed, posed vertices, so strands follow expressions (a raised brow, a
  blink) and the head pose, with no per-sample allocation in Blender (positions are
  written in place by synth.render.cycles_scene).

Strands are thin and stay near the skin (brows and scalp hair within ~8 mm, lashes
~10 mm out from the lid margin); they are in the RGB only, never in the labels (see
docs/CYCLES.md "Exact labels"). Per-identity variation (brow thickness and density, scalp
hair density and length) is a pure function of ``IdentitySpec.identity_id`` through
``identity_hair``: strands above an identity's density keep their slot but collapse onto
their root with zero radius, so the Blender datablocks never change size.

Coordinates: the template's head frame (metres, x towards the subject's left, y down,
z backwards: the face looks towards -z).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assets_pipeline.head_asset import PART_SKIN, HeadAsset
from synth.render.cycles_traits import identity_unit
from synth.spec import MASK_CLASS_IDS as C

UP = np.array([0.0, -1.0, 0.0])
FORWARD = np.array([0.0, 0.0, -1.0])
BROW_STRANDS = 800  # per brow, before the identity's density
LASHES_UPPER, LASHES_LOWER = 80, 36  # per eye
SCALP_STRANDS = 10000
POINTS = 4  # control points per strand (Catmull-Rom in Blender)


class _Strands:
    """What HairCurves needs of a strand set besides ``positions``: its size, per-point
    radii (zero for hidden strands) and the ``radius`` (S,P) and ``tri`` (S,...) fields."""

    tri: np.ndarray
    radius: np.ndarray

    def __len__(self) -> int:
        return len(self.tri)

    def radii(self, visible: np.ndarray) -> np.ndarray:
        return np.where(visible[:, None], self.radius, 0.0).astype(np.float32)


@dataclass(frozen=True)
class StrandSet(_Strands):
    """Strands rooted on head triangles. tri (S,) root triangle; bary (S,3); local
    (S,P,3) points in the root triangle's frame (m); radius (S,P) m; key (S,) in [0,1),
    the order in which strands are dropped by a sparser identity; width (S,) the strand's
    normalised distance from its region's centre line (brows: thinner brows drop the
    outer strands); lash (S,) 1 for eyelashes."""

    tri: np.ndarray
    bary: np.ndarray
    local: np.ndarray
    radius: np.ndarray
    key: np.ndarray
    width: np.ndarray
    lash: np.ndarray

    @property
    def n_points(self) -> int:
        return int(self.local.shape[1])

    def roots(self, verts: np.ndarray, faces: np.ndarray) -> np.ndarray:
        return np.einsum("sk,skd->sd", self.bary, verts[faces[self.tri]])

    def positions(
        self, verts: np.ndarray, faces: np.ndarray, visible: np.ndarray, scale: float = 1.0
    ) -> np.ndarray:
        """(S,P,3) float32 strand points on the head ``verts`` (any frame the template
        maps to by deformation and a rotation), strands ``scale`` times their grown
        length; invisible strands collapse onto their root."""
        frame = triangle_frames(verts, faces[self.tri])
        root = self.roots(verts, faces)
        pts = root[:, None, :] + np.einsum("spk,skd->spd", self.local * scale, frame)
        pts[~visible] = root[~visible, None, :]
        return pts.astype(np.float32)

    @staticmethod
    def concat(sets: list[StrandSet]) -> StrandSet:
        return StrandSet(*(np.concatenate([getattr(s, f) for s in sets]) for f in _FIELDS))


_FIELDS = ("tri", "bary", "local", "radius", "key", "width", "lash")


def triangle_frames(verts: np.ndarray, tris: np.ndarray) -> np.ndarray:
    """(S,3,3) orthonormal frames, rows (edge, in-plane, normal), of triangles (S,3)."""
    a, b, c = (verts[tris[:, k]].astype(np.float64) for k in range(3))
    e1 = b - a
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    n = np.cross(b - a, c - a)
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    return np.stack([e1, np.cross(n, e1), n], axis=1)


def identity_hair(identity_id: int) -> dict[str, float]:
    """Per-identity hair parameters, a pure function of the identity id: brow density
    (share of brow strands kept), brow width (share of the brow band), scalp density and
    scalp hair length scale."""
    return {
        "brow_density": 0.25 + 0.4 * identity_unit(identity_id, "brow-density"),
        "brow_width": 0.6 + 0.35 * identity_unit(identity_id, "brow-width"),
        "scalp_density": 0.6 + 0.4 * identity_unit(identity_id, "scalp-density"),
        "scalp_length": 0.6 + 0.4 * identity_unit(identity_id, "scalp-length"),
    }


def visible_strands(strands: StrandSet, density: float, width: float = 1.0) -> np.ndarray:
    return (strands.key < density) & (strands.width < width)


# ---------------------------------------------------------------------- growing strands
class _Surface:
    """Outward normals and area-weighted sampling of the template's triangles."""

    def __init__(self, asset: HeadAsset):
        self.v = asset.template.astype(np.float64)
        self.f = asset.faces.astype(np.int64)
        a, b, c = (self.v[self.f[:, k]] for k in range(3))
        n = np.cross(b - a, c - a)
        self.area = 0.5 * np.linalg.norm(n, axis=1)
        skin = asset.face_part == PART_SKIN
        centroid = (a + b + c) / 3.0
        outward = np.sum(n[skin] * (centroid[skin] - centroid[skin].mean(0)), axis=1)
        self.sign = 1.0 if np.median(outward) > 0 else -1.0
        vn = np.zeros_like(self.v)
        for k in range(3):
            np.add.at(vn, self.f[:, k], n * self.sign)
        self.vn = vn / np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-12)

    def sample(self, faces: np.ndarray, n: int, rng) -> tuple:
        """n points on ``faces`` (indices), area-weighted: (tri, bary, point, normal)."""
        p = self.area[faces] / self.area[faces].sum()
        tri = faces[rng.choice(len(faces), n, p=p)]
        r1, r2 = rng.random(n), rng.random(n)
        s = np.sqrt(r1)
        bary = np.stack([1 - s, s * (1 - r2), s * r2], axis=1)
        return tri, bary, *self.at(tri, bary)

    def at(self, tri: np.ndarray, bary: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        idx = self.f[tri]
        point = np.einsum("sk,skd->sd", bary, self.v[idx])
        nrm = np.einsum("sk,skd->sd", bary, self.vn[idx])
        return point, nrm / np.linalg.norm(nrm, axis=1, keepdims=True)


def _tangent(d: np.ndarray, n: np.ndarray) -> np.ndarray:
    t = d - np.sum(d * n, axis=1, keepdims=True) * n
    return t / np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-12)


def _to_local(surf: _Surface, tri, bary, pts: np.ndarray) -> np.ndarray:
    """(S,P,3) points -> the root triangles' frames (rows edge, in-plane, normal)."""
    frame = triangle_frames(surf.v, surf.f[tri])
    root, _ = surf.at(tri, bary)
    return np.einsum("spd,skd->spk", pts - root[:, None, :], frame)


def _strand(root, tangent, normal, length, lift, droop) -> np.ndarray:
    """(S,POINTS,3) points of strands leaving ``root`` along ``tangent`` at a height of
    ``lift * s - droop * s^2 / length`` above the surface (s the arc length)."""
    s = np.linspace(0.0, 1.0, POINTS)[None, :] * length[:, None]
    h = lift[:, None] * s - droop[:, None] * s**2 / length[:, None]
    return root[:, None] + tangent[:, None] * s[..., None] + normal[:, None] * h[..., None]


def _brows(asset: HeadAsset, surf: _Surface, rng) -> StrandSet:
    lm = asset.landmarks(asset.template).astype(np.float64)
    skin = np.flatnonzero(asset.face_part == PART_SKIN)
    centroid = surf.v[surf.f[skin]].mean(axis=1)
    out = []
    for idx in (lm[21:16:-1], lm[22:27]):  # medial -> lateral, each side
        # A brow band around the landmark line: arched, thick medially, tapering out.
        t_ref = np.linspace(0.0, 1.0, len(idx))
        near = np.min(np.linalg.norm(centroid[:, None, :] - idx[None, :, :], axis=2), axis=1)
        cand = skin[near < 0.012]
        tri, bary, p, n = surf.sample(cand, 12 * BROW_STRANDS, rng)
        lateral = np.sign(idx[-1, 0] - idx[0, 0])
        t = np.clip((p[:, 0] - idx[0, 0]) / (idx[-1, 0] - idx[0, 0]), -0.1, 1.1)
        y_line = np.interp(t, t_ref, idx[:, 1]) - 0.003 * np.sin(np.pi * np.clip(t, 0, 1) ** 0.8)
        half = 0.0052 * (1.0 - 0.6 * np.clip(t, 0, 1)) + 0.0006
        w = np.abs(p[:, 1] - y_line) / half
        w = w + 0.25 * np.maximum(t - 0.95, 0) / 0.15 + 0.4 * np.maximum(-0.02 - t, 0) / 0.08
        w = w * rng.uniform(0.75, 1.15, len(w))  # a ragged edge, not a drawn outline
        # The brow's head (medial end) is sparser than its body: real brows start from the
        # skin in a few upright hairs; uniform density made a dark knot there.
        head = 0.35 + 0.65 * np.clip((t + 0.05) / 0.35, 0.0, 1.0) ** 1.5
        thin = rng.random(len(t)) < head
        keep = np.flatnonzero((w < 1.0) & (t > -0.08) & (t < 1.08) & thin)[:BROW_STRANDS]
        tri, bary, p, n, t, w = tri[keep], bary[keep], p[keep], n[keep], t[keep], w[keep]
        y_line = y_line[keep]
        # Medial hairs point up, the rest laterally and slightly down; the upper half of
        # the band leans down, the lower half up (they meet in a herringbone).
        blend = np.clip((t - 0.05) / 0.35, 0.0, 1.0)[:, None]
        side = np.array([lateral, 0.0, 0.0])
        d = (1 - blend) * (UP + 0.3 * side) + blend * (side + 0.15 * (UP * -1.0))
        above = np.sign(y_line - p[:, 1])[:, None]  # +1 above the centre line
        d = d + 0.35 * blend * (-above) * UP[None] + 0.25 * rng.standard_normal((len(p), 3))
        tangent = _tangent(d, n)
        length = rng.uniform(0.005, 0.009, len(p)) * (1.0 - 0.3 * t)
        lift, droop = rng.uniform(0.25, 0.45, len(p)), rng.uniform(0.15, 0.3, len(p))
        pts = _strand(p, tangent, n, length, lift, droop)
        # Thicker than real brow hairs (~0.1 mm): at ~1 mm per pixel thinner strands
        # vanish under the denoiser; this reads as the density of a real brow.
        radius = np.linspace(1.0, 0.4, POINTS)[None, :] * rng.uniform(7e-5, 1e-4, (len(p), 1))
        out.append(_set(surf, tri, bary, pts, radius, rng.random(len(p)), w, 0.0))
    return StrandSet.concat(out)


def _lid_curve(points: np.ndarray, n: int) -> np.ndarray:
    """(n,3) points along a Catmull-Rom spline through ``points`` (K,3), ends included."""
    p = np.concatenate([2 * points[:1] - points[1:2], points, 2 * points[-1:] - points[-2:-1]])
    u = np.linspace(0.0, len(points) - 1, n)
    i = np.minimum(u.astype(int), len(points) - 2)
    t = (u - i)[:, None]
    p0, p1, p2, p3 = p[i], p[i + 1], p[i + 2], p[i + 3]
    return 0.5 * (
        2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
        + (3 * p1 - p0 - 3 * p2 + p3) * t**3
    )  # fmt: skip


def _lashes(asset: HeadAsset, surf: _Surface, rng) -> StrandSet:
    """Lashes along the lid margins, i.e. the 68-point eye contours (outer corner, two
    upper-lid points, inner corner, two lower-lid points), snapped onto the lid skin."""
    from scipy.spatial import cKDTree

    lm = asset.landmarks(asset.template).astype(np.float64)
    lids = np.flatnonzero(
        (asset.face_part == PART_SKIN) & np.isin(asset.face_region, [C["left_eye"], C["right_eye"]])
    )
    s_tri, s_bary, s_p, _ = surf.sample(lids, 200_000, rng)
    tree = cKDTree(s_p)
    out = []
    for eye in (lm[36:42], lm[42:48]):
        outer, inner = eye[0], eye[3]
        for upper, count, lmax in ((True, LASHES_UPPER, 0.0095), (False, LASHES_LOWER, 0.0055)):
            line = eye[[0, 1, 2, 3]] if upper else eye[[0, 5, 4, 3]]
            x = np.sort(rng.uniform(0.03, 0.97, count))  # 0 outer corner .. 1 inner corner
            x = 1.0 - x
            target = _lid_curve(line, 400)[np.round((1.0 - x) * 399).astype(int)]
            _, j = tree.query(target)
            tri, bary = s_tri[j], s_bary[j]
            p, n = surf.at(tri, bary)
            # x: 0 at the inner corner .. 1 at the outer one; longest lashes outside centre.
            length = lmax * (0.4 + 0.6 * np.sin(np.pi * np.clip(0.1 + 0.8 * x, 0, 1)))
            length *= rng.uniform(0.8, 1.1, count)
            vert = UP if upper else -UP
            radial = np.array([np.sign(outer[0] - inner[0]), 0.0, 0.0]) * (x[:, None] - 0.35)
            d0 = FORWARD + 0.2 * vert + 0.6 * radial + 0.1 * rng.standard_normal((count, 3))
            d0 /= np.linalg.norm(d0, axis=1, keepdims=True)
            curl = rng.uniform(0.5, 0.9, count)[:, None] * (1.0 if upper else 0.5)
            s = np.linspace(0.0, 1.0, POINTS)
            pts = np.stack(
                [p + length[:, None] * (si * d0 + curl * si**2 * vert) for si in s], axis=1
            )
            radius = np.linspace(1.0, 0.35, POINTS)[None] * np.full((count, 1), 9e-5)
            out.append(_set(surf, tri, bary, pts, radius, rng.random(count), 0.0, 1.0))
    return StrandSet.concat(out)


def _scalp(asset: HeadAsset, surf: _Surface, rng) -> StrandSet:
    from scipy.spatial import cKDTree

    scalp = np.flatnonzero(asset.face_scalp.astype(bool))
    tri, bary, p, n = surf.sample(scalp, SCALP_STRANDS, rng)
    # Hair grows away from a crown on the back of the top of the head.
    crown = np.array([0.0, surf.v[surf.f[scalp], 1].min() + 0.01, 0.11])
    d = p - crown + 0.012 * rng.standard_normal((len(p), 3))
    tangent = _tangent(d, n)
    # Shorter near the hairline, so the hairline stays soft.
    bald = np.unique(surf.f[asset.face_part == PART_SKIN])
    bald = np.setdiff1d(bald, np.unique(surf.f[scalp]))
    edge_dist, _ = cKDTree(surf.v[bald]).query(p)
    length = rng.uniform(0.012, 0.03, len(p)) * np.clip(edge_dist / 0.02, 0.35, 1.0)
    lift = rng.uniform(0.25, 0.45, len(p))
    pts = _strand(p, tangent, n, length, lift, 0.2 * np.ones(len(p)))
    pts = _hug(pts, surf, scalp, rng)
    radius = np.linspace(1.0, 0.5, POINTS)[None] * rng.uniform(4e-5, 7e-5, (len(p), 1))
    return _set(surf, tri, bary, pts, radius, rng.random(len(p)), 0.0, 0.0)


def _hug(pts: np.ndarray, surf: _Surface, faces: np.ndarray, rng) -> np.ndarray:
    """Keep scalp strand points between 0.3 and 5.5 mm above the scalp surface (measured to
    the nearest of dense surface samples along its normal)."""
    from scipy.spatial import cKDTree

    _, _, q, nq = surf.sample(faces, 60_000, rng)
    flat = pts.reshape(-1, 3)
    _, j = cKDTree(q).query(flat)
    h = np.sum((flat - q[j]) * nq[j], axis=1)
    flat = flat + (np.clip(h, 0.0003, 0.0055) - h)[:, None] * nq[j]
    flat = flat.reshape(pts.shape)
    flat[:, 0] = pts[:, 0]  # roots stay on their triangle
    return flat


def _set(surf, tri, bary, pts, radius, key, width, lash) -> StrandSet:
    s = len(tri)
    return StrandSet(
        tri=np.asarray(tri, np.int64),
        bary=np.asarray(bary, np.float64),
        local=_to_local(surf, tri, bary, pts),
        radius=np.asarray(radius, np.float32),
        key=np.asarray(key, np.float64),
        width=np.broadcast_to(np.asarray(width, np.float64), (s,)).copy(),
        lash=np.full(s, lash, np.float32),
    )


def grow_strands(asset: HeadAsset, seed: int = 11) -> dict:
    """The renderer's strands: "face" (both brows, then the lashes), "scalp" (on the
    hair shell, synth.render.cycles_scalp, when the asset has one; else short strands on
    its ``face_scalp`` faces) and, on a shell with the curtain, "scalp_parted" (flowing
    from a side parting, for the identities with a bob); a pure function of the asset and
    ``seed``."""
    from synth.render.cycles_scalp import grow_shell_strands

    rng = np.random.default_rng(seed)
    surf = _Surface(asset)
    brows = _brows(asset, surf, rng)
    lashes = _lashes(asset, surf, rng)
    scalp = grow_shell_strands(asset) if asset.has_hair_shell else _scalp(asset, surf, rng)
    out = {"face": StrandSet.concat([brows, lashes]), "scalp": scalp}
    if asset.has_hair_shell and "length" in asset.hair_names:
        out["scalp_parted"] = grow_shell_strands(asset, seed=17, parted=True)
    return out


class HairCurves:
    """One Blender hair Curves object for a StrandSet (or cycles_scalp.SurfaceStrands),
    built once; ``update`` rewrites
    point positions and radii in place (bpy is passed in, never imported here)."""

    def __init__(self, bpy, collection, name: str, strands: StrandSet, material, frame_scale):
        self.strands = strands
        self.frame_scale = np.asarray(frame_scale, np.float32)  # head frame -> Blender world
        curves = bpy.data.hair_curves.new(name)
        curves.add_curves([strands.n_points] * len(strands))
        curves.materials.append(material)
        self.radius = curves.attributes.new("radius", "FLOAT", "POINT")
        lash = curves.attributes.new("lash", "FLOAT", "CURVE")
        lash.data.foreach_set("value", strands.lash)
        self.obj = bpy.data.objects.new(name, curves)
        collection.objects.link(self.obj)
        self._visible: bytes | None = None

    def update(self, verts, faces, visible: np.ndarray, scale: float = 1.0, **kw) -> None:
        """Strands on the head ``verts`` (OpenCV camera frame); ``visible`` (S,) bool;
        ``kw`` goes to the strands' ``positions`` (``lift`` of SurfaceStrands)."""
        curves = self.obj.data
        pts = self.strands.positions(verts, faces, visible, scale, **kw) * self.frame_scale
        curves.position_data.foreach_set("vector", pts.ravel())
        key = np.packbits(visible).tobytes()
        if key != self._visible:
            self._visible = key
            self.radius.data.foreach_set("value", self.strands.radii(visible).ravel())
        curves.update_tag()
