"""Architectures by ``--arch`` name: ``build_model(name)``, ``get_arch(name)``, ``arch_names()``.

Importing this package registers every family (``unet``, ``densedepth``).
"""

from __future__ import annotations

from torch import nn

from models.archs import densedepth, unet  # noqa: F401 - registers the families
from models.archs.base import ARCHS, ArchSpec, register_arch
from models.errors import BadInputError
from models.registry import UnknownNameError

__all__ = [
    "ARCHS",
    "ArchSpec",
    "arch_names",
    "build_model",
    "count_parameters",
    "get_arch",
    "register_arch",
]


def arch_names() -> list[str]:
    return ARCHS.names()


def get_arch(name: str) -> ArchSpec:
    """The registered row for ``name``; an unknown name is bad input listing the valid ones."""
    try:
        return ARCHS.get(name)
    except UnknownNameError as e:
        raise BadInputError(str(e)) from None


def build_model(name: str, pretrained: str | None = None) -> nn.Module:
    """A fresh network for ``name`` (random init unless ``pretrained``, see encoders)."""
    return get_arch(name).build(pretrained)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
