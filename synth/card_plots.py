"""Figures of a data card: parameter histograms (stacked by split) and a sample grid.

Every figure is drawn from ``card_stats.Summary.values`` (the numbers in the card come from
the same summary), with matplotlib's object API (no pyplot global state) and written as a
PNG atomically. The sample grid shows the dataset's own files through
``synth.contact_sheet.sample_row``: RGB | depth | mask | landmarks.

Phenotype axes follow anny (``anny/models/phenotype.py``, Apache-2.0): gender 0 = male and
1 = female; age anchors newborn, baby, child, young, old at -1/3, 0, 1/3, 2/3, 1.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np

from synth.card_stats import ITA_CATEGORIES, SPLITS, Dataset, Summary
from synth.writer import atomic_write_bytes

SPLIT_COLORS = {"train": "#4C72B0", "val": "#DD8452", "test": "#55A868"}
AGE_TICKS = {1 / 3: "child", 2 / 3: "young", 1.0: "old"}
GENDER_TICKS = {0.0: "male", 1.0: "female"}
GRID_ROWS = 8
DPI = 100

# File name -> (title shown in the card, drawing function); the card links them in order.
FIGURES: dict[str, str] = {
    "samples.png": "Samples: RGB | depth | mask | landmarks",
    "splits.png": "Samples and identities per split",
    "expressions.png": "Expressions",
    "head_pose.png": "Head pose",
    "camera.png": "Camera",
    "lighting.png": "Lights and backgrounds",
    "identities.png": "Identities (per identity)",
    "skin_tone.png": "Rendered skin tone",
    "pixels.png": "Pixels: mask classes and face depth",
}


def _figure(ncols: int, width: float = 13.0, height: float = 3.2):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    from matplotlib.ticker import MaxNLocator

    for ax in axes:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
    return fig, axes


def _legend(fig, ax) -> None:
    """One split legend for the figure, outside the axes on the right."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right upper", frameon=False, fontsize=9)


def _headroom(ax, top: float) -> None:
    """Room above the tallest bar for its count label."""
    ax.set_ylim(0, max(top, 1) * 1.15)


def _save(fig, path: Path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    atomic_write_bytes(path, buf.getvalue())


def _bins(values: np.ndarray) -> np.ndarray | int:
    v = values[np.isfinite(values)]
    if v.size == 0 or v.min() == v.max():
        return 1
    return np.histogram_bin_edges(v, bins=int(np.clip(np.sqrt(v.size), 5, 30)))


def _hist(ax, values, split, title, xlabel) -> None:
    """Histogram stacked by split; a constant value is drawn as one labelled bar."""
    values = np.asarray(values, dtype=float)
    groups = [values[split == s] for s in SPLITS]
    ax.hist(
        groups,
        bins=_bins(values),
        stacked=True,
        color=[SPLIT_COLORS[s] for s in SPLITS],
        label=list(SPLITS),
        edgecolor="white",
        linewidth=0.5,
    )
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")


def _bars(ax, table: dict, title: str, rotate: bool = False) -> None:
    """Bars stacked by split from {label: {train, val, test, total}}, totals on top."""
    labels = list(table)
    x = np.arange(len(labels))
    bottom = np.zeros(len(labels))
    for s in SPLITS:
        h = np.array([table[k][s] for k in labels], dtype=float)
        ax.bar(x, h, bottom=bottom, color=SPLIT_COLORS[s], label=s, width=0.7)
        bottom += h
    for xi, t in zip(x, bottom, strict=True):
        ax.annotate(f"{int(t)}", (xi, t), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, labels, rotation=30 if rotate else 0, ha="right" if rotate else "center")
    ax.set_title(title)
    ax.set_ylabel("count")
    _headroom(ax, bottom.max() if len(bottom) else 0)


def plot_splits(s: Summary, path: Path) -> None:
    fig, (a, b) = _figure(2, width=8.0)
    for ax, key, title in ((a, "samples", "samples"), (b, "identities", "identities")):
        table = {k: {**{x: 0 for x in SPLITS}, k: s.stats["splits"][k][key]} for k in SPLITS}
        _bars(ax, table, f"{title} per split")
    _legend(fig, a)
    _save(fig, path)


def plot_expressions(s: Summary, path: Path) -> None:
    fig, (a, b) = _figure(2, width=10.0)
    _bars(a, s.stats["expressions"], "samples per expression", rotate=True)
    _legend(fig, a)
    v = s.values
    keep = v["expression"] != "neutral"
    _hist(b, v["intensity"][keep], v["split"][keep], "intensity (non-neutral)", "preset weight")
    _save(fig, path)


def plot_head_pose(s: Summary, path: Path) -> None:
    fig, axes = _figure(3, width=12.0)
    v = s.values
    for ax, name in zip(axes, ("yaw", "pitch", "roll"), strict=True):
        _hist(ax, v[f"{name}_deg"], v["split"], name, "degrees")
    _legend(fig, axes[0])
    _save(fig, path)


def plot_camera(s: Summary, path: Path) -> None:
    fig, axes = _figure(3, width=12.0)
    v = s.values
    _hist(axes[0], v["distance_m"] * 1000, v["split"], "camera distance", "mm")
    _hist(axes[1], v["sensor_mm"], v["split"], "sensor width", "mm")
    _hist(axes[2], v["hfov_deg"], v["split"], "horizontal field of view", "degrees")
    _legend(fig, axes[0])
    _save(fig, path)


def plot_lighting(s: Summary, path: Path) -> None:
    fig, axes = _figure(4, width=15.0)
    v = s.values
    rnd = v["light_kind"] != "key"  # the key light is fixed; its values are in the card
    _hist(
        axes[0],
        v["light_kelvin"][rnd],
        v["light_split"][rnd],
        "random-light colour temperature",
        "kelvin",
    )
    _hist(axes[1], v["light_power_w"][rnd], v["light_split"][rnd], "random-light power", "watts")
    _hist(axes[2], v["ambient"], v["split"], "ambient", "fraction")
    _bars(axes[3], s.stats["backgrounds"], "backgrounds")
    _legend(fig, axes[0])
    _save(fig, path)


def plot_identities(s: Summary, path: Path) -> None:
    fig, axes = _figure(4, width=15.0)
    v = s.values
    sp = v["identity_split"]
    if "phenotype_gender" in v:
        _hist(axes[0], v["phenotype_gender"], sp, "gender phenotype", "anny value")
        axes[0].set_xticks(list(GENDER_TICKS), [f"{k:g}\n{n}" for k, n in GENDER_TICKS.items()])
        axes[0].set_xlim(-0.05, 1.05)
    if "phenotype_age" in v:
        _hist(axes[1], v["phenotype_age"], sp, "age phenotype", "anny value")
        axes[1].set_xticks(list(AGE_TICKS), [f"{k:.2f}\n{n}" for k, n in AGE_TICKS.items()])
        axes[1].set_xlim(0.25, 1.05)
    _hist(axes[2], v["skin_tone"], sp, "skin tone parameter", "0 = lightest, 1 = darkest")
    dom = s.stats["ancestry_dominant"]
    axes[3].bar(list(dom), list(dom.values()), color="#8172B3", width=0.6)
    for k, c in dom.items():
        axes[3].annotate(str(c), (k, c), ha="center", va="bottom", fontsize=8)
    axes[3].set_title("largest ancestry weight")
    axes[3].set_ylabel("identities")
    _headroom(axes[3], max(dom.values(), default=0))
    _legend(fig, axes[0])
    _save(fig, path)


def plot_skin_tone(s: Summary, path: Path) -> None:
    fig, (a, b) = _figure(2, width=10.0)
    cats = s.stats["pixels"]["skin_ita"]["categories"]
    a.bar(list(cats), list(cats.values()), color="#C44E52", width=0.6)
    for k, c in cats.items():
        a.annotate(str(c), (k, c), ha="center", va="bottom", fontsize=8)
    a.set_title("ITA category of rendered skin pixels")
    a.set_ylabel("samples")
    a.tick_params(axis="x", labelrotation=20)
    _headroom(a, max(cats.values(), default=0))
    b.scatter(s.values["ita_skin_tone"], s.values["ita_deg"], s=10, alpha=0.6, color="#C44E52")
    bounds = [lo for _, lo in ITA_CATEGORIES[:-1]]
    for lo in bounds:
        b.axhline(lo, color="grey", lw=0.6, ls=":")
    ymin, ymax = b.get_ylim()
    tops = [max(ymax, 90.0), *bounds]
    b.set_ylim(min(ymin, bounds[-1] - 10), tops[0])
    for (name, lo), hi in zip(ITA_CATEGORIES, tops, strict=True):
        mid = (max(lo, b.get_ylim()[0]) + hi) / 2
        b.annotate(name, (1.01, mid), xycoords=("axes fraction", "data"), va="center", fontsize=8)
    b.set_xlabel("skin tone parameter (0 = lightest)")
    b.set_ylabel("ITA (degrees; higher = lighter)")
    b.set_title("sampled parameter vs rendered ITA")
    _save(fig, path)


def plot_pixels(s: Summary, path: Path) -> None:
    fig, (a, b) = _figure(2, width=13.0, height=3.6)
    share = s.stats["pixels"]["mask_share"]
    names = list(share)
    a.bar(names, [100 * share[k] for k in names], color="#64B5CD")
    a.set_yscale("log")
    for k in names:
        if share[k] == 0:
            a.annotate("0", (k, 0), xycoords=("data", "axes fraction"), ha="center", va="bottom")
    a.set_ylabel("% of pixels (log)")
    a.set_title(f"mask class shares ({s.stats['pixels']['samples_read']} samples)")
    a.set_xticks(range(len(names)), names, rotation=45, ha="right", rotation_mode="anchor")
    v = s.values
    depth = np.asarray(v.get("face_median_depth_m", []), dtype=float)
    if depth.size:
        b.hist(depth * 1000, bins=_bins(depth * 1000), color="#937860", edgecolor="white")
    b.set_title("median face depth per sample")
    b.set_xlabel("mm")
    b.set_ylabel("samples")
    _save(fig, path)


def grid_records(ds: Dataset, k: int = GRID_ROWS) -> list[int]:
    """Positions of the grid's samples, in index order: walking evenly spaced records
    (coarse to fine), first those that show an expression or split not shown yet, then
    evenly spaced others."""
    n = len(ds.records)
    walk = list(
        dict.fromkeys(
            int(i)
            for m in (k, 2 * k, 4 * k, 8 * k)
            for i in np.linspace(0, n - 1, min(n, m)).round()
        )
    )
    picked: list[int] = []
    seen: set[str] = set()
    for i in walk:
        r = ds.records[i]
        new = {f"e:{r.scene.expression.name}", f"s:{r.split}"} - seen
        if new and len(picked) < k:
            picked.append(i)
            seen |= new
    for i in np.linspace(0, n - 1, min(k, n)).round().astype(int).tolist():
        if len(picked) < k and i not in picked:
            picked.append(i)
    return sorted(picked)


def plot_samples(ds: Dataset, path: Path, max_width: int = 2400) -> None:
    """Sample grid from the dataset's files, one captioned row per sample."""
    from PIL import Image, ImageDraw, ImageFont

    from synth.contact_sheet import grid, sample_row
    from synth.exr_io import read_depth

    picked = grid_records(ds)
    cols = 2 if len(picked) > 4 else 1  # as contact_sheet.grid lays them out
    w0 = ds.records[picked[0]].scene.camera.width
    scale = min(1.0, max_width / (cols * 4 * w0))  # grid() shrinks the sheet by this
    font = ImageFont.load_default(size=max(10, round(15 / scale)))
    rows = []
    for i in picked:
        r = ds.records[i]
        rgb = np.asarray(Image.open(ds.root / r.files["rgb"]).convert("RGB"))
        depth = read_depth(ds.root / r.files["depth"])
        mask = np.asarray(Image.open(ds.root / r.files["mask"]))
        row = Image.fromarray(
            sample_row(
                rgb,
                depth,
                mask,
                np.asarray(r.landmarks.points_2d),
                np.asarray(r.landmarks.visible),
            )
        )
        hp = r.scene.head_pose
        text = (
            f"{r.id} {r.split} {r.scene.expression.name} "
            f"yaw {hp.yaw_deg:+.0f} pitch {hp.pitch_deg:+.0f} roll {hp.roll_deg:+.0f}"
        )
        draw = ImageDraw.Draw(row)
        box = draw.textbbox((6, 4), text, font=font)
        draw.rectangle((box[0] - 4, box[1] - 3, box[2] + 4, box[3] + 3), fill=(0, 0, 0))
        draw.text((6, 4), text, fill=(255, 255, 255), font=font)
        rows.append(np.asarray(row))
    sheet = grid(rows, max_width=max_width)
    # Column headers, one strip above the sheet.
    tile = sheet.width / (4 * cols)
    font = ImageFont.load_default(size=16)
    head = 30
    out = Image.new("RGB", (sheet.width, sheet.height + head), (255, 255, 255))
    out.paste(sheet, (0, head))
    draw = ImageDraw.Draw(out)
    names = ("RGB", "depth (near = red)", "mask", "landmarks (green = visible)")
    for c in range(cols):
        for j, name in enumerate(names):
            x = (c * 4 + j + 0.5) * tile
            draw.text((x, head / 2), name, fill=(0, 0, 0), font=font, anchor="mm")
    # An adaptive 256-colour palette keeps the sheet commit-sized (< 500 KB at 2400 px).
    buf = io.BytesIO()
    out.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        buf, format="PNG", optimize=True
    )
    atomic_write_bytes(path, buf.getvalue())


PLOTTERS: dict[str, Callable[[Summary, Path], None]] = {
    "splits.png": plot_splits,
    "expressions.png": plot_expressions,
    "head_pose.png": plot_head_pose,
    "camera.png": plot_camera,
    "lighting.png": plot_lighting,
    "identities.png": plot_identities,
    "skin_tone.png": plot_skin_tone,
    "pixels.png": plot_pixels,
}


def write_figures(ds: Dataset, summary: Summary, folder: Path) -> dict[str, str]:
    """Write every figure into ``folder``; return {file name: title} in card order."""
    folder.mkdir(parents=True, exist_ok=True)
    plot_samples(ds, folder / "samples.png")
    for name, fn in PLOTTERS.items():
        fn(summary, folder / name)
    return dict(FIGURES)
