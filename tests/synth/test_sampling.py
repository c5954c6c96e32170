"""Config validation and pure, deterministic sampling."""

from __future__ import annotations

import numpy as np
import pytest

from synth.config import ConfigError, load_config, parse_resolution
from synth.sampling import identity_splits, sample_spec
from synth.spec import SceneSpec

NAMES = ("nose-scale-horiz-incr", "chin-height-incr")


def test_defaults_reproduce_the_paper():
    c = load_config()
    assert (c.width, c.height) == (640, 480)
    assert (c.camera.distance_mm.lo, c.camera.distance_mm.hi) == (700, 1000)
    assert (c.camera.sensor_mm.lo, c.camera.sensor_mm.hi) == (36, 60)
    assert (c.camera.near_m, c.camera.far_m) == (0.01, 5.0)
    assert set(c.expression.names) == {"happy", "neutral", "angry", "scared", "sad"}


def test_spec_is_a_pure_function():
    c = load_config()
    a = sample_spec(c, 7, 3, local_names=NAMES)
    b = sample_spec(c, 7, 3, local_names=NAMES)
    assert a == b
    assert SceneSpec.model_validate_json(a.model_dump_json()) == a
    assert sample_spec(c, 8, 3, local_names=NAMES) != a
    # seed + index collisions do not alias (SeedSequence spawn keys, not seed + index)
    assert (
        sample_spec(c, 1, 0, local_names=NAMES).camera
        != sample_spec(c, 0, 1, local_names=NAMES).camera
    )


def test_ranges_are_respected():
    c = load_config(None, {"head_pose.yaw_deg": [-10, 10], "camera.distance_mm": [800, 800]})
    for i in range(50):
        s = sample_spec(c, 0, i, local_names=NAMES)
        assert -10 <= s.head_pose.yaw_deg <= 10
        assert s.camera.distance_m == pytest.approx(0.8)
        assert 36 <= s.camera.sensor_mm <= 60
        K = np.array(s.camera.K)
        assert K[0, 0] == pytest.approx(s.camera.focal_mm / s.camera.sensor_mm * 640)


def test_identities_are_reused_and_splits_disjoint():
    c = load_config(None, {"identity.count": 10})
    specs = [sample_spec(c, 0, i, local_names=NAMES) for i in range(40)]
    by_id = {}
    for s in specs:
        by_id.setdefault(s.identity.identity_id, set()).add((s.split, s.identity.model_dump_json()))
    assert len(by_id) == 10
    assert all(len(v) == 1 for v in by_id.values())  # same identity, same split and traits
    splits = identity_splits(c, 0)
    assert {"train", "val", "test"} <= set(splits)


@pytest.mark.parametrize(
    "override, fragment",
    [
        ({"camera.distance_mm": [1000, 700]}, "camera.distance_mm"),
        ({"camera.sensor_mm": [-1, 2]}, "sensor_mm"),
        ({"split.train": 0.9}, "split"),
        ({"width": 3}, "width"),
        ({"unknown_key": 1}, "unknown_key"),
        ({"expression.mix_probability": 2}, "mix_probability"),
        ({"background.image_dir": "/nonexistent/dir"}, "image_dir"),
        ({"body.max_neck_yaw_deg": 0}, "body.max_neck_yaw_deg"),
        ({"body.yaw_deg": [30, -30]}, "body.yaw_deg"),
    ],
)
def test_bad_values_name_the_field(override, fragment):
    with pytest.raises(ConfigError) as exc:
        load_config(None, override)
    assert fragment in str(exc.value) and "\n" not in str(exc.value)


def test_bad_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("width: [1, 2\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    with pytest.raises(ConfigError):
        parse_resolution("640by480")


def test_shipped_default_yaml_equals_defaults():
    from pathlib import Path

    import synth

    path = Path(synth.__file__).parent / "configs" / "default.yaml"
    assert load_config(path) == load_config()


def test_body_yaw_keeps_the_neck_within_its_limit():
    c = load_config()
    seen = []
    for i in range(300):
        s = sample_spec(c, 3, i, local_names=NAMES)
        assert -30 <= s.body_yaw_deg <= 30
        assert abs(s.head_pose.yaw_deg - s.body_yaw_deg) <= 50 + 1e-9
        seen.append(s.body_yaw_deg)
    assert min(seen) < -20 and max(seen) > 20  # the torso really turns, both ways
    # A tight neck: where head range > body range + limit the body stops at its bound.
    c = load_config(None, {"body.max_neck_yaw_deg": 5, "body.yaw_deg": [-10, 10]})
    for i in range(100):
        s = sample_spec(c, 3, i, local_names=NAMES)
        yaw, body = s.head_pose.yaw_deg, s.body_yaw_deg
        assert -10 <= body <= 10
        if abs(yaw) <= 15:
            assert abs(yaw - body) <= 5 + 1e-9
        else:
            assert body == (10.0 if yaw > 0 else -10.0)


def test_body_yaw_has_its_own_stream():
    square = load_config(None, {"body.yaw_deg": [0, 0]})
    turned = load_config()
    for i in range(20):
        a = sample_spec(square, 5, i, local_names=NAMES)
        b = sample_spec(turned, 5, i, local_names=NAMES)
        assert a.body_yaw_deg == 0.0
        assert b.model_copy(update={"body_yaw_deg": 0.0}) == a


def test_records_without_body_yaw_still_load():
    s = sample_spec(load_config(), 0, 4, local_names=NAMES)
    raw = s.model_dump(mode="json")
    raw.pop("body_yaw_deg")
    old = SceneSpec.model_validate(raw)
    assert old.body_yaw_deg == 0.0
    assert old == s.model_copy(update={"body_yaw_deg": 0.0})


def test_clothing_colours_are_mostly_muted():
    """Tops come from a weighted palette of worn colours (mostly dark, neutral, muted),
    not a uniform RGB cube; every identity keeps the rest of its traits."""
    import colorsys

    from synth.sampling import sample_clothing_rgb, sample_identity

    rng = np.random.default_rng(0)
    cols = np.array([sample_clothing_rgb(rng) for _ in range(500)])
    assert cols.min() >= 0.005 and cols.max() <= 0.9
    srgb = np.where(cols <= 0.0031308, 12.92 * cols, 1.055 * cols ** (1 / 2.4) - 0.055)
    sat = np.array([colorsys.rgb_to_hsv(*c)[1] for c in srgb])
    assert np.mean(sat < 0.5) > 0.6  # mostly muted
    assert np.mean(sat > 0.6) > 0.05  # a few strong colours
    assert np.mean(srgb.max(axis=1) < 0.3) > 0.2  # many dark tops (black, navy, charcoal)
    cfg = load_config(None, {})
    a = sample_identity(cfg, 5, 3, ["x"])
    b = sample_identity(cfg, 5, 3, ["x"])
    assert a == b and a.clothing_rgb == b.clothing_rgb


@pytest.mark.parametrize("p", [0.0, 0.3, 0.85, 1.0])
def test_hair_share_and_baldness_by_gender(p):
    """hair_probability is the share of identities with hair; baldness goes with male
    phenotypes (anny's gender 0); 0 and 1 mean nobody and everybody."""
    from synth.sampling import sample_identity

    cfg = load_config(None, {"identity.hair_probability": p})
    ids = [sample_identity(cfg, 1, i, []) for i in range(1500)]
    hair = np.array([i.has_hair for i in ids])
    gender = np.array([i.phenotypes["gender"] for i in ids])
    assert abs(hair.mean() - p) < 0.04
    if 0 < p < 1:
        assert hair[gender > 0.7].mean() > hair[gender < 0.3].mean()


def test_gender_is_bimodal_within_its_envelope():
    """Half the identities at each end of the gender envelope, none in the androgynous
    middle; a spread of half the envelope is the uniform draw."""
    from synth.sampling import sample_identity

    cfg = load_config(None, {"identity.gender": {"lo": 0.1, "hi": 0.9}})
    g = np.array([sample_identity(cfg, 2, i, []).phenotypes["gender"] for i in range(2000)])
    assert g.min() >= 0.1 and g.max() <= 0.9
    assert not np.any((g > 0.3) & (g < 0.7))
    assert abs(np.mean(g < 0.5) - 0.5) < 0.04
    envelope = {"identity.gender": {"lo": 0.1, "hi": 0.9}}
    cfg = load_config(None, {**envelope, "identity.gender_spread": 1})
    g = np.array([sample_identity(cfg, 2, i, []).phenotypes["gender"] for i in range(2000)])
    assert np.histogram(g, bins=4, range=(0.1, 0.9))[0].min() > 400


def test_male_phenotypes_get_receding_temples_and_stubble():
    """anny's gender axis runs 0 = male .. 1 = female: stubble and receding temples go
    with gender near 0, never with female phenotypes."""
    from assets_pipeline.head_asset import maleness
    from synth.render.cycles_traits import identity_beard
    from synth.sampling import sample_hair_shape

    assert maleness(0.0) == 1.0 and maleness(1.0) == 0.0
    beard_f = [identity_beard(i, 0.95) for i in range(300)]
    beard_m = [identity_beard(i, 0.05) for i in range(300)]
    assert max(beard_f) == 0.0 and np.mean(np.array(beard_m) > 0) > 0.5
    t_m = [sample_hair_shape(0, i, 0.0, True)["temples"] for i in range(300)]
    t_f = [sample_hair_shape(0, i, 1.0, True)["temples"] for i in range(300)]
    assert np.mean(t_m) > 3 * np.mean(t_f)
    v_m = np.array([sample_hair_shape(0, i, 0.0, True)["volume"] for i in range(300)])
    v_f = np.array([sample_hair_shape(0, i, 1.0, True)["volume"] for i in range(300)])
    assert v_f.min() >= 0.8 and v_m.min() < 0.55 and v_m.max() <= 1.15


def test_left_right_local_changes_are_correlated_and_keep_their_spread():
    from synth.sampling import lr_pairs, symmetric_pairs

    names = ("l-eye-scale-incr", "nose-scale-horiz-incr", "r-eye-scale-incr", "l-ear-only")
    assert lr_pairs(names).tolist() == [[0, 2]]
    x = np.random.default_rng(0).normal(0.0, 0.3, size=(20000, 4))
    assert np.array_equal(symmetric_pairs(x[0], names, 0.0), x[0])
    mixed = np.array([symmetric_pairs(row, names, 0.9) for row in x])
    assert np.array_equal(mixed[:, [1, 3]], x[:, [1, 3]])  # unpaired: untouched
    assert np.corrcoef(mixed[:, 0], mixed[:, 2])[0, 1] == pytest.approx(0.9, abs=0.01)
    assert mixed[:, [0, 2]].std(axis=0) == pytest.approx([0.3, 0.3], rel=0.03)
    same = symmetric_pairs(x[0], names, 1.0)
    assert same[0] == pytest.approx(same[2])
    shifts = ("mouth-trans-out", "nose-scale-horiz-incr", "l-eye-trans-out", "r-eye-trans-out")
    y = symmetric_pairs(np.ones(4), shifts, 0.9)
    assert y[0] == pytest.approx(np.sqrt(0.1)) and y[1] == 1.0  # asymmetry scaled, rest kept
    assert symmetric_pairs(np.ones(4), shifts, 1.0)[0] == 0.0


def test_lateral_shifts_are_the_assets_asymmetric_local_changes(asset):
    """The name rule of lateral_shifts picks exactly the MakeHuman local changes whose
    displacement is mirror-antisymmetric (the rest are symmetric or l-/r- paired)."""
    from scipy.spatial import cKDTree

    from synth.sampling import lateral_shifts

    v = asset.template.astype(np.float64)
    dist, mirror = cKDTree(v).query(v * [-1, 1, 1])
    assert dist.max() < 1e-4  # the template is mirror-symmetric
    names = asset.local_names
    odd = []
    for i, name in enumerate(names):
        if name.startswith(("l-", "r-")):
            continue
        d = asset.local_shapes[i, 0].astype(np.float64)
        anti = 0.5 * (d - d[mirror] * [-1, 1, 1])
        if np.linalg.norm(anti) > 0.5 * np.linalg.norm(d):
            odd.append(i)
    assert lateral_shifts(names).tolist() == odd and len(odd) == 4


def test_default_identities_are_nearly_symmetric_adults():
    from synth.sampling import sample_identity

    names = ("l-eye-scale-incr", "r-eye-scale-incr", "l-cheek-bones-incr", "r-cheek-bones-incr")
    c = load_config()
    ids = [sample_identity(c, 0, i, names) for i in range(300)]
    loc = np.array([[d.local_changes[n] for n in names] for d in ids])
    rho = np.corrcoef(np.r_[loc[:, 0], loc[:, 2]], np.r_[loc[:, 1], loc[:, 3]])[0, 1]
    assert rho > 0.85
    ages = np.array([d.phenotypes["age"] for d in ids])
    assert ages.min() >= 0.55 and ages.max() <= 0.85
    free = load_config(None, {"identity.local_symmetry": 0.0})
    loc0 = np.array([[sample_identity(free, 0, i, names).local_changes[n] for n in names]
                     for i in range(300)])  # fmt: skip
    assert abs(np.corrcoef(loc0[:, 0], loc0[:, 1])[0, 1]) < 0.2


def test_hair_colour_by_ancestry_and_age():
    """Grey only with age (none at 35 years or less); dark hair likelier with African or
    Asian ancestry, blonde only with European."""
    from synth.appearance import _HAIR_BLONDE, _HAIR_DARK, _HAIR_GREY, hair_color

    young = {"age": 0.6, "african": 0.0, "asian": 0.0, "caucasian": 1.0}  # ~20 years
    assert not np.allclose(hair_color(young, 0.99, 1.0), _HAIR_GREY)
    old = {**young, "age": 0.99}  # ~89 years
    np.testing.assert_allclose(hair_color(old, 0.5, 1.0), _HAIR_GREY)
    us = np.linspace(0.0, 0.999, 400)
    east = {"age": 0.6, "african": 0.0, "asian": 1.0, "caucasian": 0.0}
    assert np.mean([np.allclose(hair_color(east, u, 1.0), _HAIR_DARK) for u in us]) > 0.9
    assert not any(np.allclose(hair_color(east, u, 1.0), _HAIR_BLONDE) for u in us)
    blonde = [np.allclose(hair_color(young, u, 1.0), _HAIR_BLONDE) for u in us]
    assert 0.3 < np.mean(blonde) < 0.4


def test_eye_colour_by_ancestry():
    """Blue and green irises only with European ancestry, at their shares there; brown to
    near-black otherwise; the draw ``u`` covers the shares in order."""
    from synth.appearance import _EYE_BLUE, _EYE_DARK, _EYE_GREEN, eye_color, eye_shares

    us = np.linspace(0.0, 0.9999, 2000)
    african = {"african": 1.0, "asian": 0.0, "caucasian": 0.0}
    light = [_EYE_BLUE, _EYE_GREEN]
    cols = [eye_color(african, u, 1.0) for u in us]
    assert not any(np.allclose(c, x) for c in cols for x in light)
    assert 0.55 < np.mean([np.allclose(c, _EYE_DARK) for c in cols]) < 0.65
    european = {"african": 0.0, "asian": 0.0, "caucasian": 1.0}
    blue = np.mean([np.allclose(eye_color(european, u, 1.0), _EYE_BLUE) for u in us])
    assert abs(blue - eye_shares(european)["blue"]) < 0.01
    half = eye_shares({"caucasian": 0.5})
    assert abs(sum(half.values()) - 1.0) < 1e-9 and abs(half["blue"] - 0.175) < 1e-9
    np.testing.assert_allclose(
        eye_color(european, 0.0, 0.5), 0.5 * np.array(eye_color(european, 0.0, 1.0))
    )


def test_epicanthus_is_drawn_at_half_spread(monkeypatch):
    """LOCAL_SPREAD scales a target's draw and nothing else: the same stream, halved."""
    import synth.sampling as sampling

    names = ("l-eye-epicanthus-out", "r-eye-epicanthus-out", "nose-scale-horiz-incr")
    assert sampling.local_spread(names).tolist() == [0.5, 0.5, 1.0]
    c = load_config(None, {"identity.local_symmetry": 0.0})
    half = sampling.sample_identity(c, 3, 11, names)
    monkeypatch.setattr(sampling, "LOCAL_SPREAD", {})
    full = sampling.sample_identity(c, 3, 11, names)
    for n in names[:2]:
        assert half.local_changes[n] == pytest.approx(0.5 * full.local_changes[n])
    assert half.local_changes[names[2]] == full.local_changes[names[2]]
    assert half.model_copy(update={"local_changes": full.local_changes}) == full


def test_local_mean_shifts_the_same_draw():
    """identity.local_mean adds a fixed offset to the same draw before the clip: null is
    MAKEHUMAN_LOCAL_MEAN on an asset with those targets and nothing on one without; a
    name without l-/r- sets both sides; unknown names and values outside [-1, 1] fail."""
    import synth.sampling as sampling

    names = ("l-eye-push2-out", "r-eye-push2-out", "l-eye-scale-incr", "r-eye-scale-incr",
             "nose-scale-horiz-incr")  # fmt: skip
    off = load_config(None, {"identity.local_mean": {}})
    on = load_config()
    assert on.identity.local_mean is None
    expect = [sampling.MAKEHUMAN_LOCAL_MEAN[n[2:]] for n in names[:4]] + [0.0]
    assert sampling.local_means(names, None).tolist() == expect
    for i in range(20):
        a = sampling.sample_identity(off, 0, i, names).local_changes
        b = sampling.sample_identity(on, 0, i, names).local_changes
        for n, m in zip(names, expect, strict=True):
            assert b[n] == pytest.approx(np.clip(a[n] + m, -1, 1))
    # An asset without MakeHuman's eye targets (FLAME, FBX) gets no mean by default.
    assert not sampling.local_means(NAMES, None).any()
    one = load_config(None, {"identity.local_mean": {"r-eye-scale-incr": -0.5}})
    assert sampling.local_means(names, one.identity.local_mean).tolist() == [0, 0, 0, -0.5, 0]
    with pytest.raises(ConfigError, match="no local change named 'eye-scale'"):
        sampling.local_means(names, {"eye-scale": 0.1})
    with pytest.raises(ConfigError, match="outside"):
        load_config(None, {"identity.local_mean": {"eye-scale-incr": -1.2}})


def test_default_local_mean_lengthens_makehuman_eyes(asset):
    """On the MakeHuman asset the default mean brings the inner eye corners nearer (their
    distance over the pupil distance: 0.67 -> 0.59 on the pool, adults ~0.52) and
    lengthens the fissure (0.40 -> 0.45, adults ~0.45); benchmarks/bench_anthropometry.py."""
    from synth.sampling import sample_identity

    def ratios(cfg):
        out = []
        for i in range(8):
            ident = sample_identity(cfg, 0, i, asset.local_names)
            v, j = asset.evaluate(ident.phenotypes, ident.local_changes)
            lm = asset.landmarks(v)
            ipd = np.linalg.norm(
                j[asset.joint_names.index("eye.L")] - j[asset.joint_names.index("eye.R")]
            )
            fissure = (np.linalg.norm(lm[36] - lm[39]) + np.linalg.norm(lm[42] - lm[45])) / 2
            out.append((np.linalg.norm(lm[39] - lm[42]) / ipd, fissure / ipd))
        return np.mean(out, axis=0)

    before = ratios(load_config(None, {"identity.local_mean": {}}))
    after = ratios(load_config())
    assert before[0] > 0.64 and after[0] < 0.61, (before, after)
    assert before[1] < 0.42 and after[1] > 0.44, (before, after)


def test_skin_maps_have_their_own_stream_and_follow_sex(tmp_path):
    """Each identity draws a map from its own stream (every other value as without maps),
    from the maps named for its sex or for neither; none when no directory is set."""
    from PIL import Image

    from synth.appearance import pick_skin_map
    from synth.sampling import sample_identity

    names = ["young_lightskinned_male_diffuse.png", "old_darkskinned_female_diffuse.png",
             "plain.jpg", "notes.txt"]  # fmt: skip
    for name in names:
        (tmp_path / name).write_bytes(b"")
    Image.new("RGB", (4, 4)).save(tmp_path / "plain.jpg")
    with_maps = load_config(None, {"identity.skin_map_dir": str(tmp_path)})
    plain = load_config(None, {})
    picked = {}
    for i in range(40):
        ident = sample_identity(with_maps, 0, i, [])
        assert ident.model_copy(update={"skin_map": None}) == sample_identity(plain, 0, i, [])
        assert ident == sample_identity(with_maps, 0, i, [])
        male = ident.phenotypes["gender"] < 0.5
        assert ident.skin_map != names[1 if male else 0] and ident.skin_map != "notes.txt"
        picked[ident.skin_map] = picked.get(ident.skin_map, 0) + 1
    assert set(picked) == set(names[:3])
    assert sample_identity(plain, 0, 0, []).skin_map is None
    rng = np.random.default_rng(0)
    assert pick_skin_map(["a_female.png"], 0.0, rng) == "a_female.png"  # none fits: any


def test_unreadable_skin_map_is_refused_before_any_write(tmp_path):
    from PIL import Image

    from synth.config import skin_map_digests

    Image.new("RGB", (4, 4)).save(tmp_path / "good.png")
    (tmp_path / "._good.png").write_bytes(b"\x00\x05")  # a hidden companion: ignored
    digests = skin_map_digests(tmp_path)
    assert list(digests) == ["good.png"] and len(digests["good.png"]) == 64
    (tmp_path / "broken.png").write_bytes(b"")
    with pytest.raises(ConfigError, match="broken.png is not a readable image"):
        skin_map_digests(tmp_path)


def test_bad_skin_map_dir_is_refused_where_maps_are_drawn(tmp_path):
    """Not when a config loads: a dataset's recorded config stays readable elsewhere."""
    from synth.sampling import sample_identity

    (tmp_path / "readme.txt").write_text("no maps")
    for d, fragment in ((tmp_path, "has no"), (tmp_path / "nope", "not a directory")):
        cfg = load_config(None, {"identity.skin_map_dir": str(d)})
        with pytest.raises(ConfigError, match=f"identity.skin_map_dir .* {fragment}") as exc:
            sample_identity(cfg, 0, 0, [])
        assert "\n" not in str(exc.value)
