"""Offline checks of a Hugging Face dataset card (``README.md`` with YAML front matter).

``huggingface_hub.DatasetCard.validate()`` posts the card to the Hub; these checks need no
network. They cover what can be checked locally:

1. the front matter exists, parses as YAML (no duplicate keys) and is a mapping;
2. ``huggingface_hub.DatasetCard`` parses the card and ``DatasetCardData`` round-trips the
   metadata unchanged;
3. required fields are present, and the values with a closed vocabulary are allowed ids;
4. ``configs`` follow the rules of ``datasets`` (``MetadataConfigs``: a ``config_name``
   each, ``data_files`` a string, list of strings, or ``{split, path}`` items, split names
   matching ``^\\w+(\\.\\w+)*$``) and, given the dataset directory, every pattern matches a file;
5. the body has every Datasheets-for-Datasets section and no unrendered template syntax.

Vocabularies (copied, since neither ``huggingface_hub`` nor ``datasets`` ships all of them):
- licences: the Hub's licence table, huggingface/hub-docs ``docs/hub/repositories-licenses.md``;
- task categories and task ids: huggingface/huggingface.js
  ``packages/tasks/src/pipelines.ts`` (``PIPELINE_DATA`` keys and their ``subtasks``);
- size categories and annotation creators: the ``DatasetCardData`` docstring of
  ``huggingface_hub`` 2.4 and ``datasets/utils/resources/{size_categories,creators}.json``
  (the tests compare these two tables with the installed ``datasets`` files).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import yaml

HUB_LICENSES: frozenset[str] = frozenset(
    """
    apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m
    bigscience-bloom-rail-1.0 bigcode-openrail-m afl-3.0 artistic-2.0 bsl-1.0 bsd bsd-2-clause
    bsd-3-clause bsd-3-clause-clear c-uda cc cc0-1.0 cc-by-2.0 cc-by-2.5 cc-by-3.0 cc-by-4.0
    cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0 cc-by-nc-4.0 cc-by-nd-4.0
    cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0 cc-by-nc-sa-4.0
    cdla-sharing-1.0 cdla-permissive-1.0 cdla-permissive-2.0 wtfpl ecl-2.0 epl-1.0 epl-2.0
    etalab-2.0 eupl-1.1 agpl-3.0 gfdl gpl gpl-2.0 gpl-3.0 lgpl lgpl-2.1 lgpl-3.0 isc lppl-1.3c
    ms-pl mpl-2.0 odc-by odbl openrail++ osl-3.0 postgresql ofl-1.1 ncsa unlicense zlib pddl
    lgpl-lr deepfloyd-if-license llama2 gemma unknown other
    """.split()
)

# Task category -> its task ids (subtasks); categories hidden from the Hub's dataset
# filters (hideInDatasets) are left out.
HUB_TASKS: dict[str, tuple[str, ...]] = {
    "text-classification": (
        "acceptability-classification", "entity-linking-classification", "fact-checking",
        "intent-classification", "language-identification", "multi-class-classification",
        "multi-label-classification", "multi-input-text-classification",
        "natural-language-inference", "semantic-similarity-classification",
        "sentiment-classification", "topic-classification", "semantic-similarity-scoring",
        "sentiment-scoring", "sentiment-analysis", "hate-speech-detection", "text-scoring",
    ),
    "token-classification": (
        "named-entity-recognition", "part-of-speech", "parsing", "lemmatization",
        "word-sense-disambiguation", "coreference-resolution",
    ),
    "table-question-answering": (),
    "question-answering": ("extractive-qa", "open-domain-qa", "closed-domain-qa"),
    "zero-shot-classification": (),
    "translation": (),
    "summarization": ("news-articles-summarization", "news-articles-headline-generation"),
    "feature-extraction": (),
    "text-generation": (
        "dialogue-modeling", "dialogue-generation", "conversational", "language-modeling",
    ),
    "text2text-generation": (
        "text-simplification", "explanation-generation", "abstractive-qa",
        "open-domain-abstractive-qa", "closed-domain-qa", "open-book-qa", "closed-book-qa",
    ),
    "fill-mask": ("slot-filling", "masked-language-modeling"),
    "sentence-similarity": (),
    "text-to-speech": (),
    "text-to-audio": (),
    "automatic-speech-recognition": (),
    "audio-to-audio": (),
    "audio-classification": (
        "keyword-spotting", "speaker-identification", "audio-intent-classification",
        "audio-emotion-recognition", "audio-language-identification",
    ),
    "voice-activity-detection": (),
    "depth-estimation": (),
    "image-classification": (
        "multi-label-image-classification", "multi-class-image-classification",
    ),
    "object-detection": ("face-detection", "vehicle-detection"),
    "image-segmentation": (
        "instance-segmentation", "semantic-segmentation", "panoptic-segmentation",
    ),
    "text-to-image": (),
    "image-to-text": ("image-captioning",),
    "image-to-image": ("image-inpainting", "image-colorization", "super-resolution"),
    "image-to-video": (),
    "unconditional-image-generation": (),
    "video-classification": (),
    "reinforcement-learning": (),
    "robotics": ("grasping", "task-planning"),
    "tabular-classification": (
        "tabular-multi-class-classification", "tabular-multi-label-classification",
    ),
    "tabular-regression": ("tabular-single-column-regression",),
    "tabular-to-text": ("rdf-to-text",),
    "table-to-text": (),
    "multiple-choice": ("multiple-choice-qa", "multiple-choice-coreference-resolution"),
    "text-ranking": (),
    "text-retrieval": (
        "document-retrieval", "utterance-retrieval", "entity-linking-retrieval",
        "fact-checking-retrieval",
    ),
    "time-series-forecasting": (
        "univariate-time-series-forecasting", "multivariate-time-series-forecasting",
    ),
    "text-to-video": (),
    "visual-question-answering": ("visual-question-answering",),
    "zero-shot-image-classification": (),
    "graph-ml": (),
    "mask-generation": (),
    "zero-shot-object-detection": (),
    "text-to-3d": (),
    "image-to-3d": (),
    "image-feature-extraction": (),
    "video-text-to-text": (),
}  # fmt: skip

SIZE_CATEGORIES: tuple[str, ...] = (
    "n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M", "10M<n<100M", "100M<n<1B",
    "1B<n<10B", "10B<n<100B", "100B<n<1T", "n>1T",
)  # fmt: skip
ANNOTATION_CREATORS: tuple[str, ...] = (
    "found", "crowdsourced", "expert-generated", "machine-generated", "no-annotation", "other",
)  # fmt: skip
SOURCE_DATASETS: tuple[str, ...] = ("original", "extended")

REQUIRED_FIELDS = ("license", "pretty_name", "task_categories", "size_categories", "tags")
# The seven sections of "Datasheets for Datasets" (Gebru et al., CACM 2021), as headings.
DATASHEET_SECTIONS = (
    "Motivation",
    "Composition",
    "Collection process",
    "Preprocessing, cleaning and labelling",
    "Uses",
    "Distribution",
    "Maintenance",
)
_SPLIT_RE = re.compile(r"^\w+(\.\w+)*$")  # datasets.naming._split_re


class CardValidationError(RuntimeError):
    """A generated card fails the checks: a bug in the card writer (exit status 1)."""


def size_category(n: int) -> str:
    """Hub size category of ``n`` examples ('n<1K', '1K<n<10K', ...)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    bound = 1000
    for cat in SIZE_CATEGORIES[:-1]:
        if n < bound:
            return cat
        bound *= 10
    return SIZE_CATEGORIES[-1]


class _NoDuplicatesLoader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        keys = [self.construct_object(k, deep=deep) for k, _ in node.value]
        dup = [k for k, c in Counter(map(str, keys)).items() if c > 1]
        if dup:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate keys {dup}", None)
        return super().construct_mapping(node, deep=deep)


def split_front_matter(text: str) -> tuple[str, str]:
    """(YAML block, Markdown body); raises CardValidationError without front matter."""
    from huggingface_hub.repocard import REGEX_YAML_BLOCK

    m = REGEX_YAML_BLOCK.search(text)
    if not m or m.start() != 0:
        raise CardValidationError("the card does not start with a '---' YAML front matter block")
    return m.group(2), text[m.end() :]


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _check_vocab(meta: dict, errors: list[str]) -> None:
    for lic in _as_list(meta.get("license")):
        if lic not in HUB_LICENSES:
            errors.append(f"license {lic!r} is not a Hub licence id")
    if "other" in _as_list(meta.get("license")) and not meta.get("license_name"):
        errors.append("license 'other' needs license_name")
    cats = _as_list(meta.get("task_categories", []))
    for c in cats:
        if c not in HUB_TASKS:
            errors.append(f"task category {c!r} is not a Hub dataset task")
    allowed_ids = {t for c in cats for t in HUB_TASKS.get(c, ())}
    for t in _as_list(meta.get("task_ids", [])):
        if t not in allowed_ids:
            errors.append(f"task id {t!r} is not a subtask of {cats}")
    for s in _as_list(meta.get("size_categories")):
        if s not in SIZE_CATEGORIES:
            errors.append(f"size category {s!r} is not one of {list(SIZE_CATEGORIES)}")
    for a in _as_list(meta.get("annotations_creators", [])):
        if a not in ANNOTATION_CREATORS:
            errors.append(f"annotations_creators {a!r} is not one of {list(ANNOTATION_CREATORS)}")
    for a in _as_list(meta.get("source_datasets", [])):
        if a not in SOURCE_DATASETS and not str(a).startswith("extended|"):
            errors.append(f"source_datasets {a!r} is not one of {list(SOURCE_DATASETS)}")
    tags = meta.get("tags")
    if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
        errors.append("tags must be a list of non-empty strings")
    if not isinstance(meta.get("pretty_name"), str) or not meta["pretty_name"].strip():
        errors.append("pretty_name must be a non-empty string")


def _data_file_patterns(cfg: dict, errors: list[str]) -> list[str]:
    files = cfg.get("data_files")
    if files is None:
        return []
    if isinstance(files, str):
        return [files]
    if not isinstance(files, list):
        errors.append(f"config {cfg.get('config_name')!r}: data_files must be a str or list")
        return []
    out = []
    for item in files:
        if isinstance(item, str):
            out.append(item)
        elif (
            isinstance(item, dict)
            and set(item) == {"split", "path"}
            and isinstance(item["split"], str)
            and _SPLIT_RE.match(item["split"])
            and isinstance(item["path"], str | list)
        ):
            out.extend(_as_list(item["path"]))
        else:
            errors.append(f"config {cfg.get('config_name')!r}: bad data_files item {item!r}")
    return out


def _check_configs(meta: dict, dataset_dir: Path | None, errors: list[str]) -> None:
    configs = meta.get("configs")
    if configs is None:
        return
    if not isinstance(configs, list):
        errors.append("configs must be a list")
        return
    names = []
    for cfg in configs:
        if not isinstance(cfg, dict) or "config_name" not in cfg:
            errors.append(f"every config needs a config_name, got {cfg!r}")
            continue
        names.append(cfg["config_name"])
        for pattern in _data_file_patterns(cfg, errors):
            if dataset_dir is not None and not any(Path(dataset_dir).glob(pattern)):
                errors.append(f"data_files pattern {pattern!r} matches no file in {dataset_dir}")
    if len(set(names)) != len(names):
        errors.append(f"config names repeat: {names}")
    defaults = [c for c in configs if isinstance(c, dict) and c.get("default")]
    if len(configs) > 1 and len(defaults) > 1:
        errors.append("more than one default config")


def validate_card(text: str, dataset_dir: str | Path | None = None) -> dict:
    """Check a dataset card offline (see the module docstring); return its metadata.

    ``dataset_dir``: the dataset root the card describes; ``data_files`` patterns are
    resolved against it. Raises CardValidationError listing every problem found.
    """
    from huggingface_hub import DatasetCard, DatasetCardData

    block, body = split_front_matter(text)
    try:
        meta = yaml.load(block, Loader=_NoDuplicatesLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        raise CardValidationError(f"front matter is not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise CardValidationError("front matter must be a YAML mapping")
    try:
        card = DatasetCard(text)
    except ValueError as exc:
        raise CardValidationError(f"huggingface_hub rejects the card: {exc}") from None
    errors: list[str] = []
    if card.data.to_dict() != meta:
        errors.append("huggingface_hub's DatasetCard does not round-trip the metadata")
    if DatasetCardData(**meta).to_dict() != meta:
        errors.append("DatasetCardData does not round-trip the metadata")
    errors += [f"missing required field {k!r}" for k in REQUIRED_FIELDS if k not in meta]
    _check_vocab(meta, errors)
    _check_configs(meta, Path(dataset_dir) if dataset_dir is not None else None, errors)
    headings = {m.group(1).strip() for m in re.finditer(r"^#{1,3} (.+)$", body, re.M)}
    errors += [f"missing section {s!r}" for s in DATASHEET_SECTIONS if s not in headings]
    if re.search(r"\{\{|\{%|%\}|\}\}", body):
        errors.append("the body holds unrendered template syntax")
    if errors:
        raise CardValidationError("; ".join(errors))
    return meta
