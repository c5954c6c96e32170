"""Dataset writer: RenderResult -> files in the dataset layout (shared/ARCHITECTURE.md).

Every file is written atomically (temp file in the same directory, then rename); a sample
is complete only when its ``samples.jsonl`` line exists, and that line is appended only
after all of the sample's files are in place.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import numpy as np
from PIL import Image

from assets_pipeline.fileio import atomic_write_bytes
from synth.config import GenerateConfig
from synth.exr_io import write_depth, write_exr
from synth.render.base import RenderResult
from synth.spec import (
    DEPTH_DIR,
    MASK_DIR,
    MESH_DIR,
    NORMALS_DIR,
    RGB_DIR,
    Landmarks,
    SampleRecord,
    SceneSpec,
)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def encode_png(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def encode_rgb(rgb: np.ndarray, fmt: str, quality: int) -> bytes:
    if fmt == "png":
        return encode_png(rgb)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=quality, subsampling=0)
    return buf.getvalue()


def ply_bytes(vertices: np.ndarray, faces: np.ndarray) -> bytes:
    """Binary little-endian PLY (float32 xyz, uint8 count + int32 indices)."""
    header = (
        "ply\nformat binary_little_endian 1.0\n"
        f"element vertex {len(vertices)}\nproperty float x\nproperty float y\nproperty float z\n"
        f"element face {len(faces)}\nproperty list uchar int vertex_indices\nend_header\n"
    ).encode()
    v = np.ascontiguousarray(vertices, dtype="<f4").tobytes()
    f = np.empty(len(faces), dtype=[("n", "u1"), ("i", "<i4", (3,))])
    f["n"] = 3
    f["i"] = faces
    return header + v + f.tobytes()


def ensure_layout(root: Path, config: GenerateConfig) -> None:
    for sub in (RGB_DIR, DEPTH_DIR, MASK_DIR):
        (root / sub).mkdir(parents=True, exist_ok=True)
    if config.output.save_normals:
        (root / NORMALS_DIR).mkdir(exist_ok=True)
    if config.output.save_mesh:
        (root / MESH_DIR).mkdir(exist_ok=True)


def write_sample(
    root: Path, config: GenerateConfig, spec: SceneSpec, result: RenderResult
) -> tuple[SampleRecord, dict[str, float]]:
    """Write one sample's files; return its record (not yet appended) and stage timings."""
    sid = spec.sample_id
    out = config.output
    t0 = time.perf_counter()
    files = {
        "rgb": f"{RGB_DIR}/{sid}.{out.rgb_format}",
        "depth": f"{DEPTH_DIR}/{sid}.exr",
        "mask": f"{MASK_DIR}/{sid}.png",
    }
    rgb_bytes = encode_rgb(result.rgb, out.rgb_format, out.jpeg_quality)
    mask_bytes = encode_png(result.mask)
    t1 = time.perf_counter()
    atomic_write_bytes(root / files["rgb"], rgb_bytes)
    atomic_write_bytes(root / files["mask"], mask_bytes)
    write_depth(root / files["depth"], result.depth)
    if out.save_normals and result.normals is not None:
        files["normals"] = f"{NORMALS_DIR}/{sid}.exr"
        n = result.normals
        write_exr(root / files["normals"], {"X": n[..., 0], "Y": n[..., 1], "Z": n[..., 2]})
    if out.save_mesh:
        files["mesh"] = f"{MESH_DIR}/{sid}.ply"
        atomic_write_bytes(root / files["mesh"], ply_bytes(*result.mesh))
    t2 = time.perf_counter()
    record = SampleRecord(
        id=sid,
        index=spec.index,
        split=spec.split,
        identity_id=spec.identity.identity_id,
        files=files,
        scene=spec,
        head_pose_matrix=np.round(result.head_rotation, 9).tolist(),
        head_translation_m=np.round(result.head_translation, 9).tolist(),
        landmarks=Landmarks(
            points_2d=np.round(result.landmarks_2d.astype(np.float64), 6).tolist(),
            points_3d=np.round(result.landmarks_3d.astype(np.float64), 9).tolist(),
            visible=result.landmarks_visible.tolist(),
        ),
    )
    return record, {"encode": t1 - t0, "write": t2 - t1}


def record_line(record: SampleRecord) -> str:
    return json.dumps(record.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def read_records(path: Path) -> dict[int, str]:
    """Complete lines of samples.jsonl by index (a torn last line is ignored)."""
    out: dict[int, str] = {}
    if not path.exists():
        return out
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.endswith("\n"):
                break
            try:
                out[int(json.loads(line)["index"])] = line.rstrip("\n")
            except (ValueError, KeyError):
                break
    return out
