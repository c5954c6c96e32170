"""Gouraud shading for the fast renderer's RGB.

Lighting is evaluated at the vertices in numpy (Lambert diffuse + a Blinn-Phong sheen per
point light with inverse-square falloff, plus ambient), multiplied by each face's albedo
at its corners and passed through an exponential tone curve (``corner_colors``). The GL
pass (synth.render.gl) interpolates these corner colours perspective-correctly to every
pixel and applies the sRGB transfer function, in the same draw that writes the triangle
ids the labels come from, so RGB and labels cannot disagree about which surface a pixel
shows. Background geometry is flat-coloured per face. No shadows, no anti-aliasing: this
is the preview/pre-training path; the photoreal path is Cycles.
"""

from __future__ import annotations

import numpy as np

from synth.render.labels import gather
from synth.scene import SceneGeometry
from synth.spec import SceneSpec

SHEEN, EXPOSURE = 0.15, 0.35  # sheen weight; exposure of the tone curve 1 - exp(-E x)


_SRGB_LUT_SIZE = 4096
_x = np.linspace(0.0, 1.0, _SRGB_LUT_SIZE)
_SRGB_LUT = (
    np.where(_x <= 0.0031308, 12.92 * _x, 1.055 * np.power(_x, 1 / 2.4) - 0.055) * 255 + 0.5
).astype(np.uint8)


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    """Linear [0,1] -> sRGB uint8 (4096-entry lookup table)."""
    idx = (np.clip(linear, 0.0, 1.0) * (_SRGB_LUT_SIZE - 1) + 0.5).astype(np.int32)
    return _SRGB_LUT[idx]


def face_normals(vertices: np.ndarray, faces: np.ndarray, dtype=np.float32) -> np.ndarray:
    """Unnormalised (area-weighted) face normals (M,3) of ``dtype`` (float32: the fast
    path's shading; float64 where small differences of positions matter)."""
    v = vertices.astype(dtype, copy=False)
    tri = gather(v, faces)
    a = tri[:, 0]
    return np.cross(tri[:, 1] - a, tri[:, 2] - a)


def vertex_normals(vertices: np.ndarray, faces: np.ndarray, dtype=np.float32) -> np.ndarray:
    """Area-weighted unit vertex normals (V,3) of ``dtype`` (see face_normals)."""
    fn = face_normals(vertices, faces, dtype)
    flat = faces.ravel()
    vn = np.stack(
        [np.bincount(flat, np.repeat(fn[:, c], 3), minlength=len(vertices)) for c in range(3)],
        axis=1,
    ).astype(dtype)
    return vn / np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-12)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.sqrt(np.einsum("ij,ij->i", x, x)), 1e-12)[:, None]


def vertex_lighting(
    points: np.ndarray, normals: np.ndarray, spec: SceneSpec
) -> tuple[np.ndarray, np.ndarray]:
    """Diffuse (+ambient) and sheen irradiance at camera-frame ``points`` with unit
    ``normals``, (N,3) float32 each. Normals are flipped to face the camera (the origin)."""
    p = points.astype(np.float32, copy=False)
    view = _unit(-p)
    n = normals.astype(np.float32, copy=True)
    n[np.einsum("ij,ij->i", n, view) < 0] *= -1.0
    diffuse = np.full_like(p, spec.ambient)
    sheen = np.zeros_like(p)
    for L in spec.lights:
        d = np.asarray(L.position_m, np.float32) - p
        dist2 = np.einsum("ij,ij->i", d, d)
        ldir = d / np.sqrt(dist2)[:, None]
        ndl = np.maximum(np.einsum("ij,ij->i", n, ldir), 0.0)
        radiance = np.float32(L.power_w / (4.0 * np.pi)) / dist2
        col = np.asarray(L.color_rgb, np.float32)
        diffuse += (ndl * radiance)[:, None] * col
        ndh = np.maximum(np.einsum("ij,ij->i", n, _unit(ldir + view)), 0.0)
        x8 = ndh * ndh
        x8 *= x8
        x8 *= x8
        spec_term = x8 * x8 * x8  # ndh ** 24, the Blinn-Phong shininess
        spec_term *= radiance
        spec_term[ndl <= 0] = 0.0
        sheen += spec_term[:, None] * col
    return diffuse, sheen


def corner_colors(geo: SceneGeometry, spec: SceneSpec) -> np.ndarray:
    """(M,3,3) float32 tone-mapped linear colour at each triangle corner (see module doc).

    Head triangles: per-face albedo x per-vertex light (Gouraud). Background triangles:
    one flat colour per face, lit at its centroid with its face normal."""
    v = geo.vertices
    nh, nvh = geo.n_head_faces, geo.n_head_vertices
    fh = geo.faces[:nh].astype(np.intp)
    albedo = geo.face_albedo.astype(np.float32, copy=False)
    diffuse, sheen = vertex_lighting(v[:nvh], vertex_normals(v[:nvh], fh), spec)
    corner = np.empty((len(geo.faces), 3, 3), np.float32)
    np.multiply(albedo[:nh, None, :], gather(diffuse, fh), out=corner[:nh])
    corner[:nh] += SHEEN * gather(sheen, fh)
    if len(geo.faces) > nh:
        fb = geo.faces[nh:]
        centroid = gather(v, fb).mean(axis=1)
        d, s = vertex_lighting(centroid, _unit(face_normals(v, fb)), spec)
        corner[nh:] = (albedo[nh:] * d + SHEEN * s)[:, None, :]
    corner *= -EXPOSURE
    np.exp(corner, out=corner)
    return np.subtract(1.0, corner, out=corner)


def background_srgb(spec: SceneSpec) -> tuple[int, int, int]:
    """The sRGB bytes of pixels that show no geometry (the plain background colour)."""
    return tuple(int(c) for c in srgb_encode(np.asarray(spec.background.color_rgb, np.float32)))
