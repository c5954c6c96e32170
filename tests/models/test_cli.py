"""``models`` CLI end to end on the fixture dataset, and its bad-input exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from models.cli import app
from synth.exr_io import read_depth

from .conftest import write_fixture_dataset

runner = CliRunner()
TRAIN = [
    "train",
    "--arch",
    "efficientnet-b0",
    "--batch-size",
    "4",
    "--workers",
    "0",
    "--quiet",
    "--device",
    "cpu",
]

# A valid train command line for the bad-input cases ({ds}, {tmp}: substituted there).
TRAIN_UNET = ["train", "--data", "{ds}", "--arch", "unet-simple", "--out", "{tmp}/r"]


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def trained_run(tiny_dataset, tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "b0"
    res = invoke(*TRAIN, "--data", tiny_dataset, "--out", run, "--epochs", "1")
    assert res.exit_code == 0, res.output
    return run


def test_train_writes_a_complete_run(trained_run):
    cfg = json.loads((trained_run / "config.json").read_text())
    assert cfg["train"]["width"] == 64 and cfg["train"]["height"] == 48  # resolved
    assert cfg["train"]["loss"] == {
        "l1": 0.1,
        "ssim": 1.0,
        "grad": 1.0,
        "normal": 1.0,
        "ssim_window": 11,
    }
    assert cfg["arch"]["parameters"] > 1_000_000
    for name in ("model.safetensors", "state.safetensors", "metrics/epoch_001.json"):
        assert (trained_run / name).is_file(), name
    assert any((trained_run / "tb").iterdir())
    rec = json.loads((trained_run / "metrics" / "epoch_001.json").read_text())
    assert rec["epoch"] == 1 and rec["step"] == 2  # 8 train samples, batch 4
    for region in ("whole", "face"):
        pooled = rec["val"][region]["pooled"]
        assert pooled["pixels"] > 0 and np.isfinite(pooled["abs_rel"])


def test_resume_continues_after_last_epoch(tiny_dataset, tmp_path):
    import shutil

    from models.checkpoint import state_epoch

    run = tmp_path / "run"
    args = [*TRAIN, "--data", tiny_dataset, "--out", run, "--resolution", "32x32", "--limit", "4"]
    assert invoke(*args, "--epochs", "1").exit_code == 0
    first = (run / "model.safetensors").read_bytes()
    res = invoke(*args, "--epochs", "2")
    assert res.exit_code == 0, res.output
    assert state_epoch(run) == 2
    rec = json.loads((run / "metrics" / "epoch_002.json").read_text())
    assert rec["step"] == 2  # one step per epoch with 4 samples, batch 4: continued, not restarted
    assert (run / "model.safetensors").read_bytes() != first
    # A fresh 2-epoch run from scratch lands on the same weights: resuming is exact.
    fresh = tmp_path / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    assert invoke(*[a if a != run else fresh for a in args], "--epochs", "2").exit_code == 0
    from safetensors.torch import load_file

    a, b = load_file(run / "model.safetensors"), load_file(fresh / "model.safetensors")
    assert all(np.allclose(a[k].numpy(), b[k].numpy(), atol=1e-6) for k in a)
    # Changing what defines the run is refused.
    res = invoke(*args, "--epochs", "3", "--lr", "0.01")
    assert res.exit_code == 2 and "lr" in res.stderr


def test_eval_writes_json_and_prints_paper_columns(tiny_dataset, trained_run, tmp_path):
    out = tmp_path / "eval.json"
    res = invoke(
        "eval",
        "--data",
        tiny_dataset,
        "--checkpoint",
        trained_run,
        "--out",
        out,
        "--workers",
        "0",
        "--quiet",
    )
    assert res.exit_code == 0, res.output
    header = next(ln for ln in res.stdout.splitlines() if ln.startswith("| model"))
    cols = [c.strip() for c in header.split("|")[3:-1]]
    assert cols == ["AbsRel", "SqRel", "RMSE", "RMSElog", "δ<1.25", "δ<1.25²", "δ<1.25³"]
    assert (
        "| efficientnet-b0 | whole |" in res.stdout and "| efficientnet-b0 | face |" in res.stdout
    )
    result = json.loads(out.read_text())
    assert result["split"] == "test" and result["images"] == 2
    assert result["ground_truth_resolution"] == "64x48"
    for region in ("whole", "face"):
        assert set(result[region]) == {"pooled", "per_image"}
        assert result[region]["per_image"]["images"] == 2
    assert result["face"]["pooled"]["pixels"] < result["whole"]["pooled"]["pixels"]


def test_predict_writes_depth_at_input_resolution(tiny_dataset, trained_run, tmp_path):
    odd = tmp_path / "in" / "portrait.png"
    odd.parent.mkdir()
    Image.open(tiny_dataset / "rgb" / "000000.jpg").resize((80, 60)).save(odd)
    out = tmp_path / "pred"
    res = invoke(
        "predict",
        odd,
        tiny_dataset / "rgb" / "000003.jpg",
        "--checkpoint",
        trained_run,
        "--out",
        out,
    )
    assert res.exit_code == 0, res.output
    depth = read_depth(out / "portrait.exr")
    assert depth.shape == (60, 80) and depth.dtype == np.float32
    assert (depth >= 0.05).all() and (depth <= 5.0).all()
    assert read_depth(out / "000003.exr").shape == (48, 64)
    assert np.asarray(Image.open(out / "portrait_depth.png")).shape == (60, 80, 3)
    fig = Image.open(out / "portrait_figure.png")
    assert fig.size[0] > fig.size[1]  # side by side
    folder = tmp_path / "folder"
    folder.mkdir()
    for name in ("000004.jpg", "000005.jpg"):
        (folder / name).write_bytes((tiny_dataset / "rgb" / name).read_bytes())
    (folder / "notes.txt").write_text("not an image")
    res = invoke("predict", folder, "--checkpoint", trained_run, "--out", out)
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.glob("00000[45]*")) == [
        "000004.exr",
        "000004_depth.png",
        "000004_figure.png",
        "000005.exr",
        "000005_depth.png",
        "000005_figure.png",
    ]


def test_export_onnx_checks_and_matches_torch(trained_run, tmp_path):
    import onnx
    import torch

    from models.checkpoint import load_run
    from models.export import RgbToDepth

    path = tmp_path / "model.onnx"
    res = invoke("export", "--checkpoint", trained_run, "--onnx", path)
    assert res.exit_code == 0, res.output
    model = onnx.load(str(path))
    onnx.checker.check_model(model)
    assert [i.name for i in model.graph.input] == ["rgb"]
    assert [o.name for o in model.graph.output] == ["depth_m"]
    try:
        from onnx.reference import ReferenceEvaluator
    except ImportError:  # pragma: no cover - older onnx
        return
    run = load_run(trained_run)
    rgb = torch.rand(1, 3, 48, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        want = RgbToDepth(run.model, 5.0, 0.05).eval()(rgb).numpy()
    got = ReferenceEvaluator(model).run(None, {"rgb": rgb.numpy()})[0]
    assert np.allclose(got, want, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize(
    "args, words",
    [
        (
            ["train", "--data", "{missing}", "--arch", "unet-simple", "--out", "{tmp}/r"],
            ["not found", "missing"],
        ),
        (
            ["train", "--data", "{ds}", "--arch", "unet-huge", "--out", "{tmp}/r"],
            ["unet-huge", "unet-simple", "densedepth-169", "efficientnet-b7"],
        ),
        (
            [*TRAIN_UNET, "--resolution", "640by480"],
            ["resolution", "640by480"],
        ),
        (
            [*TRAIN_UNET, "--resolution", "8x8"],
            ["too small"],
        ),
        (
            [*TRAIN_UNET, "--epochs", "0"],
            ["epochs"],
        ),
        ([*TRAIN_UNET, "--device", "gpu"], ["device", "cuda"]),
        (
            [
                "train",
                "--data",
                "{ds}",
                "--arch",
                "resnet-50",
                "--out",
                "{tmp}/r",
                "--pretrained",
                "{tmp}/nope.pth",
            ],
            ["not found", "nope.pth"],
        ),
        (
            ["eval", "--data", "{trainonly}", "--checkpoint", "{run}", "--split", "val"],
            ["val", "no samples"],
        ),
        (["eval", "--data", "{ds}", "--checkpoint", "{tmp}/no_run"], ["checkpoint not found"]),
        (["eval", "--data", "{ds}", "--checkpoint", "{corrupt}"], ["unreadable checkpoint"]),
        (
            ["predict", "{tmp}/nope.jpg", "--checkpoint", "{run}", "--out", "{tmp}/p"],
            ["input not found"],
        ),
        (["export", "--checkpoint", "{ds}", "--onnx", "{tmp}/m.onnx"], ["not a training run"]),
    ],
)
def test_bad_input_exits_2_with_one_line(args, words, tiny_dataset, trained_run, tmp_path):
    import shutil

    trainonly = write_fixture_dataset(tmp_path / "trainonly", n=6)
    lines = (trainonly / "samples.jsonl").read_text().splitlines()
    keep = [ln for ln in lines if json.loads(ln)["split"] == "train"]
    (trainonly / "samples.jsonl").write_text("\n".join(keep) + "\n")
    corrupt = tmp_path / "corrupt"
    shutil.copytree(trained_run, corrupt, ignore=shutil.ignore_patterns("tb", "state*"))
    (corrupt / "model.safetensors").write_bytes(b"\x00" * 100)
    subs = {
        "{missing}": str(tmp_path / "missing"),
        "{ds}": str(tiny_dataset),
        "{tmp}": str(tmp_path),
        "{run}": str(trained_run),
        "{trainonly}": str(trainonly),
        "{corrupt}": str(corrupt),
    }
    argv = []
    for a in args:
        for k, v in subs.items():
            a = a.replace(k, v)
        argv.append(a)
    res = runner.invoke(app, argv)
    assert res.exit_code == 2, (res.output, res.exception)
    err = res.stderr.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    assert "Traceback" not in res.output
    for w in words:
        assert w in err, (w, err)


def test_out_with_an_invalid_run_config_is_one_line(tiny_dataset, tmp_path):
    run = tmp_path / "r"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"train": {"arch": "unet-simple"}}))
    res = invoke(*TRAIN, "--data", tiny_dataset, "--out", run)
    assert res.exit_code == 2
    err = res.stderr.strip()
    assert len(err.splitlines()) == 1 and "config.json is invalid" in err, err


def test_console_entry_point_exit_status(tmp_path):
    """The real process: exit status 2, one stderr line, no traceback."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "models.cli",
            "train",
            "--data",
            str(tmp_path / "none"),
            "--arch",
            "unet-simple",
            "--out",
            str(tmp_path / "r"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"error: dataset directory not found: {tmp_path / 'none'}"
    ]


def test_importing_models_loads_no_renderer():
    code = (
        "import sys, models, models.cli, models.train, models.data, models.evaluate; "
        "bad = [m for m in ('bpy', 'pyrender', 'OpenGL') if m in sys.modules]; "
        "ok = ('synth.spec', 'synth.exr_io'); "
        "other = [m for m in sys.modules if m.startswith('synth.') and m not in ok]; "
        "print(bad, other); sys.exit(bool(bad or other))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_torchrun_two_processes_on_cpu(tiny_dataset, tmp_path):
    """DDP over Gloo: two ranks split the batches, validation counts each image once."""
    torchrun = os.path.join(os.path.dirname(sys.executable), "torchrun")
    run = tmp_path / "ddp"
    proc = subprocess.run(
        [
            torchrun,
            "--standalone",
            "--nproc_per_node",
            "2",
            "-m",
            "models.cli",
            "train",
            "--data",
            str(tiny_dataset),
            "--arch",
            "efficientnet-b0",
            "--out",
            str(run),
            "--epochs",
            "1",
            "--batch-size",
            "2",
            "--workers",
            "0",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.count("run: ") == 1
    assert json.loads((run / "config.json").read_text())["world_size"] == 2
    rec = json.loads((run / "metrics" / "epoch_001.json").read_text())
    assert rec["step"] == 2  # 8 samples / (2 ranks x batch 2)
    assert rec["val"]["whole"]["per_image"]["images"] == 2


def test_archs_command_lists_every_architecture():
    from models.archs import arch_names

    res = invoke("archs", "--json")
    assert res.exit_code == 0
    assert [r["name"] for r in json.loads(res.stdout)] == arch_names()


@pytest.mark.gpu
@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_amp_channels_last_train_resume_eval(tiny_dataset, tmp_path):
    run = tmp_path / "cuda"
    args = [*TRAIN[:-2], "--device", "cuda", "--data", tiny_dataset, "--out", run]
    assert invoke(*args, "--epochs", "1").exit_code == 0
    res = invoke(*args, "--epochs", "2")  # resume: Adam moments back in channels-last
    assert res.exit_code == 0, res.output
    rec = json.loads((run / "metrics" / "epoch_002.json").read_text())
    assert np.isfinite(rec["train_loss"]) and rec["step"] == 4
    res = invoke("eval", "--data", tiny_dataset, "--checkpoint", run, "--device", "cuda")
    assert res.exit_code == 0, res.output
