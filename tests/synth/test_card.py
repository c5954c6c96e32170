"""Data cards: front matter and offline validation, numbers against samples.jsonl, figures,
licence flags, and the CLI's exit status for bad dataset directories."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml
from PIL import Image
from typer.testing import CliRunner

from synth.card import CardError, write_card
from synth.card_validate import (
    ANNOTATION_CREATORS,
    SIZE_CATEGORIES,
    CardValidationError,
    size_category,
    split_front_matter,
    validate_card,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
N = 12


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, asset_path) -> Path:
    """12 samples, 64x48, 4 identities, fast renderer; carded once in place."""
    from synth.config import load_config
    from synth.generate import generate

    cfg = load_config(None, {"width": 64, "height": 48, "identity.count": 4})
    out = tmp_path_factory.mktemp("card") / "ds"
    generate(cfg, out, N, seed=0, renderer="fast", asset_path=asset_path)
    write_card(out)
    return out


def _records(root: Path) -> list[dict]:
    return [json.loads(x) for x in (root / "samples.jsonl").read_text().splitlines()]


def _copy(dataset: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy"
    shutil.copytree(dataset, dst, ignore=shutil.ignore_patterns("README.md", "card"))
    return dst


def test_front_matter_parses_and_validates(dataset):
    from huggingface_hub import DatasetCard, DatasetCardData

    text = (dataset / "README.md").read_text()
    block, body = split_front_matter(text)
    meta = yaml.safe_load(block)
    assert meta["license"] == "cc0-1.0"
    assert meta["size_categories"] == ["n<1K"]
    assert {"depth-estimation", "image-segmentation"} <= set(meta["task_categories"])
    assert {"synthetic", "faces", "depth", "monocular-depth-estimation"} <= set(meta["tags"])
    assert DatasetCardData(**meta).to_dict() == meta
    assert DatasetCard(text).data.pretty_name == meta["pretty_name"]
    # data_files patterns match the layout
    for cfg in meta["configs"]:
        for item in cfg["data_files"]:
            assert list(dataset.glob(item["path"])), item
    assert validate_card(text, dataset) == meta
    assert "{{" not in body and "{%" not in body


def test_numbers_match_samples_jsonl(dataset):
    recs = _records(dataset)
    text = (dataset / "README.md").read_text()
    stats = json.loads((dataset / "card" / "stats.json").read_text())
    assert stats["samples"] == len(recs) == N
    for split in ("train", "val", "test"):
        mine = [r for r in recs if r["split"] == split]
        n_ids = len({r["identity_id"] for r in mine})
        assert stats["splits"][split] == {"samples": len(mine), "identities": n_ids}
        assert f"| {split} | {len(mine)} | {n_ids} |" in text
    expr = Counter(r["scene"]["expression"]["name"] for r in recs)
    by_split = Counter((r["scene"]["expression"]["name"], r["split"]) for r in recs)
    for name, row in stats["expressions"].items():
        assert row["total"] == expr[name]
        cells = " | ".join(str(by_split[name, s]) for s in ("train", "val", "test"))
        assert f"| {name} | {cells} | {expr[name]} |" in text
    assert sum(r["total"] for r in stats["expressions"].values()) == N
    yaw = [r["scene"]["head_pose"]["yaw_deg"] for r in recs]
    assert stats["head_pose"]["yaw_deg"]["min"] == pytest.approx(min(yaw))
    assert stats["head_pose"]["yaw_deg"]["max"] == pytest.approx(max(yaw))
    bg = Counter(r["scene"]["background"]["kind"] for r in recs)
    assert {k: v["total"] for k, v in stats["backgrounds"].items() if v["total"]} == dict(bg)
    meta = json.loads((dataset / "dataset.json").read_text())
    assert meta["command"] in text
    assert meta["units"]["depth"] in text
    assert "64x48 px" in text


def test_figures_are_linked_valid_pngs(dataset):
    text = (dataset / "README.md").read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", text)
    assert "card/samples.png" in links and "card/head_pose.png" in links
    assert len(links) == len(set(links)) >= 8
    for rel in links:
        p = dataset / rel
        assert p.read_bytes()[:8] == PNG_MAGIC
        assert p.stat().st_size < 500_000
        with Image.open(p) as im:
            im.verify()


def test_out_elsewhere_puts_figures_beside_it(dataset, tmp_path):
    out = tmp_path / "cards" / "ref.md"
    assert write_card(dataset, out) == out
    text = out.read_text()
    assert (tmp_path / "cards" / "card" / "samples.png").is_file()
    assert "outside the dataset directory" in text
    validate_card(text, dataset)


def test_user_supplied_asset_is_flagged(dataset, tmp_path):
    root = _copy(dataset, tmp_path)
    meta = json.loads((root / "dataset.json").read_text())
    meta["asset"].update(source="fbx", source_detail="my_head.glb", licences=None)
    (root / "dataset.json").write_text(json.dumps(meta))
    text = write_card(root).read_text()
    assert yaml.safe_load(split_front_matter(text)[0])["license"] == "unknown"
    assert "user-supplied, licence unknown" in text and "'fbx'" in text


def test_user_skin_maps_are_flagged(dataset, tmp_path):
    root = _copy(dataset, tmp_path)
    meta = json.loads((root / "dataset.json").read_text())
    meta["config"]["identity"]["skin_map_dir"] = "/gone/skins"  # need not exist here
    (root / "dataset.json").write_text(json.dumps(meta))
    text = write_card(root).read_text()
    assert "skin maps" not in text  # the fast path ignores them
    meta["renderer"]["name"] = "cycles"
    (root / "dataset.json").write_text(json.dumps(meta))
    text = write_card(root).read_text()
    assert yaml.safe_load(split_front_matter(text)[0])["license"] == "unknown"
    assert "skin maps from '/gone/skins': user-supplied, licence unknown" in text


def test_partial_dataset_is_marked(dataset, tmp_path):
    root = _copy(dataset, tmp_path)
    lines = (root / "samples.jsonl").read_text().splitlines(keepends=True)
    (root / "samples.jsonl").write_text("".join(lines[:5]))
    text = write_card(root).read_text()
    assert "Partial dataset" in text and f"5 of the {N}" in text


def _card_text(dataset: Path) -> str:
    return (dataset / "README.md").read_text()


@pytest.mark.parametrize(
    "old, new, fragment",
    [
        ("license: cc0-1.0", "license: cc0", "license"),
        ("- depth-estimation", "- depth-prediction", "task category"),
        ("- n<1K", "- tiny", "size category"),
        ("- semantic-segmentation", "- face-parsing", "task id"),
        ("- machine-generated", "- robots", "annotations_creators"),
        ("path: samples.jsonl", "path: data/*.parquet", "matches no file"),
        ("split: full", "split: my-split", "data_files"),
        ("pretty_name:", "pretty_name: x\npretty_name:", "duplicate"),
        ("## Uses", "## Usage", "Uses"),
        ("## Motivation", "## Motivation {{ x }}", "template"),
    ],
)
def test_validation_rejects_bad_cards(dataset, old, new, fragment):
    text = _card_text(dataset)
    assert old in text
    with pytest.raises(CardValidationError, match=re.escape(fragment)):
        validate_card(text.replace(old, new, 1), dataset)


def test_validation_needs_front_matter(dataset):
    body = split_front_matter(_card_text(dataset))[1]
    with pytest.raises(CardValidationError, match="front matter"):
        validate_card(body)
    with pytest.raises(CardValidationError, match="license"):
        validate_card("---\npretty_name: x\n---\n" + body)


def test_size_category_bounds():
    assert size_category(0) == size_category(999) == "n<1K"
    assert size_category(1000) == size_category(9999) == "1K<n<10K"
    assert size_category(10**5) == "100K<n<1M"
    assert size_category(10**13) == "n>1T"


def test_vocabularies_match_installed_datasets():
    import importlib.util

    spec = importlib.util.find_spec("datasets")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("datasets is not installed")
    res = Path(next(iter(spec.submodule_search_locations))) / "utils" / "resources"
    sizes = json.loads((res / "size_categories.json").read_text())
    assert [s for s in sizes if s != "unknown"] == list(SIZE_CATEGORIES)
    creators = json.loads((res / "creators.json").read_text())
    assert creators["annotations"] == list(ANNOTATION_CREATORS)


# ---------------------------------------------------------------- CLI
def _bad_dirs(root: Path, dataset: Path) -> dict[str, Path]:
    no_meta = root / "no_meta"
    no_meta.mkdir()
    empty = _copy(dataset, root / "e")
    (empty / "samples.jsonl").write_text("")
    corrupt_meta = _copy(dataset, root / "m")
    (corrupt_meta / "dataset.json").write_text("{ not json")
    corrupt_line = _copy(dataset, root / "l")
    with open(corrupt_line / "samples.jsonl", "a") as fh:
        fh.write('{"id": "000099", "split": \n')
    missing_file = _copy(dataset, root / "f")
    next((missing_file / "depth").glob("*.exr")).unlink()
    return {
        "not found": root / "absent",
        "no dataset.json": no_meta,
        "is empty": empty,
        "not valid JSON": corrupt_meta,
        "not a valid sample record": corrupt_line,
        "is missing": missing_file,
    }


def test_cli_bad_dirs_exit_2(dataset, tmp_path):
    from synth.cli import app

    runner = CliRunner()
    for fragment, path in _bad_dirs(tmp_path, dataset).items():
        res = runner.invoke(app, ["card", str(path)])
        assert res.exit_code == 2, (fragment, res.output)
        assert fragment in res.output
        assert "Traceback" not in res.output
        with pytest.raises(CardError, match=re.escape(fragment)):
            write_card(path)
    res = runner.invoke(app, ["card", str(dataset), "--out", str(tmp_path / "card.txt")])
    assert res.exit_code == 2 and ".md" in res.output


def test_cli_writes_card_and_fails_1_on_invalid(dataset, tmp_path, monkeypatch):
    from synth.cli import app

    out = tmp_path / "c" / "README.md"
    res = CliRunner().invoke(app, ["card", str(dataset), "--out", str(out)])
    assert res.exit_code == 0, res.output
    validate_card(out.read_text(), dataset)

    def broken(text, root=None):
        raise CardValidationError("license 'x' is not a Hub licence id")

    monkeypatch.setattr("synth.card.validate_card", broken)
    out2 = tmp_path / "d" / "README.md"
    res = CliRunner().invoke(app, ["card", str(dataset), "--out", str(out2)])
    assert res.exit_code == 1 and "internal error" in res.output
    assert not out2.exists()  # a card that fails the checks never lands on disk


def test_datasets_loads_the_card_config(dataset, tmp_path):
    """The front matter's configs load with the `datasets` library, offline."""
    datasets = pytest.importorskip("datasets")
    ds = datasets.load_dataset(str(dataset), cache_dir=str(tmp_path / "hf"))
    assert list(ds) == ["full"] and ds["full"].num_rows == N
    assert Counter(ds["full"]["split"]) == Counter(r["split"] for r in _records(dataset))
