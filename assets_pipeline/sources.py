"""Registry of head-asset sources: name -> builder(model_path | None, progress) -> HeadAsset.

``makehuman`` (default) needs no file; ``flame`` and ``fbx`` take ``--model PATH``.
Builders load lazily so ``import assets_pipeline`` stays light.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from assets_pipeline.head_asset import AssetError, HeadAsset

_SOURCES: dict[str, str] = {
    "makehuman": "assets_pipeline.makehuman:build_from_source",
    "flame": "assets_pipeline.flame:build_from_source",
    "fbx": "assets_pipeline.fbx:build_from_source",
}
NEEDS_MODEL = {"flame", "fbx"}


def register_source(name: str, target: str) -> None:
    if name in _SOURCES:
        raise ValueError(f"asset source {name!r} is already registered")
    _SOURCES[name] = target


def source_names() -> list[str]:
    return sorted(_SOURCES)


def build_asset(
    source: str, model: Path | None = None, progress: Callable[[str], None] | None = None
) -> HeadAsset:
    """Build a HeadAsset from ``source``; raises AssetError with a one-line reason."""
    if source not in _SOURCES:
        raise AssetError(f"unknown asset source {source!r}; valid: {source_names()}")
    if source in NEEDS_MODEL:
        if model is None:
            raise AssetError(f"--source {source} needs --model PATH")
        if not Path(model).is_file():
            raise AssetError(f"model file not found: {model}")
    elif model is not None:
        raise AssetError(f"--source {source} takes no --model")
    module, fn = _SOURCES[source].split(":")
    return getattr(importlib.import_module(module), fn)(model, progress)
