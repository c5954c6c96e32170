"""Renderer contract and registry.

A renderer's constructor pays the one-off costs (GL context, Blender scene); ``render``
returns arrays; ``close`` (or the context manager) releases them. Register a backend with
an explicit name; a duplicate name raises, an unknown one raises listing the valid names.
"""

from __future__ import annotations

import abc
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from assets_pipeline.head_asset import HeadAsset
from synth.spec import SceneSpec


@dataclass
class RenderResult:
    """Layers of one rendered sample (H x W = spec.camera height x width).

    rgb: (H,W,3) uint8 sRGB. depth: (H,W) float32 metres, planar (z in the OpenCV camera
    frame), 0 = no surface within [near, far]; never blended across silhouettes.
    mask: (H,W) uint8 semantic classes (synth.spec.MASK_CLASSES).
    normals: (H,W,3) float32 unit camera-frame normals facing the camera, 0 where no
    surface; None unless requested. landmarks_2d (68,2) px, landmarks_3d (68,3) m camera
    frame, landmarks_visible (68,) bool. head_rotation (3,3), head_translation (3,).
    mesh: (vertices, faces) of every surface in the depth, camera frame (for --save-mesh).
    timings: seconds per stage.
    """

    rgb: np.ndarray
    depth: np.ndarray
    mask: np.ndarray
    normals: np.ndarray | None
    landmarks_2d: np.ndarray
    landmarks_3d: np.ndarray
    landmarks_visible: np.ndarray
    head_rotation: np.ndarray
    head_translation: np.ndarray
    mesh: tuple[np.ndarray, np.ndarray]
    timings: dict[str, float] = field(default_factory=dict)

    @classmethod
    def assemble(cls, geo, rgb: np.ndarray, labels: tuple, timings: dict[str, float]):
        """A result from SceneGeometry ``geo``, an RGB image and ``geometry_labels`` output."""
        depth, mask, normals, pts2d, visible = labels
        return cls(
            rgb=rgb,
            depth=depth,
            mask=mask,
            normals=normals,
            landmarks_2d=pts2d,
            landmarks_3d=geo.landmarks_3d,
            landmarks_visible=visible,
            head_rotation=geo.head_rotation,
            head_translation=geo.head_translation,
            mesh=(geo.vertices, geo.faces),
            timings=timings,
        )


class Renderer(abc.ABC):
    """Base class: subclasses implement ``render`` and may override ``close``."""

    name: str = "?"

    def __init__(self, asset: HeadAsset, *, normals: bool = False, **options):
        self.asset = asset
        self.want_normals = normals
        self.options = options
        self._vis = None
        self._vis_size: tuple[int, int] | None = None
        self._identity_cache: dict = {}

    def geometry(self, spec: SceneSpec):
        """The sample's camera-frame SceneGeometry (identity offsets cached per identity)."""
        from synth.scene import build_geometry

        if len(self._identity_cache) > 256:
            self._identity_cache.clear()
        return build_geometry(self.asset, spec, identity_cache=self._identity_cache)

    def rasterize(self, spec: SceneSpec, colorize: Callable | None = None):
        """One GL pass over the sample's geometry and every label from it.

        ``colorize(geo, spec) -> (corner colours (M,3,3), background sRGB)`` makes the same
        pass also shade an RGB image (the fast renderer). Returns (geometry,
        geometry_labels(...), rgb or None, timings)."""
        import time

        from synth.render.labels import geometry_labels

        t0 = time.perf_counter()
        cam = spec.camera
        K = np.array(cam.K, dtype=np.float64)
        geo = self.geometry(spec)
        t1 = time.perf_counter()
        colors, background = colorize(geo, spec) if colorize is not None else (None, (0, 0, 0))
        t2 = time.perf_counter()
        tri, rgb = self.rasterizer(cam.width, cam.height).render(
            geo.vertices, geo.faces, K, cam.near_m, cam.far_m, colors, background
        )
        t3 = time.perf_counter()
        labels = geometry_labels(tri, geo, K, cam, self.want_normals)
        t4 = time.perf_counter()
        timings = {"mesh": t1 - t0, "raster": t3 - t2, "labels": t4 - t3}
        if colorize is not None:
            timings["shade"] = t2 - t1
        return geo, labels, rgb, timings

    def exact_labels(self, spec: SceneSpec):
        """(geometry, geometry_labels(...), timings): the labels every renderer shares,
        from one rasterisation of the sample's geometry."""
        geo, labels, _, timings = self.rasterize(spec)
        return geo, labels, timings

    def rasterizer(self, width: int, height: int):
        """The GL rasteriser for this image size (one GL context, reused)."""
        if self._vis_size != (width, height):
            from synth.render.gl import GLRasterizer

            if self._vis is not None:
                self._vis.close()
            self._vis = GLRasterizer(width, height)
            self._vis_size = (width, height)
        return self._vis

    @abc.abstractmethod
    def render(self, spec: SceneSpec) -> RenderResult:
        """Render one sample; see RenderResult for every layer's meaning."""

    def settings(self) -> dict:
        """Renderer settings recorded in dataset.json."""
        return {"name": self.name, **self.options}

    def close(self) -> None:
        if self._vis is not None:
            self._vis.close()
            self._vis = None
            self._vis_size = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_REGISTRY: dict[str, Callable[..., Renderer] | str] = {
    "fast": "synth.render.fast:FastRenderer",
    "cycles": "synth.render.cycles:CyclesRenderer",
}


def register_renderer(name: str, factory: Callable[..., Renderer] | str) -> None:
    """Add a backend (a class, or "module:Class" to import lazily)."""
    if name in _REGISTRY:
        raise ValueError(f"renderer {name!r} is already registered")
    _REGISTRY[name] = factory


def renderer_names() -> list[str]:
    return sorted(_REGISTRY)


def get_renderer(name: str) -> Callable[..., Renderer]:
    if name not in _REGISTRY:
        raise ValueError(f"unknown renderer {name!r}; valid: {renderer_names()}")
    factory = _REGISTRY[name]
    if isinstance(factory, str):
        module, cls = factory.split(":")
        factory = getattr(importlib.import_module(module), cls)
        _REGISTRY[name] = factory
    return factory
