"""synth generate/preview: renderer options from the command line (--fstop, --camera-fx)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from synth.cli import _renderer_options, app
from synth.config import ConfigError


def test_fstop_and_camera_fx_options():
    assert _renderer_options(False, None, "cpu") == ("cycles", {"device": "cpu"})
    _, opts = _renderer_options(False, 8, "cpu", 2.8, False)
    assert opts == {"device": "cpu", "samples": 8, "fstop": 2.8, "camera_fx": False}
    assert _renderer_options(False, None, "cpu", 0.0)[1]["fstop"] == 0.0  # pinhole
    assert _renderer_options(True, None, "cpu") == ("fast", {})
    with pytest.raises(ConfigError, match="--fstop, --no-camera-fx: Cycles option"):
        _renderer_options(True, None, "cpu", 2.8, False)
    with pytest.raises(ConfigError, match="--samples, --device gpu"):
        _renderer_options(True, 8, "gpu")
    with pytest.raises(ConfigError, match="fstop"):
        _renderer_options(False, None, "cpu", -1.0)


@pytest.mark.parametrize("cmd", ["generate", "preview"])
def test_help_explains_options(cmd):
    out = CliRunner().invoke(app, [cmd, "--help"], env={"COLUMNS": "200"}).output
    assert "--fstop" in out and "--no-camera-fx" in out and "depth of field" in out


def test_config_directories_reach_cycles_only():
    _, opts = _renderer_options(False, None, "cpu", None, True, "/bg", "/maps")
    assert opts == {"device": "cpu", "image_dir": "/bg", "skin_map_dir": "/maps"}
    assert _renderer_options(True, None, "cpu", None, True, "/bg", "/maps") == ("fast", {})


@pytest.mark.parametrize("cmd", ["preview", "generate"])
def test_bad_skin_maps_exit_2_before_any_write(cmd, tmp_path):
    out = tmp_path / ("p.png" if cmd == "preview" else "ds")
    maps = tmp_path / "maps"
    maps.mkdir()
    (maps / "broken.png").write_bytes(b"not an image")
    for directory, message in ((tmp_path / "nope", "not a directory"), (maps, "readable")):
        res = CliRunner().invoke(app, [cmd, "--fast", "--out", str(out), "--n", "1", "--set",
                                       f"identity.skin_map_dir={directory}"])  # fmt: skip
        assert res.exit_code == 2, res.output
        assert message in res.output and not out.exists()
