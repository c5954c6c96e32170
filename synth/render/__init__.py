"""Renderers: a registry of backends that turn a SceneSpec into a RenderResult.

Backends load lazily (``get_renderer("fast")`` imports PyOpenGL, ``"cycles"`` imports bpy),
so ``import synth`` stays light.
"""

from __future__ import annotations

from synth.render.base import (
    Renderer,
    RenderResult,
    get_renderer,
    register_renderer,
    renderer_names,
)

__all__ = ["RenderResult", "Renderer", "get_renderer", "register_renderer", "renderer_names"]
