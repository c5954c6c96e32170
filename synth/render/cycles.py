"""Photoreal renderer: Blender Cycles through ``bpy``, with exact labels.

RGB comes from Cycles (path tracing with subsurface-scattering skin, adaptive sampling,
OpenImageDenoise); every label -- depth, mask, normals, landmark visibility -- comes from
the same visibility buffer as the fast renderer (synth.render.gl.GLRasterizer +
synth.render.labels), computed on the very triangles handed to Cycles. Depth is therefore
identical to the fast path's, bit for bit, and never blended at silhouettes (Cycles' Z pass
is a filtered, multi-sample average there, so it is not used).

The Blender scene is built once per renderer and only updated per sample
(synth.render.cycles_scene). ``bpy`` is a process-wide singleton: one CyclesRenderer per
process (generate's workers are separate processes).

Options (``get_renderer("cycles")(asset, normals=..., **options)``):
  device "cpu" | "gpu" (OptiX, then CUDA/HIP/oneAPI, else CPU; the device used is printed
  once and reported by ``settings()``), samples (adaptive-sampling upper bound, default 7:
  the 2-core CPU budget -- 0.7.0 went from 8 to 7 for ~10 % of the frame time at 0.75 dB
  less face PSNR against 32 spp, benchmarks/bench_cycles_spp.py; raise it on a GPU),
  save_blend (path: keep the first sample's .blend), threads (CPU threads, default all),
  image_dir (directory of BackgroundSpec.image files), skin_map_dir (directory of
  IdentitySpec.skin_map files: the config's identity.skin_map_dir; cycles_skin_map),
  fstop (lens f-number for depth of field, focused on the eyes; default DEFAULT_FSTOP;
  0 or None: a pinhole, everything sharp), camera_fx (default True: vignetting, lens
  softness, chromatic aberration and sensor noise on the 8-bit RGB, seeded from the spec;
  synth.render.camera_fx). Both touch the RGB only: labels stay exact (the RGB is
  defocused where the depth is far from the focus distance).
"""

from __future__ import annotations

import sys
import time

from synth.render.base import Renderer, RenderResult
from synth.render.camera_fx import CAMERA_FX, apply_camera_fx
from synth.render.cycles_materials import SKIN_SSS_METHOD
from synth.spec import SceneSpec

DEFAULT_SAMPLES = 7
DEFAULT_FSTOP = 4.0
_OPTIONS = (
    "device", "samples", "save_blend", "threads", "image_dir", "fstop", "camera_fx",
    "skin_map_dir",
)  # fmt: skip
_ACTIVE: list = []  # the live renderer of this process (bpy has one global scene)


class CyclesRenderer(Renderer):
    """Blender Cycles backend; see the module docstring for options and guarantees."""

    name = "cycles"

    @property
    def fstop(self) -> float:
        """Lens f-number of the scene's depth of field (0: pinhole); one copy, the scene's."""
        return float(self._scene.fstop or 0.0)

    def __init__(self, asset, *, normals: bool = False, **options):
        unknown = set(options) - set(_OPTIONS)
        if unknown:
            raise ValueError(f"unknown cycles option(s) {sorted(unknown)}; valid: {_OPTIONS}")
        fstop = float(options.get("fstop", DEFAULT_FSTOP) or 0.0)
        if fstop < 0:
            raise ValueError(f"fstop must be >= 0 (0: no depth of field), got {fstop}")
        self.camera_fx = bool(options.get("camera_fx", True))
        super().__init__(asset, normals=normals, **options)
        if _ACTIVE:
            raise RuntimeError("one CyclesRenderer per process: close() the other one first")
        from synth.render.cycles_scene import CyclesScene

        self.samples = int(options.get("samples") or DEFAULT_SAMPLES)
        if self.samples < 1:
            raise ValueError(f"samples must be >= 1, got {self.samples}")
        self.device_requested = options.get("device") or "cpu"

        self._save_blend = options.get("save_blend")
        self._scene = CyclesScene(
            asset,
            device=self.device_requested,
            samples=self.samples,
            threads=options.get("threads"),
            image_dir=options.get("image_dir"),
            fstop=fstop,
            skin_map_dir=options.get("skin_map_dir"),
        )
        _ACTIVE.append(self)
        used = self._scene.backend
        note = "" if used != "CPU" or self.device_requested == "cpu" else " (no GPU found)"
        print(f"cycles: rendering on {used}: {self._scene.device_names}{note}", file=sys.stderr)

    def settings(self) -> dict:
        import bpy

        s = self._scene.scene
        c = s.cycles
        return {
            "name": self.name,
            "blender": bpy.app.version_string,
            "samples": self.samples,
            "adaptive_threshold": round(c.adaptive_threshold, 4),
            "adaptive_min_samples": c.adaptive_min_samples,
            "denoiser": c.denoiser,
            "denoising_input_passes": c.denoising_input_passes,
            "denoising_prefilter": c.denoising_prefilter,
            "max_bounces": c.max_bounces,
            "subsurface": SKIN_SSS_METHOD,
            "device_requested": self.device_requested,
            "device": "cpu" if self._scene.backend == "CPU" else "gpu",
            "device_backend": self._scene.backend,
            "device_names": self._scene.device_names,
            "view_transform": s.view_settings.view_transform,
            "look": s.view_settings.look,
            "fstop": self.fstop,
            "focus": "eyes (mean depth of landmarks 36-47)" if self.fstop else None,
            "camera_fx": CAMERA_FX.as_dict() if self.camera_fx else None,
            "labels": "visibility buffer (synth.render.labels), identical to the fast path",
        }

    def render(self, spec: SceneSpec) -> RenderResult:
        geo, labels, timings = self.exact_labels(spec)
        t2 = time.perf_counter()
        self._scene.update(geo, spec)
        t3 = time.perf_counter()
        rgb, render_t = self._scene.render()
        t4 = time.perf_counter()
        if self.camera_fx:
            rgb = apply_camera_fx(rgb, (spec.seed, spec.index), CAMERA_FX)
            timings["camera_fx"] = time.perf_counter() - t4
        if self._save_blend:
            self._scene.save_blend(self._save_blend)
            self._save_blend = None
        timings.update(scene_update=t3 - t2, cycles=render_t, readback=(t4 - t3) - render_t)
        return RenderResult.assemble(geo, rgb, labels, timings)

    def close(self) -> None:
        super().close()
        if self in _ACTIVE:
            self._scene.close()
            _ACTIVE.remove(self)
