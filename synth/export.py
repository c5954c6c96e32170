"""``synth export``: a dataset directory -> WebDataset tar shards or a Hugging Face dataset.

Both are lossless for depth: WebDataset samples carry ``depth.npy`` (float32 metres, the
EXR's exact values) and HF rows carry a float32 ``Array2D``. RGB and mask keep their encoded
bytes (JPEG/PNG as written). Each sample also carries its full ``samples.jsonl`` record.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from synth.exr_io import read_depth
from synth.generate import GenerateError
from synth.spec import DATASET_FILE, SAMPLES_FILE
from synth.writer import read_records

FORMATS = ("webdataset", "hf")


def _records(root: Path) -> list[dict]:
    if not (root / DATASET_FILE).is_file():
        raise GenerateError(f"{root} is not a dataset directory (no {DATASET_FILE})")
    recs = [json.loads(line) for _, line in sorted(read_records(root / SAMPLES_FILE).items())]
    if not recs:
        raise GenerateError(f"{root} holds no complete samples")
    return recs


def _npy_bytes(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return buf.getvalue()


def export_webdataset(root: Path, out: Path, maxcount: int = 1000) -> list[Path]:
    """Write ``out/{split}-%06d.tar`` shards; returns the shard paths."""
    import webdataset as wds

    recs = _records(root)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for split in ("train", "val", "test"):
        rows = [r for r in recs if r["split"] == split]
        if not rows:
            continue
        pattern = str(out / f"{split}-%06d.tar")
        with wds.ShardWriter(pattern, maxcount=maxcount, verbose=0) as sink:
            for r in rows:
                f = r["files"]
                rgb_ext = Path(f["rgb"]).suffix.lstrip(".")
                sink.write(
                    {
                        "__key__": r["id"],
                        f"rgb.{rgb_ext}": (root / f["rgb"]).read_bytes(),
                        "depth.npy": _npy_bytes(read_depth(root / f["depth"])),
                        "mask.png": (root / f["mask"]).read_bytes(),
                        "json": json.dumps(r, sort_keys=True).encode(),
                    }
                )
        written += sorted(out.glob(f"{split}-*.tar"))
    return written


def _hf_rows(root: Path, rows: list[dict]) -> Iterator[dict]:
    from PIL import Image

    for r in rows:
        f = r["files"]
        yield {
            "id": r["id"],
            "image": Image.open(root / f["rgb"]),
            "depth": read_depth(root / f["depth"]),
            "mask": Image.open(root / f["mask"]),
            "record": json.dumps(r, sort_keys=True),
        }


def export_hf(root: Path, out: Path) -> Path:
    """Save a ``datasets.DatasetDict`` (one split per dataset split) to ``out``."""
    import datasets

    recs = _records(root)
    meta = json.loads((root / DATASET_FILE).read_text())
    h, w = meta["config"]["height"], meta["config"]["width"]
    features = datasets.Features(
        {
            "id": datasets.Value("string"),
            "image": datasets.Image(),
            "depth": datasets.Array2D(shape=(h, w), dtype="float32"),
            "mask": datasets.Image(),
            "record": datasets.Value("string"),
        }
    )
    splits = {}
    for split in ("train", "val", "test"):
        rows = [r for r in recs if r["split"] == split]
        if rows:
            splits[split] = datasets.Dataset.from_generator(
                _hf_rows, gen_kwargs={"root": root, "rows": rows}, features=features,
                cache_dir=str(out.parent / f".{out.name}.cache"),
            )  # fmt: skip
    dd = datasets.DatasetDict(splits)
    dd.save_to_disk(str(out))
    import shutil

    shutil.rmtree(out.parent / f".{out.name}.cache", ignore_errors=True)
    return out


def export(root: Path, fmt: str, out: Path) -> list[Path] | Path:
    if fmt not in FORMATS:
        raise GenerateError(f"unknown export format {fmt!r}; valid: {list(FORMATS)}")
    root, out = Path(root), Path(out)
    if fmt == "webdataset":
        return export_webdataset(root, out)
    return export_hf(root, out)
