"""Sharding for batch systems: ``--shard I/N`` renders indices i with i % N == I."""

from __future__ import annotations

from synth.config import ConfigError


def parse_shard(text: str) -> tuple[int, int]:
    """'3/8' -> (3, 8); raises ConfigError."""
    try:
        i, n = (int(t) for t in text.split("/"))
    except ValueError:
        raise ConfigError(f"--shard must look like I/N (e.g. 0/4), got {text!r}") from None
    if n < 1 or not 0 <= i < n:
        raise ConfigError(f"--shard {text}: need N >= 1 and 0 <= I < N")
    return i, n


def shard_indices(n: int, i: int, k: int) -> list[int]:
    """Global sample indices of shard i of k among 0..n-1 (ids stay global)."""
    return list(range(i, n, k))
