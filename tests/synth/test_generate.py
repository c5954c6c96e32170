"""End-to-end generation with the real fast renderer: labels, determinism, resume, errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from synth.exr_io import read_depth
from synth.generate import GenerateError, generate
from synth.spec import FACE_REGION_CLASSES

SYNTH = [sys.executable, "-m", "synth.cli"]


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_labels_are_exact_and_consistent(tmp_path, asset_path):
    from synth.config import load_config

    cfg = load_config(
        None, {"width": 320, "height": 240, "identity.count": 3, "output.save_mesh": True}
    )
    out = tmp_path / "ds"
    generate(cfg, out, 6, seed=5, asset_path=asset_path)
    lines = (out / "samples.jsonl").read_text().splitlines()
    assert [json.loads(x)["index"] for x in lines] == list(range(6))
    for line in lines:
        rec = json.loads(line)
        depth = read_depth(out / rec["files"]["depth"])
        mask = np.asarray(Image.open(out / rec["files"]["mask"]))
        rgb = np.asarray(Image.open(out / rec["files"]["rgb"]))
        assert depth.shape == mask.shape == rgb.shape[:2] == (240, 320)
        assert depth.dtype == np.float32 and (depth >= 0).all()
        assert ((depth > 0) == (mask > 0)).all()
        K = np.array(rec["scene"]["camera"]["K"])
        # depth agrees with an independent ray cast of the saved mesh on face pixels
        mesh = trimesh.load(out / rec["files"]["mesh"], process=False)
        v, u = np.nonzero(np.isin(mask, FACE_REGION_CLASSES))
        pick = np.random.default_rng(0).choice(len(u), min(400, len(u)), replace=False)
        u, v = u[pick], v[pick]
        dirs = np.stack([(u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1], np.ones(len(u))], axis=1)
        loc, ray, _ = mesh.ray.intersects_location(np.zeros_like(dirs), dirs, multiple_hits=False)
        z = np.zeros(len(u))
        z[ray] = loc[:, 2]
        err = np.abs(z - depth[v, u])
        assert np.median(err) < 1e-4  # < 0.1 mm
        # landmarks_3d project to landmarks_2d with K exactly
        lm = rec["landmarks"]
        p3, p2 = np.array(lm["points_3d"]), np.array(lm["points_2d"])
        proj = p3 @ K.T
        np.testing.assert_allclose(proj[:, :2] / proj[:, 2:], p2, atol=1e-3)
        vis = np.array(lm["visible"])
        assert vis.sum() >= 20
        px = np.round(p2[vis]).astype(int)
        dz = np.abs(depth[px[:, 1], px[:, 0]] - p3[vis, 2])
        assert np.median(dz) < 0.002 and dz.max() <= 0.002
        # head pose matrix is a rotation
        R = np.array(rec["head_pose_matrix"])
        np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-6)


def test_same_seed_same_files(tmp_path, asset_path, small_config):
    a, b = tmp_path / "a", tmp_path / "b"
    generate(small_config, a, 5, seed=1, asset_path=asset_path)
    generate(small_config, b, 5, seed=1, asset_path=asset_path, workers=2, chunk_size=2)
    ta, tb = _tree(a), _tree(b)
    assert ta.keys() == tb.keys()
    assert all(ta[k] == tb[k] for k in ta), [k for k in ta if ta[k] != tb[k]]
    c = tmp_path / "c"
    generate(small_config, c, 5, seed=2, asset_path=asset_path)
    assert _tree(c)["samples.jsonl"] != ta["samples.jsonl"]


def test_single_sample_regenerates_alone(tmp_path, asset_path, small_config):
    full, one = tmp_path / "full", tmp_path / "one"
    generate(small_config, full, 4, seed=3, asset_path=asset_path)
    generate(small_config, one, 4, seed=3, asset_path=asset_path, indices=[2])
    for sub in ("rgb/000002.jpg", "depth/000002.exr", "mask/000002.png"):
        assert (one / sub).read_bytes() == (full / sub).read_bytes()
    line_full = (full / "samples.jsonl").read_text().splitlines()[2]
    assert (one / "samples.jsonl").read_text() == line_full + "\n"


def test_resume_after_kill_matches_uninterrupted(tmp_path, asset_path):
    env = {**os.environ, "PYOPENGL_PLATFORM": "osmesa"}
    args = [
        "generate",
        "--n",
        "24",
        "--fast",
        "--resolution",
        "96x72",
        "--identities",
        "4",
        "--asset",
        str(asset_path),
    ]
    killed = tmp_path / "killed"
    proc = subprocess.Popen([*SYNTH, *args, "--out", str(killed)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.time() + 120
    samples = killed / "samples.jsonl"
    while time.time() < deadline:
        if samples.exists() and len(samples.read_text().splitlines()) >= 3:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert len(samples.read_text().splitlines()) < 24
    # What a kill during a write leaves: a temporary file; the resumed run removes it.
    (killed / "rgb" / ".000023.jpg.dead.tmp").write_bytes(b"")
    subprocess.run([*SYNTH, *args, "--out", str(killed)], env=env, check=True, capture_output=True)
    clean = tmp_path / "clean"
    subprocess.run([*SYNTH, *args, "--out", str(clean)], env=env, check=True, capture_output=True)
    assert _tree(killed) == _tree(clean)


def test_refuses_other_config_and_bad_dirs(tmp_path, asset_path, small_config):
    from synth.config import load_config

    out = tmp_path / "ds"
    generate(small_config, out, 2, seed=0, asset_path=asset_path)
    other = load_config(None, {"width": 96, "height": 72, "identity.count": 5})
    with pytest.raises(GenerateError, match="different config"):
        generate(other, out, 2, seed=0, asset_path=asset_path)
    with pytest.raises(GenerateError, match="different config"):
        generate(small_config, out, 2, seed=9, asset_path=asset_path)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(GenerateError, match="not a directory|not writable"):
        generate(small_config, blocker / "sub", 2, asset_path=asset_path)
    with pytest.raises(GenerateError, match="not empty"):
        generate(small_config, tmp_path, 2, asset_path=asset_path)


def test_skin_maps_enter_the_fingerprint(tmp_path, asset_path, small_config):
    """A resume draws from the same maps: changing a map's bytes refuses the directory."""
    maps = tmp_path / "maps"
    maps.mkdir()
    for k in range(2):
        Image.new("RGB", (8, 8), (150 + k, 120, 100)).save(maps / f"skin_{k}.png")
    cfg = small_config.model_copy(
        update={"identity": small_config.identity.model_copy(update={"skin_map_dir": str(maps)})}
    )
    out = tmp_path / "ds"
    generate(cfg, out, 2, seed=0, asset_path=asset_path)
    meta = json.loads((out / "dataset.json").read_text())
    assert sorted(meta["inputs"]["skin_maps"]) == ["skin_0.png", "skin_1.png"]
    records = [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()]
    assert all(r["scene"]["identity"]["skin_map"] in ("skin_0.png", "skin_1.png") for r in records)
    generate(cfg, out, 2, seed=0, asset_path=asset_path)  # same maps: resumes
    Image.new("RGB", (8, 8), (10, 10, 10)).save(maps / "skin_1.png")
    with pytest.raises(GenerateError, match="different config"):
        generate(cfg, out, 2, seed=0, asset_path=asset_path)


def _cli(*args, env=None):
    return subprocess.run([*SYNTH, *args], capture_output=True, text=True, env=env)


GEN = ["generate", "--n", "2", "--fast", "--out", "{tmp}/x"]  # a valid generate command


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["generate", "--n", "0", "--fast", "--out", "{tmp}/x"], "--n"),
        ([*GEN, "--resolution", "big"], "resolution"),
        ([*GEN, "--set", "camera.sensor_mm=[60, 36]"], "sensor_mm"),
        ([*GEN, "--config", "{tmp}/none.yaml"], "not found"),
        ([*GEN, "--shard", "5/2"], "shard"),
        ([*GEN, "--executor", "slurm"], "executor"),
        ([*GEN, "--asset", "{tmp}/none.npz"], "asset"),
        (["assets", "build", "--source", "blender"], "unknown asset source"),
        (["assets", "build", "--source", "flame"], "--model"),
        (["preview", "--fast", "--n", "0"], "--n"),
        ([*GEN, "--set", "identity.local_mean={{eye-pushh2-out: 0.5}}"], "eye-pushh2-out"),
        ([*GEN, "--set", "identity.local_mean={{eye-push2-out: 1.5}}"], "outside [-1, 1]"),
        (
            [
                "preview",
                "--fast",
                "--n",
                "1",
                "--out",
                "{tmp}/x.png",
                "--set",
                "identity.local_mean={{nose: 0.1}}",
            ],
            "'nose'",
        ),  # fmt: skip
    ],
)
def test_cli_bad_input_exit_2(tmp_path, args, fragment):
    res = _cli(*[a.format(tmp=tmp_path) for a in args])
    assert res.returncode == 2, res.stderr
    assert fragment in res.stderr
    assert "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) <= 3  # one line (rich may wrap)
    assert not (tmp_path / "x" / "samples.jsonl").exists()
    assert not (tmp_path / "x" / "dataset.json").exists() and not (tmp_path / "x.png").exists()


def test_preview_writes_contact_sheet(tmp_path, asset_path):
    out = tmp_path / "sheet.png"
    res = _cli(
        "preview",
        "--fast",
        "--n",
        "3",
        "--resolution",
        "96x72",
        "--out",
        str(out),
        "--asset",
        str(asset_path),
    )
    assert res.returncode == 0, res.stderr
    im = Image.open(out)
    assert im.size == (4 * 96, 3 * 72)
