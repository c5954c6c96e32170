"""Fast renderer: pyrender (OpenGL) with OSMesa on CPU, EGL where a GPU is present.

One GL pass over the camera-frame geometry (synth.scene): a visibility pass, unlit and
single-sampled, that writes each pixel's triangle id. Exact depth, mask and normals follow
analytically (synth.render.labels) and the RGB is shaded from the same buffer in numpy
(synth.render.shading: per-face albedo, smooth normals, the spec's point lights + ambient).

Platform: ``PYOPENGL_PLATFORM`` is respected when set; otherwise EGL is used when an NVIDIA
device node exists and OSMesa (Debian's libosmesa6) elsewhere. One GL context per renderer,
reused across samples.

pyrender renders into a 4x multisampled framebuffer; a multisampled triangle-id image would
average ids at silhouettes, so this module allocates that framebuffer single-sampled
(``_single_sample``), an internal of pyrender2 0.2.x.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from synth.render.base import Renderer, RenderResult
from synth.render.shading import shade
from synth.spec import SceneSpec


def _choose_platform() -> None:
    if "PYOPENGL_PLATFORM" not in os.environ:
        os.environ["PYOPENGL_PLATFORM"] = "egl" if Path("/dev/nvidia0").exists() else "osmesa"


def _single_sample(renderer_module) -> None:
    """Make pyrender's 'multisample' renderbuffers single-sampled (see module docstring)."""
    gl = renderer_module
    if getattr(gl, "_facedepth_single_sample", False):
        return

    def storage(target, samples, fmt, width, height):
        gl.glRenderbufferStorage(target, fmt, width, height)

    gl.glRenderbufferStorageMultisample = storage
    gl._facedepth_single_sample = True


def _stable_context_key() -> None:
    """Make PyOpenGL's current-context key hashable *and equal to itself* across calls.

    With OSMesa, ``OpenGL.contextdata.getContext()`` returns a new opaque pointer object
    per call that never compares equal to the previous one, so pyrender's shader-program
    cache (keyed by it) misses on every render: a new GL program per frame, ~0.9 MB of
    memory lost per frame. Keying by the pointer's address fixes both.
    """
    import ctypes

    import OpenGL.contextdata as contextdata

    if getattr(contextdata, "_facedepth_stable_key", False):
        return
    original = contextdata.getContext

    def get_context(context=None):
        ctx = original(context)
        return ctx if isinstance(ctx, int) else ctypes.cast(ctx, ctypes.c_void_p).value

    contextdata.getContext = get_context
    contextdata._facedepth_stable_key = True


def encode_ids(n: int) -> np.ndarray:
    """Triangle ids 0..n-1 as RGB8 colours of id + 1 (0 = background), (n,3) uint8."""
    k = np.arange(1, n + 1, dtype=np.int64)
    return np.stack([k & 255, (k >> 8) & 255, (k >> 16) & 255], axis=1).astype(np.uint8)


def decode_ids(rgb: np.ndarray) -> np.ndarray:
    """Inverse of :func:`encode_ids` on an (H,W,3) image -> (H,W) int64, -1 = none."""
    c = rgb.astype(np.int64)
    return (c[..., 0] | (c[..., 1] << 8) | (c[..., 2] << 16)) - 1


class VisibilityRasterizer:
    """Triangle-id rasteriser (pyrender, unlit, single-sampled), reusable across samples."""

    def __init__(self, width: int, height: int):
        _choose_platform()
        import pyrender
        import pyrender.renderer

        _single_sample(pyrender.renderer)
        _stable_context_key()
        self._pr = pyrender
        self.width, self.height = width, height
        self.renderer = pyrender.OffscreenRenderer(width, height)
        self._mat = pyrender.MetallicRoughnessMaterial(
            baseColorFactor=[1.0, 1.0, 1.0, 1.0], metallicFactor=0.0, doubleSided=True
        )

    def camera(self, K: np.ndarray, near: float, far: float):
        # pyrender's window x of a pixel centre u is u + 0.5 (GL), OpenCV's is u.
        return self._pr.IntrinsicsCamera(
            fx=K[0, 0],
            fy=K[1, 1],
            cx=K[0, 2] + 0.5,
            cy=K[1, 2] + 0.5,
            znear=near,
            zfar=far,
        )

    @staticmethod
    def to_gl(points: np.ndarray) -> np.ndarray:
        return points * np.array([1.0, -1.0, -1.0], dtype=np.float32)

    def triangle_ids(self, vertices, faces, K, near, far) -> np.ndarray:
        """(H,W) int64 triangle index covering each pixel centre, -1 for none."""
        pr = self._pr
        pos = self.to_gl(vertices[faces].reshape(-1, 3)).astype(np.float32)
        col = np.repeat(encode_ids(len(faces)), 3, axis=0)
        col = np.concatenate([col, np.full((len(col), 1), 255, np.uint8)], axis=1)
        prim = pr.Primitive(positions=pos, color_0=col, mode=4, material=self._mat)
        scene = pr.Scene(bg_color=[0, 0, 0, 0], ambient_light=[1, 1, 1])
        scene.add(pr.Mesh([prim]))
        scene.add(self.camera(K, near, far), pose=np.eye(4))
        flags = pr.RenderFlags.FLAT | pr.RenderFlags.SKIP_CULL_FACES
        color, _ = self.renderer.render(scene, flags=flags)
        return decode_ids(color[..., :3])

    def close(self) -> None:
        if self.renderer is not None:
            self.renderer.delete()
            self.renderer = None


class FastRenderer(Renderer):
    """pyrender backend; see the module docstring. Options: none besides ``normals``."""

    name = "fast"

    def render(self, spec: SceneSpec) -> RenderResult:
        geo, tri, K, labels, timings = self.exact_labels(spec)
        t0 = time.perf_counter()
        rgb = shade(tri, labels[0], geo, spec, K)
        timings["shade"] = time.perf_counter() - t0
        return RenderResult.assemble(geo, rgb, labels, timings)
