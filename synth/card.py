"""``write_card``: a generated dataset directory -> its data card (README.md) and figures.

The card is a Hugging Face dataset card: YAML front matter (licence, tasks, size category,
tags, configs) followed by the sections of "Datasheets for Datasets" (Gebru et al., CACM
2021), rendered from the Jinja2 template ``data_cards/template.md``. Every number comes from
``synth.card_stats`` (computed from ``dataset.json``, ``samples.jsonl`` and the files);
the figures come from ``synth.card_plots``. The card is validated offline
(``synth.card_validate``) before it replaces any earlier card, so a card that fails the
checks never lands on disk.

Licence rule: images and labels rendered from the CC0 MakeHuman assets (the default
``makehuman`` asset source) with procedural backgrounds are marked ``cc0-1.0``; a dataset
made with any other asset source, or with background images from ``background.image_dir``,
is marked ``unknown`` and the card flags those inputs as user-supplied.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from synth.card_stats import SPLITS, CardError, Dataset, Summary, load_dataset, summarize
from synth.card_validate import CardValidationError, size_category, validate_card
from synth.spec import SAMPLES_FILE

__all__ = ["CardError", "CardValidationError", "write_card", "card_metadata", "TEMPLATE"]

TEMPLATE = Path(__file__).resolve().parents[1] / "data_cards" / "template.md"
CARD_FILE = "README.md"
FIGURE_DIR = "card"
STATS_FILE = "stats.json"
CC0_SOURCES = ("makehuman",)
TAGS = (
    "synthetic",
    "faces",
    "human-faces",
    "depth",
    "monocular-depth-estimation",
    "metric-depth",
    "face-parsing",
    "facial-landmarks",
    "head-pose",
    "3d",
)


def licence_terms(ds: Dataset, summary: Summary) -> tuple[str, list[str]]:
    """(Hub licence id of the images and labels, user-supplied inputs to flag)."""
    flags = []
    source = ds.meta["asset"].get("source")
    if source not in CC0_SOURCES:
        flags.append(
            f"head asset from source {source!r} "
            f"({ds.meta['asset'].get('source_detail') or 'no details recorded'}): "
            "user-supplied, licence unknown"
        )
    n_images = summary.stats["backgrounds"].get("image", {}).get("total", 0)
    if ds.config.background.image_dir or n_images:
        flags.append(
            f"background images from {ds.config.background.image_dir!r} "
            f"(used in {n_images} samples): user-supplied, licence unknown"
        )
    maps = ds.config.identity.skin_map_dir
    if maps and ds.meta["renderer"]["name"] == "cycles":
        flags.append(f"skin maps from {maps!r}: user-supplied, licence unknown")
    return ("unknown" if flags else "cc0-1.0"), flags


def card_metadata(ds: Dataset, summary: Summary, pretty_name: str) -> dict:
    """The YAML front matter (Hub dataset-card metadata) of a dataset."""
    licence, _ = licence_terms(ds, summary)
    return {
        "license": licence,
        "pretty_name": pretty_name,
        "task_categories": ["depth-estimation", "image-segmentation"],
        "task_ids": ["semantic-segmentation"],
        "size_categories": [size_category(summary.stats["samples"])],
        "annotations_creators": ["machine-generated"],
        "source_datasets": ["original"],
        "tags": list(TAGS),
        # The split is a field of every record (disjoint by identity), not a path, so the
        # Hub config reads all records as one split; see the card's Distribution section.
        "configs": [
            {
                "config_name": "default",
                "data_files": [{"split": "full", "path": SAMPLES_FILE}],
            }
        ],
    }


def _fmt(x, digits: int = 2) -> str:
    """A number for a Markdown table: ints with thousands separators, floats rounded."""
    if x is None:
        return "n/a"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return f"{x:,}"
    return f"{x:,.{digits}f}"


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


def _pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f} %"


def render_card(ds: Dataset, summary: Summary, figures: dict[str, str], **context) -> str:
    """Fill the template; ``figures`` maps a figure file name to its path from the card."""
    import importlib.metadata

    import jinja2

    template = Path(context.pop("template", None) or TEMPLATE)
    if not template.is_file():
        raise FileNotFoundError(f"data card template not found: {template}")
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # Markdown, not HTML
    )
    env.filters.update(num=_fmt, mb=_mb, pct=_pct)
    licence, flags = licence_terms(ds, summary)
    try:
        code_licence = importlib.metadata.metadata("facedepth").get("License") or "see the project"
    except importlib.metadata.PackageNotFoundError:
        code_licence = "see the project"
    meta = context["metadata"]
    return env.from_string(template.read_text(encoding="utf-8")).render(
        front_matter=yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000),
        m=meta,
        s=summary.stats,
        d=ds.meta,
        cfg=ds.config.model_dump(mode="json"),
        splits=SPLITS,
        licence=licence,
        flags=flags,
        code_licence=code_licence,
        fig=figures,
        **context,
    )


def write_card(
    dataset_dir: str | Path,
    out: str | Path | None = None,
    *,
    pretty_name: str | None = None,
    template: str | Path | None = None,
) -> Path:
    """Write the data card of ``dataset_dir`` and return its path.

    out: the card file (default ``dataset_dir/README.md``). Figures and ``stats.json`` (every
    computed number) go to ``card/`` next to it. Raises CardError for a directory that is
    not a readable dataset (missing, no dataset.json, empty or corrupt samples.jsonl,
    missing files) and CardValidationError if the rendered card fails the offline checks.
    """
    from synth.card_plots import write_figures
    from synth.writer import atomic_write_text

    ds = load_dataset(dataset_dir)
    out = Path(out) if out is not None else ds.root / CARD_FILE
    if out.suffix.lower() != ".md":
        raise CardError(f"--out must be a Markdown file (.md), got {out}")
    if out.exists() and out.is_dir():
        raise CardError(f"--out is a directory: {out}")
    summary = summarize(ds)
    renderer = ds.meta["renderer"]["name"]
    name = pretty_name or (
        f"facedepth synthetic faces ({renderer} renderer, {summary.stats['samples']:,} samples)"
    )
    meta = card_metadata(ds, summary, name)
    fig_dir = out.parent / FIGURE_DIR
    try:
        titles = write_figures(ds, summary, fig_dir)
    except OSError as exc:
        raise CardError(f"cannot write figures to {fig_dir}: {exc.strerror}") from None
    figures = {f: {"path": f"{FIGURE_DIR}/{f}", "title": t} for f, t in titles.items()}
    text = render_card(
        ds,
        summary,
        figures,
        metadata=meta,
        template=template,
        card_in_dataset=out.resolve().parent == ds.root.resolve(),
    )
    validate_card(text, ds.root)
    try:
        atomic_write_text(fig_dir / STATS_FILE, json.dumps(summary.stats, indent=1) + "\n")
        atomic_write_text(out, text)
    except OSError as exc:
        raise CardError(f"cannot write {out}: {exc.strerror}") from None
    return out
