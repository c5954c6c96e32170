"""``synth merge``: shards written with ``--shard I/N`` -> the dataset one run would write.

All shards must come from the same run (same dataset fingerprint: config, seed, renderer,
asset). Sample files are copied (hard-linked when possible), ``samples.jsonl`` is the
index-ordered union, and ``dataset.json`` is recomputed, so the result is byte-identical to
a single unsharded run.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from synth.generate import CONFIG_FILE, GenerateError
from synth.spec import DATASET_FILE, SAMPLES_FILE
from synth.writer import atomic_write_bytes, atomic_write_text, read_records


def _load_meta(d: Path) -> dict:
    f = d / DATASET_FILE
    if not f.is_file():
        raise GenerateError(f"{d} is not a dataset directory (no {DATASET_FILE})")
    try:
        return json.loads(f.read_text())
    except ValueError:
        raise GenerateError(f"{f} is not valid JSON") from None


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.tmp")
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def merge(shards: list[Path], out: Path) -> int:
    """Merge ``shards`` into ``out``; returns the number of samples."""
    if not shards:
        raise GenerateError("give at least one shard directory")
    metas = [_load_meta(Path(s)) for s in shards]
    fps = {m.get("fingerprint") for m in metas}
    if len(fps) != 1:
        raise GenerateError(
            f"shards come from different runs (fingerprints {sorted(map(str, fps))})"
        )
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if _load_meta(out).get("fingerprint") not in fps:
            raise GenerateError(f"{out} holds another dataset; use an empty --out")
    out.mkdir(parents=True, exist_ok=True)
    records: dict[int, str] = {}
    for s in shards:
        s = Path(s)
        for idx, line in read_records(s / SAMPLES_FILE).items():
            if idx in records and records[idx] != line:
                raise GenerateError(f"sample {idx} differs between shards")
            for rel in json.loads(line)["files"].values():
                _link_or_copy(s / rel, out / rel)
            records[idx] = line
    first = Path(shards[0])
    atomic_write_bytes(out / CONFIG_FILE, (first / CONFIG_FILE).read_bytes())
    atomic_write_text(out / SAMPLES_FILE, "".join(records[i] + "\n" for i in sorted(records)))
    meta = dict(metas[0])
    meta["n"] = max(int(m.get("n", 0)) for m in metas)
    counts = {"total": len(records), "train": 0, "val": 0, "test": 0}
    for line in records.values():
        counts[json.loads(line)["split"]] += 1
    meta["counts"] = counts
    meta["complete"] = True
    atomic_write_text(out / DATASET_FILE, json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return len(records)
