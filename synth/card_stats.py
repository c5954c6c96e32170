"""Statistics of a generated dataset for its data card, computed from the files alone.

``load_dataset(DIR)`` reads ``dataset.json`` and ``samples.jsonl`` (every line validated as a
``SampleRecord``) and checks that each listed file exists; ``summarize(dataset)`` counts and
summarises every sampled parameter (per sample, per light, per identity) and reads pixel
statistics (depth range, mask class shares, rendered skin tone) from at most
``PIXEL_SAMPLES`` evenly spaced samples. Nothing here is typed by hand: the card only
prints what this module returns.

Rendered skin tone is reported as the Individual Typology Angle, ITA = atan((L* - 50) / b*)
in degrees (CIELAB, D65), with the category bounds of Chardon et al. 1991 / Del Bino and
Bernerd 2013 (Br. J. Dermatol. 169 Suppl. 3), as used in audits of face datasets.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from synth.config import GenerateConfig
from synth.spec import DATASET_FILE, MASK_CLASS_IDS, SAMPLES_FILE, SampleRecord

SPLITS = ("train", "val", "test")
BACKGROUND_KINDS = ("plain", "textured", "cluttered", "image")
PIXEL_SAMPLES = 256
# ITA categories, lower bound in degrees (Del Bino & Bernerd 2013), lightest first.
ITA_CATEGORIES: tuple[tuple[str, float], ...] = (
    ("very light", 55.0),
    ("light", 41.0),
    ("intermediate", 28.0),
    ("tan", 10.0),
    ("brown", -30.0),
    ("dark", -np.inf),
)
MIN_SKIN_PIXELS = 50
_META_KEYS = ("version", "command", "config", "renderer", "asset", "units", "mask_classes", "n")


class CardError(ValueError):
    """The directory cannot be documented (missing, not a dataset, corrupt); one line for
    the user (exit status 2)."""


@dataclass(frozen=True)
class Dataset:
    """A dataset directory as read from disk: metadata, resolved config, sample records."""

    root: Path
    meta: dict
    config: GenerateConfig
    records: list[SampleRecord]
    file_bytes: dict[str, int]  # kind (rgb, depth, mask, ...) -> total bytes on disk
    file_formats: dict[str, list[str]]  # kind -> sorted file extensions


@dataclass
class Summary:
    """Counts and summaries (``stats``, JSON-serialisable) plus the raw per-sample,
    per-light and per-identity values the plots are drawn from (``values``)."""

    stats: dict
    values: dict[str, np.ndarray] = field(default_factory=dict)


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CardError(f"cannot read {path}: {exc}") from None
    except ValueError as exc:
        raise CardError(f"{path} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise CardError(f"{path} must hold a JSON object")
    return data


def _read_records(path: Path) -> list[SampleRecord]:
    if not path.is_file():
        raise CardError(f"{path} not found; the dataset holds no samples")
    records = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                records.append(SampleRecord.model_validate_json(line))
            except ValidationError as exc:
                e = exc.errors()[0]
                where = ".".join(str(p) for p in e["loc"]) or "line"
                raise CardError(
                    f"{path}:{lineno} is not a valid sample record ({where}: {e['msg']})"
                ) from None
    if not records:
        raise CardError(f"{path} is empty; generate samples first")
    ids = [r.index for r in records]
    if len(set(ids)) != len(ids):
        dup = next(i for i, c in Counter(ids).items() if c > 1)
        raise CardError(f"{path} lists sample {dup} more than once")
    return sorted(records, key=lambda r: r.index)


def load_dataset(root: str | Path) -> Dataset:
    """Read and check a dataset directory; raises CardError with a one-line reason."""
    root = Path(root)
    if not root.is_dir():
        raise CardError(f"dataset directory not found: {root}")
    meta_path = root / DATASET_FILE
    if not meta_path.is_file():
        raise CardError(f"{root} holds no {DATASET_FILE}; is it a dataset from synth generate?")
    meta = _read_json(meta_path)
    missing = [k for k in _META_KEYS if k not in meta]
    if missing:
        raise CardError(f"{meta_path} lacks {', '.join(missing)}")
    try:
        config = GenerateConfig.model_validate(meta["config"])
    except ValidationError as exc:
        e = exc.errors()[0]
        where = ".".join(str(p) for p in e["loc"])
        raise CardError(f"{meta_path}: invalid config at {where}: {e['msg']}") from None
    records = _read_records(root / SAMPLES_FILE)
    sizes: Counter = Counter()
    formats: dict[str, set[str]] = {}
    for r in records:
        for kind, rel in r.files.items():
            p = root / rel
            try:
                sizes[kind] += p.stat().st_size
            except OSError:
                raise CardError(f"sample {r.id}: {kind} file {rel} is missing") from None
            formats.setdefault(kind, set()).add(p.suffix.lstrip("."))
    return Dataset(
        root,
        meta,
        config,
        records,
        dict(sizes),
        {k: sorted(v) for k, v in formats.items()},
    )


# ---------------------------------------------------------------- summaries
def describe(values) -> dict:
    """min / max / mean / std / median of a 1-D sequence (empty -> count 0 only)."""
    a = np.asarray(values, dtype=float)
    if a.size == 0:
        return {"count": 0}
    return {
        "count": int(a.size),
        "min": float(a.min()),
        "max": float(a.max()),
        "mean": float(a.mean()),
        "std": float(a.std()),
        "median": float(np.median(a)),
    }


def _by_split(labels, splits, order=()) -> dict:
    """{label: {train, val, test, total}}: labels of ``order`` first (also when absent,
    with zero counts), then the others in first-seen order."""
    out: dict[str, dict[str, int]] = {
        str(lab): {**{k: 0 for k in SPLITS}, "total": 0} for lab in order
    }
    for lab, s in zip(labels, splits, strict=True):
        row = out.setdefault(str(lab), {**{k: 0 for k in SPLITS}, "total": 0})
        row[s] += 1
        row["total"] += 1
    return out


def _unique_xy(scenes, kind: str, limit: int = 3) -> list[list[float]] | None:
    """Distinct camera-frame (x, y) positions of the lights of ``kind`` (mm-rounded), or
    None when there are more than ``limit`` (the light moves)."""
    xy = {
        (round(li.position_m[0], 3), round(li.position_m[1], 3))
        for s in scenes
        for li in s.lights
        if li.kind == kind
    }
    return [list(p) for p in sorted(xy)] if len(xy) <= limit else None


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 sRGB -> (..., 3) CIELAB (D65 white)."""
    c = rgb.astype(np.float64) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array(
        [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
         [0.0193339, 0.1191920, 0.9503041]]
    )  # fmt: skip
    xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )


def ita_degrees(skin_rgb: np.ndarray) -> float:
    """ITA of the median L*, b* over (N, 3) uint8 skin pixels."""
    lab = srgb_to_lab(skin_rgb)
    L, b = float(np.median(lab[:, 0])), float(np.median(lab[:, 2]))
    return float(np.degrees(np.arctan2(L - 50.0, b)))


def ita_category(ita: float) -> str:
    return next(name for name, lo in ITA_CATEGORIES if ita > lo)


def pixel_indices(n: int, k: int = PIXEL_SAMPLES) -> list[int]:
    """Positions of at most ``k`` evenly spaced records (all when n <= k)."""
    if n <= k:
        return list(range(n))
    return sorted({int(round(x)) for x in np.linspace(0, n - 1, k)})


def _pixel_stats(ds: Dataset) -> tuple[dict, dict[str, np.ndarray]]:
    from PIL import Image

    from synth.exr_io import read_depth

    n_cls = max(int(k) for k in ds.meta["mask_classes"]) + 1
    hist = np.zeros(n_cls, np.int64)
    valid_frac, face_med, ita, tone = [], [], [], []
    dmin, dmax = np.inf, 0.0
    skin_id = MASK_CLASS_IDS["skin"]
    face_ids = np.asarray(ds.meta.get("face_region_classes", [skin_id]))
    picked = pixel_indices(len(ds.records))
    for k in picked:
        r = ds.records[k]
        depth = read_depth(ds.root / r.files["depth"])
        mask = np.asarray(Image.open(ds.root / r.files["mask"]))
        hist += np.bincount(mask.ravel(), minlength=n_cls)[:n_cls]
        valid = depth > 0
        valid_frac.append(valid.mean())
        if valid.any():
            dmin, dmax = min(dmin, float(depth[valid].min())), max(dmax, float(depth[valid].max()))
        face = np.isin(mask, face_ids) & valid
        if face.any():
            face_med.append(float(np.median(depth[face])))
        skin = mask == skin_id
        if skin.sum() >= MIN_SKIN_PIXELS:
            rgb = np.asarray(Image.open(ds.root / r.files["rgb"]).convert("RGB"))
            ita.append(ita_degrees(rgb[skin]))
            tone.append(r.scene.identity.skin_tone)
    names = {int(k): v for k, v in ds.meta["mask_classes"].items()}
    total = max(int(hist.sum()), 1)
    stats = {
        "samples_read": len(picked),
        "depth_valid_fraction": describe(valid_frac),
        "depth_min_m": float(dmin) if np.isfinite(dmin) else None,
        "depth_max_m": float(dmax) if dmax > 0 else None,
        "face_median_depth_m": describe(face_med),
        "mask_share": {names.get(i, str(i)): float(hist[i] / total) for i in range(n_cls)},
        "mask_classes": [
            {"id": i, "name": names.get(i, str(i)), "share": float(hist[i] / total)}
            for i in range(n_cls)
        ],
        "skin_ita": {
            "samples": len(ita),
            "light_share": float(np.mean([ita_category(x) in ("very light", "light") for x in ita]))
            if ita
            else None,
            "degrees": describe(ita),
            "categories": {
                name: sum(ita_category(x) == name for x in ita) for name, _ in ITA_CATEGORIES
            },
        },
    }
    values = {
        "ita_deg": np.asarray(ita),
        "ita_skin_tone": np.asarray(tone),
        "face_median_depth_m": np.asarray(face_med),
    }
    return stats, values


def summarize(ds: Dataset, *, pixels: bool = True) -> Summary:
    """Count and summarise everything the card reports; see the module docstring."""
    recs = ds.records
    scenes = [r.scene for r in recs]
    split = np.array([r.split for r in recs])
    v: dict[str, np.ndarray] = {
        "split": split,
        "yaw_deg": np.array([s.head_pose.yaw_deg for s in scenes]),
        "pitch_deg": np.array([s.head_pose.pitch_deg for s in scenes]),
        "roll_deg": np.array([s.head_pose.roll_deg for s in scenes]),
        "body_yaw_deg": np.array([s.body_yaw_deg for s in scenes]),
        "distance_m": np.array([s.camera.distance_m for s in scenes]),
        "sensor_mm": np.array([s.camera.sensor_mm for s in scenes]),
        "focal_mm": np.array([s.camera.focal_mm for s in scenes]),
        "expression": np.array([s.expression.name for s in scenes]),
        "intensity": np.array([s.expression.intensity for s in scenes]),
        "ambient": np.array([s.ambient for s in scenes]),
        "n_lights": np.array([len(s.lights) for s in scenes]),
        "background": np.array([s.background.kind for s in scenes]),
        "visible_landmarks": np.array([np.mean(r.landmarks.visible) for r in recs]),
        "light_kind": np.array([li.kind for s in scenes for li in s.lights]),
        "light_kelvin": np.array([li.kelvin for s in scenes for li in s.lights]),
        "light_power_w": np.array([li.power_w for s in scenes for li in s.lights]),
        "light_split": np.array([r.split for r in recs for _ in r.scene.lights]),
    }
    # Horizontal field of view: the sensor width spans the image width (spec.CameraSpec).
    v["hfov_deg"] = np.degrees(2 * np.arctan(v["sensor_mm"] / (2 * v["focal_mm"])))

    idents = {r.identity_id: r.scene.identity for r in recs}  # identities present
    id_split = {r.identity_id: r.split for r in recs}
    ids = sorted(idents)
    v["identity_split"] = np.array([id_split[i] for i in ids])
    phen_names = sorted({k for i in ids for k in idents[i].phenotypes})
    for k in phen_names:
        v[f"phenotype_{k}"] = np.array([idents[i].phenotypes.get(k, np.nan) for i in ids])
    v["skin_tone"] = np.array([idents[i].skin_tone for i in ids])
    v["has_hair"] = np.array([idents[i].has_hair for i in ids])
    v["long_hair"] = np.array(
        [idents[i].has_hair and idents[i].hair_shape.get("length", 0.0) > 0 for i in ids]
    )
    ancestry = [k for k in ("african", "asian", "caucasian") if k in phen_names]
    dominant = Counter(
        max(ancestry, key=lambda a, i=i: idents[i].phenotypes[a]) for i in ids if ancestry
    )

    res = Counter(f"{s.camera.width}x{s.camera.height}" for s in scenes)
    splits = {
        s: {
            "samples": int((split == s).sum()),
            "identities": len({r.identity_id for r in recs if r.split == s}),
        }
        for s in SPLITS
    }
    non_neutral = v["intensity"][v["expression"] != "neutral"]
    id_sets = {s_: {r.identity_id for r in recs if r.split == s_} for s_ in SPLITS}
    stats = {
        "samples": len(recs),
        "splits_disjoint_by_identity": all(
            not (id_sets[a] & id_sets[b]) for a in SPLITS for b in SPLITS if a < b
        ),
        "planned_samples": int(ds.meta["n"]),
        "complete": bool(ds.meta.get("complete", False)) and len(recs) == int(ds.meta["n"]),
        "index_range": [recs[0].index, recs[-1].index],
        "indices_contiguous": recs[-1].index - recs[0].index + 1 == len(recs),
        "splits": splits,
        "identity_pool": ds.config.identity.count,
        "identities": len(ids),
        "samples_per_identity": describe(list(Counter(r.identity_id for r in recs).values())),
        "expressions": _by_split(v["expression"], split, ds.config.expression.names),
        "intensity_non_neutral": describe(non_neutral),
        "head_pose": {k: describe(v[k]) for k in ("yaw_deg", "pitch_deg", "roll_deg")},
        "body_yaw_deg": describe(v["body_yaw_deg"]),
        "camera": {k: describe(v[k]) for k in ("distance_m", "sensor_mm", "focal_mm", "hfov_deg")},
        "resolutions": dict(res),
        "lights": {
            "per_sample": {str(k): c for k, c in sorted(Counter(v["n_lights"].tolist()).items())},
            "by_kind": {
                str(kind): {
                    "count": int((v["light_kind"] == kind).sum()),
                    "kelvin": describe(v["light_kelvin"][v["light_kind"] == kind]),
                    "power_w": describe(v["light_power_w"][v["light_kind"] == kind]),
                    "positions_xy_m": _unique_xy(scenes, kind),
                }
                for kind in dict.fromkeys(v["light_kind"].tolist())
            },
            "ambient": describe(v["ambient"]),
        },
        "backgrounds": _by_split(v["background"], split, BACKGROUND_KINDS),
        "phenotypes": {k: describe(v[f"phenotype_{k}"]) for k in phen_names},
        "ancestry_dominant": {a: dominant.get(a, 0) for a in ancestry},
        "skin_tone": describe(v["skin_tone"]),
        "with_hair": int(v["has_hair"].sum()),
        "with_long_hair": int(v["long_hair"].sum()),
        "landmarks_visible_fraction": describe(v["visible_landmarks"]),
        "files": {
            kind: {"formats": ds.file_formats[kind], "bytes": ds.file_bytes[kind]}
            for kind in ds.file_formats
        },
        "bytes_total": int(sum(ds.file_bytes.values())),
        "records_bytes": (ds.root / SAMPLES_FILE).stat().st_size,
    }
    if pixels:
        pstats, pvalues = _pixel_stats(ds)
        stats["pixels"] = pstats
        v.update(pvalues)
    return Summary(stats, v)
