"""Fast renderer: OpenGL with OSMesa on CPU, EGL where a GPU is present.

One GL draw per sample (synth.render.gl.GLRasterizer) writes both the triangle id of each
pixel centre -- from which depth, mask and normals follow analytically
(synth.render.labels) -- and a Gouraud-shaded RGB image whose corner colours come from
synth.render.shading (per-face albedo, vertex lighting from the spec's point lights +
ambient). Platform: ``PYOPENGL_PLATFORM`` is respected when set; otherwise EGL is used
when an NVIDIA device node exists and OSMesa (Debian's libosmesa6) elsewhere. One GL
context per renderer, reused across samples.
"""

from __future__ import annotations

from synth.render.base import Renderer, RenderResult
from synth.render.shading import background_srgb, corner_colors
from synth.spec import SceneSpec


def _colorize(geo, spec: SceneSpec):
    return corner_colors(geo, spec), background_srgb(spec)


class FastRenderer(Renderer):
    """OpenGL backend; see the module docstring. Options: none besides ``normals``."""

    name = "fast"

    def render(self, spec: SceneSpec) -> RenderResult:
        geo, labels, rgb, timings = self.rasterize(spec, _colorize)
        return RenderResult.assemble(geo, rgb, labels, timings)
