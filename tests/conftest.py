"""Shared fixtures: the default head asset (built once into the cache if missing) and a
small config for fast tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")


@pytest.fixture(scope="session")
def asset_path() -> Path:
    from assets_pipeline.makehuman import ensure_default_asset

    return ensure_default_asset()


@pytest.fixture(scope="session")
def asset(asset_path):
    from assets_pipeline.head_asset import HeadAsset

    return HeadAsset.load(asset_path)


@pytest.fixture()
def small_config():
    """64x48 frames, 4 identities: fast enough for logic tests with the real renderer."""
    from synth.config import load_config

    return load_config(None, {"width": 96, "height": 72, "identity.count": 4})
