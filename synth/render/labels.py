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


def gather(table: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``table[index]`` along the first axis. np.take with pointer-sized indices: numpy
    converts int32 indices on every call, which costs more than the gather itself."""
    return np.take(table, index.astype(np.intp, copy=False), axis=0)


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

    ``tri`` (H,W) integer holds the triangle index per pixel, -1 for none. Works on the
    whole image at once: index -1 picks an extra "no surface" row of each per-triangle
    table (a plane that yields z = 0, class 0), so no pixel selection is needed.
    """
    h, w = tri.shape
    v = vertices.astype(np.float64)
    m = len(faces)
    # One plane per triangle (n . x = n . a) plus the "no surface" row at index m (== -1).
    a0 = v[faces[:, 0]]
    planes = np.empty((m + 1, 4))
    n = planes[:m, :3]
    n[:] = np.cross(v[faces[:, 1]] - a0, v[faces[:, 2]] - a0)
    planes[:m, 3] = np.einsum("ij,ij->i", n, a0)
    planes[m] = (0.0, 0.0, 1.0, 0.0)
    x = (np.arange(w, dtype=np.float64) - K[0, 2]) / K[0, 0]
    y = (np.arange(h, dtype=np.float64) - K[1, 2]) / K[1, 1]
    # One gather of whole plane rows per pixel, with pointer-sized indices (see gather).
    idx = tri.astype(np.intp)
    idx[idx < 0] = m
    g = gather(planes, idx)
    nx, ny, nz, off = g[..., 0], g[..., 1], g[..., 2], g[..., 3]
    denom = nx * x[None, :]
    denom += ny * y[:, None]
    denom += nz
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.divide(off, denom, out=denom)
    ok = (z >= near) & (z <= far)  # NaN and +-inf compare False
    depth = z.astype(np.float32)
    depth[~ok] = 0.0
    classes = np.zeros(m + 1, np.uint8)
    classes[:m] = face_class
    hit = idx
    hit[~ok] = m
    mask = np.take(classes, hit)
    normals = None
    if want_normals:
        nn = planes[:, :3] / np.maximum(np.linalg.norm(planes[:, :3], axis=1, keepdims=True), 1e-30)
        nn[m] = 0.0
        npix = np.take(nn, hit, axis=0)
        # Face the camera: flip where the normal points along the pixel ray (x, y, 1).
        along = npix[..., 0] * x[None, :] + npix[..., 1] * y[:, None] + npix[..., 2]
        npix[along > 0] *= -1.0
        normals = npix.astype(np.float32)
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
