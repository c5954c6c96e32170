"""``generate``: (config, seed, n) -> dataset directory, resumable and deterministic.

Work is split into chunks of sample indices handed to an executor (``local``: this process
or a pool of worker processes, each with its own renderer and GL context / Blender scene).
A killed run rerun with the same command renders only the missing samples; at the end
``samples.jsonl`` is rewritten in index order, so the directory is identical to the one an
uninterrupted run writes.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

import synth
from assets_pipeline.head_asset import HeadAsset
from synth.config import GenerateConfig, skin_map_digests
from synth.sampling import identity_splits, local_means, sample_spec
from synth.spec import (
    DATASET_FILE,
    FACE_REGION_CLASSES,
    MASK_CLASSES,
    SAMPLES_FILE,
    SCHEMA_VERSION,
)
from synth.writer import (
    atomic_write_text,
    ensure_layout,
    read_records,
    record_line,
    write_sample,
)

CONFIG_FILE = "config.yaml"


class GenerateError(ValueError):
    """Bad output directory or inputs; one line for the user (exit status 2)."""


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to render and write samples (picklable)."""

    out: str
    config: GenerateConfig
    seed: int
    renderer: str
    renderer_options: dict
    asset_path: str


@dataclass
class Summary:
    written: int = 0
    skipped: int = 0
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.written / self.seconds if self.seconds > 0 else 0.0


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fingerprint(
    config: GenerateConfig,
    seed: int,
    renderer: str,
    settings: dict,
    asset_sha: str,
    inputs: dict | None = None,
) -> str:
    """Identity of a run: a directory is resumed only by the same config, seed, renderer,
    explicit renderer options, asset, other input files (``inputs``: the skin maps'
    digests) and generator version (a new version may render the same spec differently,
    e.g. new renderer defaults; mixing them would break the "same command, identical
    files" guarantee)."""
    blob = json.dumps(
        {
            "generator": synth.__version__,
            "config": config.model_dump(mode="json"),
            "seed": seed,
            "renderer": renderer,
            "settings": settings,
            "asset": asset_sha,
            "schema": SCHEMA_VERSION,
        }
        | ({"inputs": inputs} if inputs else {}),
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


# ---------------------------------------------------------------- worker side
_WORKER: dict = {}


def tune_allocator() -> bool:
    """Keep freed large blocks in this process's heap (glibc only; else a no-op).

    Each sample allocates and frees tens of MB of image-sized arrays. glibc serves blocks
    over its mmap threshold with fresh mmaps and returns them on free, so every sample
    page-faults all of that memory in again (~4 ms of 45 per fast sample measured). A
    32 MB mmap threshold and a 256 MB trim threshold make the heap reuse it instead;
    worker processes only, so the memory stays bounded (peak RSS is measured in
    benchmarks/bench_fast.py). Returns whether the settings were applied."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
    return all(
        mallopt(param, value) == 1
        for param, value in (
            (m_mmap_threshold, 32 * 2**20),
            (m_trim_threshold, 256 * 2**20),
            (m_top_pad, 64 * 2**20),
        )
    )


def _worker_init(job: Job) -> None:
    from synth.render import get_renderer

    tune_allocator()
    asset = HeadAsset.load(job.asset_path)
    _WORKER["job"] = job
    _WORKER["asset"] = asset
    _WORKER["renderer"] = get_renderer(job.renderer)(
        asset, normals=job.config.output.save_normals, **job.renderer_options
    )


def render_chunk(indices: list[int]) -> list[tuple[int, str, dict[str, float], dict]]:
    """Render and write ``indices`` in the worker; returns (index, jsonl line, timings,
    the renderer's settings() as it runs: device actually used, versions)."""
    job: Job = _WORKER["job"]
    asset: HeadAsset = _WORKER["asset"]
    renderer = _WORKER["renderer"]
    rows = []
    for i in indices:
        t0 = time.perf_counter()
        spec = sample_spec(job.config, job.seed, i, local_names=asset.local_names)
        result = renderer.render(spec)
        record, io_t = write_sample(Path(job.out), job.config, spec, result)
        timings = {**result.timings, **io_t, "total": time.perf_counter() - t0}
        rows.append((i, record_line(record), timings))
    settings = renderer.settings()  # once per chunk, after rendering (device actually used)
    return [(*row, settings) for row in rows]


def _worker_close() -> None:
    r = _WORKER.pop("renderer", None)
    if r is not None:
        r.close()


# ---------------------------------------------------------------- executors
def run_local(job: Job, chunks: list[list[int]], workers: int) -> Iterator[list]:
    """Yield chunk results as they finish (in-process for 1 worker, else a process pool)."""
    if workers <= 1:
        _worker_init(job)
        try:
            for c in chunks:
                yield render_chunk(c)
        finally:
            _worker_close()
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = mp.get_context("spawn")  # a GL context / Blender must not cross a fork
    with ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_worker_init, initargs=(job,)
    ) as ex:
        futures = [ex.submit(render_chunk, c) for c in chunks]
        for fut in as_completed(futures):
            yield fut.result()


EXECUTORS: dict[str, str] = {
    "local": "synth.generate:run_local",
    "ray": "synth.executors.ray_exec:run_ray",
}


def get_executor(name: str) -> Callable[..., Iterable[list]]:
    import importlib

    if name not in EXECUTORS:
        raise GenerateError(f"unknown executor {name!r}; valid: {sorted(EXECUTORS)}")
    module, fn = EXECUTORS[name].split(":")
    return getattr(importlib.import_module(module), fn)


# ---------------------------------------------------------------- driver
def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise GenerateError(f"output path exists and is not a directory: {out}")
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out, prefix=".write-test")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise GenerateError(f"output directory is not writable: {out} ({exc.strerror})") from None


def _remove_stale_temps(out: Path) -> None:
    """Delete the half-written temporary files (``.NAME.XXXX.tmp``, assets_pipeline.fileio
    .atomic_write) a killed run left in ``out`` and its sample folders: their samples have
    no samples.jsonl line, so they are written again."""
    for folder in (out, *(p for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))):
        for tmp in folder.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)


def dataset_metadata(
    config: GenerateConfig,
    seed: int,
    n: int,
    renderer: str,
    settings: dict,
    asset: HeadAsset,
    asset_sha: str,
    fp: str,
    records: dict[int, str] | None,
    out: Path,
    runtime: dict | None = None,
    inputs: dict | None = None,
) -> dict:
    splits = identity_splits(config, seed)
    meta = {
        "generator": "facedepth",
        "version": synth.__version__,
        "schema_version": SCHEMA_VERSION,
        "fingerprint": fp,
        "seed": seed,
        "n": n,
        "config": config.model_dump(mode="json"),
        "renderer": {"name": renderer, "settings": settings}
        | ({"runtime": runtime} if runtime else {}),
        "asset": {
            "sha256": asset_sha,
            **{k: asset.meta.get(k) for k in ("source", "source_detail", "licences")},
        },
        "mask_classes": {str(k): v for k, v in MASK_CLASSES.items()},
        "face_region_classes": list(FACE_REGION_CLASSES),
        "units": {
            "depth": "metres, planar (camera-frame z), float32 EXR channel 'Z', 0 = no surface",
            "camera": "OpenCV: x right, y down, z forward; K in pixels, pixel centres at integers",
            "head_pose": "R = Rz(roll) Ry(yaw) Rx(pitch), degrees, camera frame",
        },
        "identities": {
            s: [i for i, x in enumerate(splits) if x == s] for s in ("train", "val", "test")
        },
        "command": f"synth generate --n {n} --seed {seed} --config {CONFIG_FILE}"
        + (" --fast" if renderer == "fast" else "")
        + " --out NEW_DIR",
        "complete": records is not None,
    } | ({"inputs": inputs} if inputs else {})
    if records is not None:
        counts = {"total": len(records), "train": 0, "val": 0, "test": 0}
        for line in records.values():
            counts[json.loads(line)["split"]] += 1
        meta["counts"] = counts
    return meta


def generate(
    config: GenerateConfig,
    out: Path,
    n: int,
    seed: int = 0,
    *,
    renderer: str = "fast",
    renderer_options: dict | None = None,
    asset_path: Path,
    workers: int = 1,
    executor: str = "local",
    executor_options: dict | None = None,
    chunk_size: int = 16,
    indices: Iterable[int] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Summary:
    """Write samples 0..n-1 (or ``indices``) of (config, seed) to ``out``; see module doc."""
    if n < 1:
        raise GenerateError(f"--n must be >= 1, got {n}")
    if seed < 0:
        raise GenerateError(f"--seed must be >= 0, got {seed}")
    if workers < 1:
        raise GenerateError(f"--workers must be >= 1, got {workers}")
    run = get_executor(executor)
    out = Path(out)
    asset = HeadAsset.load(asset_path)
    local_means(asset.local_names, config.identity.local_mean)  # a bad name fails before any write
    inputs = {}  # user files the samples depend on, besides the asset: in the fingerprint
    if config.identity.skin_map_dir:  # a bad map or directory fails before any write
        inputs["skin_maps"] = skin_map_digests(config.identity.skin_map_dir)
    renderer_options = dict(renderer_options or {})
    settings = {k: v for k, v in renderer_options.items() if k not in ("device",)}
    asset_sha = file_sha256(Path(asset_path))
    fp = fingerprint(config, seed, renderer, settings, asset_sha, inputs)
    _check_out(out)
    ds_file = out / DATASET_FILE
    previous_runtime = None
    if ds_file.exists():
        try:
            old = json.loads(ds_file.read_text())
        except (OSError, ValueError):
            raise GenerateError(f"{ds_file} is unreadable; use an empty directory") from None
        if old.get("fingerprint") != fp:
            raise GenerateError(
                f"{out} holds a dataset made with a different config/seed/renderer/asset "
                f"(fingerprint {old.get('fingerprint')} != {fp}); use another --out"
            )
        n = max(n, int(old.get("n", 0)))
        previous_runtime = old.get("renderer", {}).get("runtime")
        _remove_stale_temps(out)
    elif any(p for p in out.iterdir() if not p.name.startswith(".")):
        raise GenerateError(
            f"{out} is not empty and holds no {DATASET_FILE}; use an empty directory"
        )

    ensure_layout(out, config)
    atomic_write_text(
        out / CONFIG_FILE, yaml.safe_dump(config.model_dump(mode="json"), sort_keys=True)
    )
    meta = dataset_metadata(
        config, seed, n, renderer, settings, asset, asset_sha, fp, None, out, inputs=inputs
    )
    atomic_write_text(ds_file, json.dumps(meta, indent=2, sort_keys=True) + "\n")

    samples_path = out / SAMPLES_FILE
    records = read_records(samples_path)
    # Drop a torn last line before appending.
    atomic_write_text(samples_path, "".join(records[i] + "\n" for i in sorted(records)))
    wanted = sorted(set(range(n) if indices is None else indices))
    todo = [i for i in wanted if i not in records]
    summary = Summary(skipped=len(wanted) - len(todo))
    if on_progress and summary.skipped:
        on_progress(summary.skipped)
    job = Job(str(out), config, seed, renderer, renderer_options, str(asset_path))
    chunks = [todo[k : k + chunk_size] for k in range(0, len(todo), chunk_size)]
    t0 = time.perf_counter()
    runtime = previous_runtime  # a worker's renderer.settings(): device used, versions
    with open(samples_path, "a", encoding="utf-8") as fh:
        for result in run(job, chunks, workers, **(executor_options or {})):
            for index, line, timings, worker_settings in result:
                runtime = worker_settings
                fh.write(line + "\n")
                records[index] = line
                summary.written += 1
                for k, v in timings.items():
                    summary.stages[k] = summary.stages.get(k, 0.0) + v
            fh.flush()
            if on_progress:
                on_progress(len(result))
    summary.seconds = time.perf_counter() - t0
    atomic_write_text(samples_path, "".join(records[i] + "\n" for i in sorted(records)))
    meta = dataset_metadata(
        config, seed, n, renderer, settings, asset, asset_sha, fp, records, out, runtime, inputs
    )
    atomic_write_text(ds_file, json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return summary
