"""Registry-driven contract tests: every architecture gets the same checks."""

from __future__ import annotations

import pytest
import torch

from models.archs import ARCHS, arch_names, build_model, count_parameters
from models.archs.base import ArchSpec, register_arch
from models.errors import BadInputError
from models.registry import Registry, UnknownNameError

PAPER_ARCHS = {
    "unet-simple",
    "densedepth-121",
    "densedepth-161",
    "densedepth-169",
    "densedepth-201",
    "resnet-50",
    "resnet-101",
    "efficientnet-b0",
    "efficientnet-b7",
}


def test_every_paper_architecture_is_registered():
    assert set(arch_names()) == PAPER_ARCHS


@pytest.mark.parametrize("name", arch_names())
def test_arch_contract(name):
    """Shape at input resolution, float32, finite, deterministic, differentiable."""
    torch.manual_seed(0)
    model = build_model(name).eval()
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        y1, y2 = model(x), model(x)
        y_rect = model(x[..., :48])  # 64 high, 48 wide: not a multiple of 32
    assert y1.shape == (1, 1, 64, 64) and y1.dtype == torch.float32
    assert y_rect.shape == (1, 1, 64, 48)
    assert torch.isfinite(y1).all() and torch.isfinite(y_rect).all()
    assert torch.equal(y1, y2)
    model.train()
    out = model(torch.randn(2, 3, 64, 48))
    out.mean().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


def test_unet_simple_parameter_count():
    n = count_parameters(build_model("unet-simple"))
    assert n == 17_267_393
    assert abs(n - 17.27e6) / 17.27e6 < 0.005


def test_same_seed_same_weights():
    torch.manual_seed(3)
    a = build_model("efficientnet-b0")
    torch.manual_seed(3)
    b = build_model("efficientnet-b0")
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


def test_unknown_arch_lists_valid_names():
    with pytest.raises(BadInputError) as e:
        build_model("densedepth-999")
    assert "densedepth-999" in str(e.value)
    assert all(n in str(e.value) for n in PAPER_ARCHS)


def test_registry_contract():
    reg: Registry[int] = Registry("thing")
    reg.register("a", 1)
    with pytest.raises(ValueError, match="already registered"):
        reg.register("a", 2)
    with pytest.raises(UnknownNameError, match="valid: a"):
        reg.get("b")
    with pytest.raises(ValueError, match="already registered"):
        register_arch(ArchSpec("unet-simple", "unet", "dup", lambda p: None))
    assert len(ARCHS) == len(PAPER_ARCHS)


def test_pretrained_from_local_file_loads_encoder_weights(tmp_path):
    import timm
    from safetensors.torch import save_file

    torch.manual_seed(7)
    donor = timm.create_model("efficientnet_b0", pretrained=False)
    path = tmp_path / "b0.safetensors"
    save_file({k: v.contiguous() for k, v in donor.state_dict().items()}, str(path))
    torch.manual_seed(0)
    model = build_model("efficientnet-b0", pretrained=str(path))
    assert torch.equal(model.encoder.body.conv_stem.weight, donor.conv_stem.weight)
    torch.manual_seed(0)
    fresh = build_model("efficientnet-b0")
    assert not torch.equal(fresh.encoder.body.conv_stem.weight, donor.conv_stem.weight)


def test_pretrained_bad_inputs(tmp_path):
    with pytest.raises(BadInputError, match="not found"):
        build_model("resnet-50", pretrained=str(tmp_path / "missing.pth"))
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(BadInputError, match="cannot load"):
        build_model("efficientnet-b0", pretrained=str(bad))
    with pytest.raises(BadInputError, match="unknown pretrained tag"):
        build_model("efficientnet-b0", pretrained="no_such_tag")
    with pytest.raises(BadInputError, match="no pretrained encoder"):
        build_model("unet-simple", pretrained=str(bad))
