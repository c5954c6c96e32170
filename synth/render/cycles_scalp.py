"""Scalp hair strands on the asset's hair shell, for the Cycles renderer (numpy).

The hair shell (assets_pipeline.hair_shell) is the labelled hair volume; these strands
give it the look of hair: they are grown once per renderer and *lie on the shell*. Every
control point is attached to the shell surface itself -- a shell triangle, barycentric
coordinates and a height of 0.3-1.8 mm along that triangle's normal -- so for any
identity (a thicker or thinner shell, another hairline), expression and pose the strands
follow the shell exactly, and the RGB stays within ~2 mm of the labelled depth (frizzed
tips, ``FRIZZ_SHARE`` of the strands, up to ``FRIZZ_M`` further out: sub-pixel flyaways).

Strands flow away from a crown on the back of the head (the natural whorl), drift down
on the sides, and are shown per sample only where the identity has hair
(``rooted_in_hair``, from ``shell_thickness`` at the root), so the hairline moves with
the identity's hair shape. The hairline is not an edge: the share of strands shown
thins out over about a centimetre, down to none a few millimetres outside the shell's
hairline (where the shell still lies under the skin), and ``skin_lift`` raises every
strand point over such shell onto the skin, so hairs run past the hair's edge before
they end (0.10.0; before, a dense mass of strands ended at the shell's hairline, a cap's
edge). On the skin the strands stay within ~1 mm of the labelled surface, as the brows
do.
Coordinates: head frame (metres, y down, z back).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assets_pipeline.hair_curtain import curtain_vertices
from assets_pipeline.hair_shell import PART_HAIR
from assets_pipeline.head_asset import HeadAsset
from synth.render.cycles_hair import _Strands
from synth.render.cycles_traits import smoothstep

SHELL_STRANDS = 16000
CURTAIN_STRANDS = 6000
SHELL_POINTS = 6
# Frizz and flyaways: FRIZZ_SHARE of the strands rise towards the tip, up to FRIZZ_M off
# the shell (in the RGB only: sub-pixel strands, ~0.15 mm wide), so the hair's outline is
# not the shell's clean edge. 0.11.1: half the strands, up to 1 cm (were 30 %, 4 mm: the
# outline of short crops and the crown of bobs stayed a clean, helmet-like curve).
FRIZZ_SHARE = 0.5
FRIZZ_M = 0.010
# Flyaways come in patches: a smooth random field over the roots (``_patches``, this
# wavelength) takes each strand's chance from 0 to 2 x FRIZZ_SHARE. An even share drew
# an even grey halo round a short crop against a plain wall (outside review).
FRIZZ_PATCH_M = 0.05
# Strand density at the hairline (``rooted_in_hair``): none where the shell lies FRINGE_M
# under the skin at the root (~3 mm past the hairline at the shell's ramp of ~0.3 mm of
# thickness per mm), all where it stands DENSE_M out of it (~1.9 cm inside on a crop of
# volume 0.9). Until 0.10.0 every strand rooted 0.4 mm out showed and none further out:
# a dense mass with a clean, cap-like edge; 0.10.0's 2 mm (~1.3 cm inside) still drew
# the hairline as a dark line at 1280x960 (the strands hid the shell's feathered edge).
FRINGE_M = 0.001
DENSE_M = 0.005
# Parted hair (identities with the curtain, a bob): a side parting this far to the
# subject's left of the midline; the hair runs away from it instead of from the crown.
PARTING_X_M = 0.025
SKIN_CLEARANCE_M = 0.0004  # ``skin_lift``: strand points over shell this near the skin


@dataclass(frozen=True)
class SurfaceStrands(_Strands):
    """Strands whose points sit on mesh triangles. tri (S,P) triangle ids; bary (S,P,3);
    height (S,P) m along the triangle's outward normal (sign folded in); radius (S,P) m;
    key (S,) in [0,1) drop order of sparser identities; width (S,) 0; lash (S,) 0."""

    tri: np.ndarray
    bary: np.ndarray
    height: np.ndarray
    radius: np.ndarray
    key: np.ndarray
    width: np.ndarray
    lash: np.ndarray

    @property
    def n_points(self) -> int:
        return int(self.tri.shape[1])

    def roots(self, verts: np.ndarray, faces: np.ndarray) -> np.ndarray:
        v = verts[faces[self.tri[:, 0]]].astype(np.float64)
        return np.einsum("sk,skd->sd", self.bary[:, 0], v)

    def positions(
        self,
        verts: np.ndarray,
        faces: np.ndarray,
        visible: np.ndarray,
        scale: float = 1.0,
        lift: np.ndarray | None = None,
    ) -> np.ndarray:
        """(S,P,3) float32 points on the sample's ``verts``, raised by ``lift`` (S,P) m
        more along the outward normal (``skin_lift``; ``scale`` is accepted for the
        StrandSet interface; strands on the shell keep their grown length). Hidden strands
        collapse onto their first point, which is all that is computed for them (a set
        the sample does not use is all hidden, every frame: CyclesScene._update_hair)."""
        h = self.height if lift is None else self.height + np.sign(self.height) * lift

        def on_shell(s, upto=None):
            v = verts[faces[self.tri[s, :upto]]].astype(np.float64)  # (s,P,3,3)
            p = np.einsum("spk,spkd->spd", self.bary[s, :upto], v)
            n = np.cross(v[:, :, 1] - v[:, :, 0], v[:, :, 2] - v[:, :, 0])
            n /= np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-15)
            return p + h[s, :upto, None] * n

        pts = np.empty((len(self.tri), self.n_points, 3), np.float32)
        pts[visible] = on_shell(visible)
        pts[~visible] = on_shell(~visible, 1)
        return pts


def _samples(verts, faces, ids, n, rng):
    """n area-weighted points on triangles ``ids``: (tri, bary, point)."""
    a, b, c = (verts[faces[ids, k]] for k in range(3))
    area = 0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1)
    pick = rng.choice(len(ids), n, p=area / area.sum())
    r1, r2 = rng.random(n), rng.random(n)
    s = np.sqrt(r1)
    bary = np.stack([1 - s, s * (1 - r2), s * r2], axis=1)
    point = np.einsum("sk,skd->sd", bary, verts[faces[ids[pick]]])
    return ids[pick], bary, point


def full_hair(asset: HeadAsset) -> np.ndarray:
    """(V,3) float64 template vertices with the most hair: the shell at volume 1 and, on
    assets with the curtain (assets_pipeline.hair_curtain), the curtain hanging."""
    verts = asset.template.astype(np.float64) + asset.hair_shapes[0].astype(np.float64)
    if "length" in asset.hair_names:
        verts += asset.hair_shapes[asset.hair_names.index("length")]
    return verts


def grow_shell_strands(asset: HeadAsset, seed: int = 13, parted: bool = False) -> SurfaceStrands:
    """Scalp strands on the hair shell (see the module docstring); a pure function of the
    asset, ``seed`` and ``parted``. Grown on the shell at volume 1 with the curtain hanging
    (``full_hair``; the other coefficients 0). They flow away from the crown or, with
    ``parted``, away from the side parting (``parting``) and, behind it, the crown; with
    ``parted`` only the cap has strands (none on the curtain)."""
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    faces = asset.faces.astype(np.int64)
    shell = np.flatnonzero(asset.face_part == PART_HAIR)
    verts = full_hair(asset)
    a, b, c = (verts[faces[shell, k]] for k in range(3))
    fn = np.cross(b - a, c - a)
    fn /= np.maximum(np.linalg.norm(fn, axis=1, keepdims=True), 1e-15)
    # Triangle winding is outward on the shell and the curtain alike: the shell's volume
    # offset gives the sign.
    cap = np.abs(asset.hair_shapes[0][faces[shell]]).sum(axis=(1, 2)) > 0
    out_dir = asset.hair_shapes[0][faces[shell[cap]]].sum(axis=1)
    sign = 1.0 if np.median(np.sum(fn[cap] * out_dir, axis=1)) > 0 else -1.0
    f_normal = np.zeros((len(faces), 3))
    f_normal[shell] = sign * fn

    d_tri, d_bary, d_pt = _samples(verts, faces, shell, 250_000, rng)
    tree = cKDTree(d_pt)
    # Roots: SHELL_STRANDS on the shell itself, CURTAIN_STRANDS on the curtain (rooted on
    # the shell alone, the short crops kept 0.6.0's density; spread over both, the
    # curtain's area took 44 % of them).
    curtain = curtain_vertices(asset)[faces[shell]].any(axis=1)
    parts = [_samples(verts, faces, shell[~curtain], SHELL_STRANDS, rng)]
    # Parted hair (the bob) has none on the curtain: at 640x480 sub-pixel strands over
    # the hanging sheet render as glitter (benchmarks/bench_hair.py); the sheet's own
    # streaks read as hair.
    if curtain.any() and not parted:
        parts.append(_samples(verts, faces, shell[curtain], CURTAIN_STRANDS, rng))
    tri, bary, p = (np.concatenate(x) for x in zip(*parts, strict=True))
    n_strands = len(tri)
    root = p
    origin = _parting_origin(asset) if parted else _crown_origin(asset)
    length = rng.uniform(0.018, 0.045, n_strands)
    jitter = 0.35 * rng.standard_normal((n_strands, 3))
    tris, barys = [tri], [bary]
    step = length / (SHELL_POINTS - 1)
    for _ in range(SHELL_POINTS - 1):
        n = f_normal[tri]
        d = p - origin(p)
        d /= np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-12)
        side = np.clip(np.abs(n[:, 0]), 0.0, 1.0)[:, None]
        d = d + side * np.array([0.0, 0.8, 0.0]) + jitter  # sides drift down
        t = d - np.sum(d * n, axis=1, keepdims=True) * n
        t /= np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-12)
        _, j = tree.query(p + step[:, None] * t)
        tri, bary, p = d_tri[j], d_bary[j], d_pt[j]
        tris.append(tri)
        barys.append(bary)
    s = np.linspace(0.0, 1.0, SHELL_POINTS)[None, :]
    lift = rng.uniform(0.0008, 0.0018, (n_strands, 1))
    rise = np.sin(np.pi * np.clip(s * 1.6, 0.0, 1.0)) ** 0.5 * (1 - 0.5 * s)
    height = 0.0003 + lift * rise
    radius = np.linspace(1.0, 0.5, SHELL_POINTS)[None] * rng.uniform(6e-5, 9e-5, (n_strands, 1))
    key = rng.random(n_strands)
    # Frizz: a share of the strands' tips stand off the mass (drawn after every other
    # value, so the strands' paths, radii and keys are those of 0.9.0), in patches.
    rise_m, draw = rng.uniform(0.0, FRIZZ_M, (n_strands, 1)), rng.random(n_strands)
    chance = 2.0 * FRIZZ_SHARE * smoothstep(0.3, 0.7, _patches(root, rng, FRIZZ_PATCH_M))
    frizz = rise_m * (draw < chance)[:, None]
    height = sign * (height + frizz * s**2)
    return SurfaceStrands(
        tri=np.stack(tris, axis=1),
        bary=np.stack(barys, axis=1),
        height=height,  # along the triangles' winding normal: ``sign`` folded in
        radius=radius.astype(np.float32),
        key=key,
        width=np.zeros(n_strands),
        lash=np.zeros(n_strands, np.float32),
    )


def _patches(points: np.ndarray, rng: np.random.Generator, wavelength: float) -> np.ndarray:
    """(N,) a smooth random field over ``points`` (N,3) m, in [0, 1] with mean 0.5: the
    mean of three plane cosine waves of ``wavelength``, random directions and phases."""
    dirs = rng.standard_normal((3, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    phase = rng.uniform(0.0, 2.0 * np.pi, 3)
    waves = np.cos(points @ dirs.T * (2.0 * np.pi / wavelength) + phase)
    return 0.5 + 0.5 * waves.mean(axis=1)


def rooted_in_hair(strands: SurfaceStrands, faces: np.ndarray, thickness: np.ndarray) -> np.ndarray:
    """(S,) bool: the strands shown for the per-vertex ``thickness``
    (assets_pipeline.hair_shell.shell_thickness): a share of them that rises smoothly from
    none where the shell lies FRINGE_M under the skin at the root to all where it stands
    DENSE_M out of it (an independent draw per strand, not its identity-density ``key``).
    A hairline is a gradient of density over about a centimetre, not an edge."""
    t = np.einsum("sk,sk->s", strands.bary[:, 0], thickness[faces[strands.tri[:, 0]]])
    draw = np.modf(strands.key * 7919.0)[0]
    return draw < smoothstep(-FRINGE_M, DENSE_M, t)


def skin_lift(strands: SurfaceStrands, faces: np.ndarray, thickness: np.ndarray) -> np.ndarray:
    """(S,P) float64 m: how far each strand point must rise to lie SKIN_CLEARANCE_M or more
    out of the skin where the shell under it stands less than that out of the skin, down to
    FRINGE_M inside it (0 elsewhere: on hair, or deeper, where the strand ends under the
    skin). The shell's thickness is linear over a triangle, the skin not quite: the
    clearance keeps the lifted points out of it."""
    t = np.einsum("spk,spk->sp", strands.bary, thickness[faces[strands.tri]])
    return np.where(t > -FRINGE_M, np.maximum(SKIN_CLEARANCE_M - t, 0.0), 0.0)


def crown_point(asset: HeadAsset) -> np.ndarray:
    """The hair's whorl (head frame, m): on the midline, 1.5 cm below the top of the hair
    shell at volume 1, three quarters of the way back."""
    shell = np.unique(asset.faces[asset.face_part == PART_HAIR])
    shell = shell[~curtain_vertices(asset)[shell]]  # the cap only: not the curtain
    top = asset.template[shell].astype(np.float64) + asset.hair_shapes[0, shell]
    return np.array([0.0, top[:, 1].min() + 0.015, np.percentile(top[:, 2], 75)])


def parting(asset: HeadAsset) -> tuple[np.ndarray, np.ndarray]:
    """The side parting of parted hair (head frame, m): a segment from the front of the
    hair at x = PARTING_X_M (the most forward cap vertex there standing 3 mm out of the
    skin at volume 1) back to beside the crown (``crown_point``)."""
    shell = np.unique(asset.faces[asset.face_part == PART_HAIR])
    shell = shell[~curtain_vertices(asset)[shell]]
    out = np.linalg.norm(asset.hair_shapes[0, shell].astype(np.float64), axis=1) > 0.003
    top = asset.template[shell].astype(np.float64) + asset.hair_shapes[0, shell]
    near = out & (np.abs(top[:, 0] - PARTING_X_M) < 0.006)
    front = top[near][np.argmin(top[near, 2])]
    back = crown_point(asset) + [0.6 * PARTING_X_M, 0.0, 0.0]
    return front, back


def parting_coords(asset: HeadAsset) -> np.ndarray:
    """(V,3) float32 per vertex: (signed distance (m) from the parting's plane -- through
    the ``parting`` segment and the head's vertical --, position along the segment (0 at
    its front .. 1 beside the crown), 0) on the hair shell at full hair (``full_hair``);
    (1, -1, 0) elsewhere. Both are linear in position, so exact over the shell's
    triangles: the shell's shader draws the parting's line of scalp from them."""
    out = np.tile(np.array([1.0, -1.0, 0.0], np.float32), (asset.n_vertices, 1))
    shell = np.unique(asset.faces[asset.face_part == PART_HAIR])
    if len(shell) == 0:
        return out
    a, b = parting(asset)
    normal = np.cross(b - a, [0.0, 1.0, 0.0])
    normal /= np.linalg.norm(normal)
    verts = full_hair(asset)[shell]
    out[shell, 0] = (verts - a) @ normal
    out[shell, 1] = _segment_param(verts, a, b)
    return out


def _segment_param(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N,) position of the points ``p`` projected on the line a -> b (0 at a, 1 at b)."""
    ab = b - a
    return (p - a) @ ab / float(ab @ ab)


def _nearest_on_segment(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N,3) the point of the segment a -- b nearest to each of the points ``p``."""
    return a + np.clip(_segment_param(p, a, b), 0.0, 1.0)[:, None] * (b - a)


def _parting_origin(asset: HeadAsset):
    """p (N,3) -> the nearest point of the parting segment (``parting``)."""
    a, b = parting(asset)
    return lambda p: _nearest_on_segment(p, a, b)


def _crown_origin(asset: HeadAsset):
    """p (N,3) -> the crown (``crown_point``), for every point."""
    crown = crown_point(asset)
    return lambda p: np.broadcast_to(crown, p.shape)


def flow_uv(asset: HeadAsset, parted: bool = False) -> np.ndarray:
    """(F,3,2) float32 per-corner "flow" coordinates of the hair shell (0 elsewhere):
    u = distance from the crown (m), the direction the hair grows in, and v = the azimuth
    round the crown times 6 cm. Cycles derives the shell's shading tangent from u, so
    the anisotropic highlight and the streaks run along the hair as the strands do
    (away from the crown); the v seam lies straight behind the head. With ``parted``:
    u = distance from the side parting (``parting``), v = the position along it (m), so
    hair parted to either side runs down and away from it."""
    faces = asset.faces
    shell = asset.face_part == PART_HAIR
    out = np.zeros((len(faces), 3, 2), np.float32)
    if not shell.any():  # FLAME / FBX assets: no shell, painted scalp
        return out
    verts = full_hair(asset)
    if parted:
        a, b = parting(asset)
        u = np.linalg.norm(verts - _nearest_on_segment(verts, a, b), axis=1)
        v = _segment_param(verts, a, b) * float(np.linalg.norm(b - a))
        out[shell] = np.stack([u[faces[shell]], v[faces[shell]]], axis=-1)
        return out
    p = verts - crown_point(asset)
    u = np.linalg.norm(p, axis=1)
    phi = np.arctan2(p[:, 0], -p[:, 2])  # 0 straight ahead, +-pi straight behind
    fu, fphi = u[faces[shell]], phi[faces[shell]]
    wrap = fphi.max(axis=1) - fphi.min(axis=1) > np.pi  # a face across the seam
    fphi[wrap] = np.where(fphi[wrap] < 0, fphi[wrap] + 2 * np.pi, fphi[wrap])
    out[shell] = np.stack([fu, 0.06 * fphi], axis=-1)
    return out
