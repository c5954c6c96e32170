"""Exact labels from a triangle-id image (a "visibility buffer").

The rasteriser only decides *which* triangle covers each pixel centre; depth, normals and
the mask are then computed analytically from that triangle: depth is the intersection of
the pixel-centre ray with the triangle's plane, so it matches an independent ray cast of
the same mesh to float precision and never blends across silhouettes.

Pixel convention (OpenCV): pixel (u, v) has its centre at (u, v); K maps camera-frame
points to these coordinates.
"""

from __future__ import annotations

import numpy as np


def pixel_rays(K: np.ndarray, width: int, height: int) -> np.ndarray:
    """(H,W,3) float64 ray directions with z = 1 through every pixel centre."""
    u, v = np.meshgrid(np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64))
    x = (u - K[0, 2]) / K[0, 0]
    y = (v - K[1, 2]) / K[1, 1]
    return np.stack([x, y, np.ones_like(x)], axis=-1)


def labels_from_triangles(
    tri: np.ndarray,
    vertices: np.ndarray,
    faces: np.ndarray,
    face_class: np.ndarray,
    K: np.ndarray,
    near: float,
    far: float,
    want_normals: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Depth (H,W) f32 m, mask (H,W) u8 and normals (H,W,3) f32|None from triangle ids.

    ``tri`` (H,W) int64 holds the triangle index per pixel, -1 for none.
    """
    h, w = tri.shape
    flat = tri.ravel()
    sel = np.flatnonzero(flat >= 0)
    idx = flat[sel]
    v = vertices.astype(np.float64)
    # One plane per triangle (n . x = n . a), gathered per pixel.
    a0 = v[faces[:, 0]]
    n = np.cross(v[faces[:, 1]] - a0, v[faces[:, 2]] - a0)
    offset = np.einsum("ij,ij->i", n, a0)
    ui = sel % w
    vi = sel // w
    x = (ui - K[0, 2]) / K[0, 0]
    y = (vi - K[1, 2]) / K[1, 1]
    npx = n[idx]
    denom = npx[:, 0] * x + npx[:, 1] * y + npx[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = offset[idx] / denom
    ok = np.isfinite(z) & (z >= near) & (z <= far)
    sel, idx = sel[ok], idx[ok]
    depth = np.zeros(h * w, np.float32)
    depth[sel] = z[ok]
    mask = np.zeros(h * w, np.uint8)
    mask[sel] = face_class[idx]
    depth, mask = depth.reshape(h, w), mask.reshape(h, w)
    normals = None
    if want_normals:
        nn = n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-30)
        rays = np.stack([x[ok], y[ok], np.ones(len(sel))], axis=1)
        npix = nn[idx]
        flip = np.einsum("ij,ij->i", npix, rays) > 0
        npix[flip] *= -1.0  # face the camera
        normals = np.zeros((h * w, 3), np.float32)
        normals[sel] = npix
        normals = normals.reshape(h, w, 3)
    return depth, mask, normals


def project(points: np.ndarray, K: np.ndarray) -> np.ndarray:
    """(N,3) camera-frame points -> (N,2) pixel coordinates (OpenCV convention)."""
    p = np.asarray(points, dtype=np.float64)
    u = (p[:, 0] * K[0, 0] + p[:, 1] * K[0, 1]) / p[:, 2] + K[0, 2]
    v = (p[:, 1] * K[1, 1]) / p[:, 2] + K[1, 2]
    return np.stack([u, v], axis=1)


def landmark_visibility(
    pts2d: np.ndarray, pts3d: np.ndarray, depth: np.ndarray, tol_m: float = 0.002
) -> np.ndarray:
    """True where a landmark is inside the image and is what its nearest pixel shows: the
    depth there is within ``tol_m`` of the landmark's own z. Points on a silhouette whose
    pixel centre falls just off the surface count as hidden."""
    h, w = depth.shape
    u = np.round(pts2d[:, 0]).astype(int)
    v = np.round(pts2d[:, 1]).astype(int)
    inside = (u >= 0) & (u < w) & (v >= 0) & (v < h)
    d = depth[np.clip(v, 0, h - 1), np.clip(u, 0, w - 1)]
    return inside & (d > 0) & (np.abs(d - pts3d[:, 2]) <= tol_m)


def geometry_labels(tri: np.ndarray, geo, K: np.ndarray, camera, want_normals: bool = False):
    """Every label of a sample from its triangle-id image and SceneGeometry ``geo``:
    (depth, mask, normals, landmarks_2d (68,2) f32, landmarks_visible (68,) bool).
    Shared by all renderers so their labels are identical by construction."""
    depth, mask, normals = labels_from_triangles(
        tri, geo.vertices, geo.faces, geo.face_class, K, camera.near_m, camera.far_m,
        want_normals,
    )  # fmt: skip
    pts2d = project(geo.landmarks_3d, K)
    visible = landmark_visibility(pts2d, geo.landmarks_3d, depth)
    return depth, mask, normals, pts2d.astype(np.float32), visible
