"""Atomic file writes shared by every writer of the project.

A file is written under a temporary name in its target directory, given the usual mode
(0666 minus the umask: ``mkstemp`` alone would leave it 0600, unreadable to a team sharing
a dataset) and renamed into place, so readers never see a half-written file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def default_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(
    path: str | os.PathLike, write: Callable[[Path], None], suffix: str = ".tmp"
) -> Path:
    """Call ``write(tmp_path)`` then publish ``tmp_path`` as ``path``; cleans up on error."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, default_file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    return atomic_write(path, lambda p: p.write_bytes(data))
