"""Run-directory files: resume state round trip (weights, Adam, AMP scaler), load_run errors."""

from __future__ import annotations

import json

import pytest
import torch

from models.archs.unet import DoubleConv
from models.checkpoint import load_run, load_state, save_state, state_epoch, write_json
from models.errors import BadInputError


def _step(model, opt):
    loss = model(torch.randn(2, 3, 8, 8).to(memory_format=torch.channels_last)).square().mean()
    opt.zero_grad()
    loss.backward()
    opt.step()


def test_resume_state_round_trip(tmp_path):
    torch.manual_seed(0)
    model = DoubleConv(3, 4).to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    _step(model, opt)
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
    save_state(tmp_path, model, opt, scaler.state_dict(), epoch=3, step=17)
    assert state_epoch(tmp_path) == 3 and state_epoch(tmp_path / "none") == 0

    torch.manual_seed(1)
    model2 = DoubleConv(3, 4).to(memory_format=torch.channels_last)
    opt2 = torch.optim.Adam(model2.parameters(), lr=1e-3)
    st = load_state(tmp_path, model2, opt2)
    assert (st.epoch, st.step) == (3, 17)
    scaler2 = torch.amp.GradScaler("cpu")
    scaler2.load_state_dict(st.scaler_state)
    assert scaler2.get_scale() == 1024.0
    for p, q in zip(model.parameters(), model2.parameters(), strict=True):
        assert torch.equal(p, q)
        a, b = opt.state[p], opt2.state[q]
        assert torch.equal(a["exp_avg"], b["exp_avg"]) and float(a["step"]) == float(b["step"])
        assert b["exp_avg"].stride() == q.stride()  # parameter layout restored
    # Both continue identically.
    torch.manual_seed(5)
    _step(model, opt)
    torch.manual_seed(5)
    _step(model2, opt2)
    assert all(
        torch.equal(p, q) for p, q in zip(model.parameters(), model2.parameters(), strict=True)
    )


def test_load_run_errors(tmp_path):
    with pytest.raises(BadInputError, match="checkpoint not found"):
        load_run(tmp_path / "missing")
    with pytest.raises(BadInputError, match="not a training run"):
        load_run(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(BadInputError, match="unreadable run config"):
        load_run(tmp_path)
    write_json(tmp_path / "config.json", {"train": {"arch": "unet-simple"}})
    with pytest.raises(BadInputError, match="invalid"):
        load_run(tmp_path)
    cfg = {"data": "d", "arch": "unet-simple", "out": str(tmp_path), "width": 64, "height": 48}
    (tmp_path / "config.json").write_text(json.dumps({"train": cfg}))
    with pytest.raises(BadInputError, match="no trained weights"):
        load_run(tmp_path)
