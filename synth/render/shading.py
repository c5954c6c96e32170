"""Deferred shading of a visibility buffer (the fast renderer's RGB).

Given the triangle id per pixel, the exact per-pixel depth (synth.render.labels), the
camera-frame geometry and the spec's lights, shade in numpy: lighting is evaluated at the
vertices (Lambert diffuse + a Blinn-Phong sheen per point light with inverse-square
falloff, plus ambient), multiplied by each face's albedo at its corners, and interpolated
to every pixel with perspective-correct barycentric coordinates (Gouraud shading); then an
exponential tone curve and the sRGB transfer function (a lookup table). No shadows, no
anti-aliasing: this is the preview/pre-training path; the photoreal path is Cycles.
Because RGB and labels come from one rasterisation, they cannot disagree about which
surface a pixel shows.
"""

from __future__ import annotations

import numpy as np

from synth.scene import SceneGeometry
from synth.spec import SceneSpec

SHEEN, SHININESS, EXPOSURE = 0.15, 24.0, 0.35


_SRGB_LUT_SIZE = 4096
_x = np.linspace(0.0, 1.0, _SRGB_LUT_SIZE)
_SRGB_LUT = (
    np.where(_x <= 0.0031308, 12.92 * _x, 1.055 * np.power(_x, 1 / 2.4) - 0.055) * 255 + 0.5
).astype(np.uint8)


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    """Linear [0,1] -> sRGB uint8 (4096-entry lookup table)."""
    idx = (np.clip(linear, 0.0, 1.0) * (_SRGB_LUT_SIZE - 1) + 0.5).astype(np.int32)
    return _SRGB_LUT[idx]


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted unit vertex normals (V,3) float32."""
    v = vertices.astype(np.float32)
    fn = np.cross(v[faces[:, 1]] - v[faces[:, 0]], v[faces[:, 2]] - v[faces[:, 0]])
    flat = faces.ravel()
    vn = np.stack(
        [np.bincount(flat, np.repeat(fn[:, c], 3), minlength=len(v)) for c in range(3)], axis=1
    ).astype(np.float32)
    return vn / np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-12)


def vertex_lighting(
    vertices: np.ndarray, normals: np.ndarray, spec: SceneSpec
) -> tuple[np.ndarray, np.ndarray]:
    """Diffuse (+ambient) and sheen irradiance at each vertex, (V,3) float32 each.
    Normals are flipped to face the camera (at the origin)."""
    p = vertices.astype(np.float32)
    view = -p / np.maximum(np.linalg.norm(p, axis=1, keepdims=True), 1e-12)
    n = normals.copy()
    n[np.einsum("ij,ij->i", n, view) < 0] *= -1.0
    diffuse = np.full_like(p, spec.ambient)
    sheen = np.zeros_like(p)
    for L in spec.lights:
        d = np.asarray(L.position_m, np.float32) - p
        dist2 = np.einsum("ij,ij->i", d, d)
        ldir = d / np.sqrt(dist2)[:, None]
        ndl = np.clip(np.einsum("ij,ij->i", n, ldir), 0.0, None)
        radiance = (L.power_w / (4.0 * np.pi)) / dist2
        col = np.asarray(L.color_rgb, np.float32)
        diffuse += (ndl * radiance)[:, None] * col
        half = ldir + view
        half /= np.maximum(np.linalg.norm(half, axis=1, keepdims=True), 1e-12)
        ndh = np.clip(np.einsum("ij,ij->i", n, half), 0.0, None)
        sheen += ((ndh**SHININESS) * (ndl > 0) * radiance)[:, None] * col
    return diffuse, sheen


def shade(
    tri: np.ndarray, depth: np.ndarray, geo: SceneGeometry, spec: SceneSpec, K: np.ndarray
) -> np.ndarray:
    """(H,W,3) uint8 sRGB image of ``geo`` lit by ``spec``'s lights; see module doc."""
    h, w = tri.shape
    flat_tri = tri.ravel()
    flat_z = depth.ravel()
    sel = np.flatnonzero((flat_tri >= 0) & (flat_z > 0))
    t = flat_tri[sel]
    z = flat_z[sel]
    x = (((sel % w) - K[0, 2]) / K[0, 0]).astype(np.float32) * z
    y = (((sel // w) - K[1, 2]) / K[1, 1]).astype(np.float32) * z

    v = geo.vertices.astype(np.float32)
    f = geo.faces
    diffuse, sheen = vertex_lighting(v, vertex_normals(v, f), spec)
    # Lit colour at each face corner: per-face albedo x per-vertex light (M,3,3).
    corner = geo.face_albedo[:, None, :] * diffuse[f] + SHEEN * sheen[f]
    corner = 1.0 - np.exp(-EXPOSURE * corner)
    out = np.empty((h * w, 3), np.uint8)
    out[:] = srgb_encode(np.asarray(spec.background.color_rgb, np.float32))
    # Background geometry: flat (per-face) colour, one gather per pixel.
    bg = t >= geo.n_head_faces
    out[sel[bg]] = srgb_encode(corner.mean(axis=1))[t[bg]]
    # Head: perspective-correct barycentrics of each pixel's surface point (Gouraud).
    head = ~bg
    t, x, y, z = t[head], x[head], y[head], z[head]
    nh = geo.n_head_faces
    a = v[f[:nh, 0]]
    e0, e1 = v[f[:nh, 1]] - a, v[f[:nh, 2]] - a
    d00 = np.einsum("ij,ij->i", e0, e0)
    d01 = np.einsum("ij,ij->i", e0, e1)
    d11 = np.einsum("ij,ij->i", e1, e1)
    den = d00 * d11 - d01 * d01
    inv = np.where(np.abs(den) < 1e-20, 0.0, 1.0 / np.where(den == 0, 1.0, den))
    # One gather per pixel of everything its triangle needs.
    table = np.concatenate(
        [a, e0, e1, np.stack([d00, d01, d11, inv], axis=1), corner[:nh].reshape(nh, 9)], axis=1
    ).astype(np.float32)
    g = table[t]
    qx, qy, qz = x - g[:, 0], y - g[:, 1], z - g[:, 2]
    d20 = qx * g[:, 3] + qy * g[:, 4] + qz * g[:, 5]
    d21 = qx * g[:, 6] + qy * g[:, 7] + qz * g[:, 8]
    bv = (g[:, 11] * d20 - g[:, 10] * d21) * g[:, 12]
    bw = (g[:, 9] * d21 - g[:, 10] * d20) * g[:, 12]
    bu = 1.0 - bv - bw
    c = g[:, 13:]
    linear = bu[:, None] * c[:, 0:3] + bv[:, None] * c[:, 3:6] + bw[:, None] * c[:, 6:9]
    out[sel[head]] = srgb_encode(linear)
    return out.reshape(h, w, 3)
