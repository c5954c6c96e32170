"""Scene sampling: ``sample_spec(config, seed, index) -> SceneSpec`` as a pure function.

Per-sample randomness comes from ``numpy.random.SeedSequence(seed, spawn_key=(0, index))``
and per-identity randomness from ``spawn_key=(1, identity_id)`` (hair shape:
``(3, identity_id)``); the identity split from ``spawn_key=(2,)``; the torso yaw from
``spawn_key=(4, index)`` (its own stream, so adding it left every other value of every
sample unchanged, and ``body.yaw_deg: [0, 0]`` gives today's square torso); the
identity's skin map (``identity.skin_map_dir``) from ``spawn_key=(5, identity_id)``.
Nothing reads global state, so sample i is reproducible alone, on any machine.
Sub-samplers take their generator explicitly.

Identities follow the original method's design (subjects x expressions x poses): sample i
shows identity ``i % identity.count``; splits are drawn per identity (disjoint by identity).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assets_pipeline.expressions import MIX_UNITS, PRESETS
from assets_pipeline.hair_curtain import MIN_VOLUME as CURTAIN_MIN_VOLUME
from assets_pipeline.hair_shell import HAIR_SHAPES
from assets_pipeline.head_asset import maleness
from synth.appearance import eye_color, hair_color, pick_skin_map, sample_clothing_rgb
from synth.background import wall_paint
from synth.config import (
    BACKGROUND_SUFFIXES,
    ConfigError,
    GenerateConfig,
    Range,
    image_names,
    skin_map_files,
)
from synth.spec import (
    BackgroundSpec,
    CameraSpec,
    ExpressionSpec,
    HeadPoseSpec,
    IdentitySpec,
    LightSpec,
    SceneSpec,
)

AIM_POINT_HEAD = (0.0, 0.035, 0.0)  # between the eyes and the mouth, head frame (m)


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def _u(rng: np.random.Generator, r: Range) -> float:
    return float(rng.uniform(r.lo, r.hi)) if r.hi > r.lo else float(r.lo)


def identity_splits(config: GenerateConfig, seed: int) -> list[str]:
    """Split name of every identity in the pool (train/val/test, by identity)."""
    n = config.identity.count
    order = _rng(seed, 2).permutation(n)
    n_test = int(round(config.split.test * n))
    n_val = int(round(config.split.val * n))
    if n >= 3:
        n_test = max(n_test, 1) if config.split.test > 0 else 0
        n_val = max(n_val, 1) if config.split.val > 0 else 0
    splits = ["train"] * n
    for k, ident in enumerate(order):
        if k < n_test:
            splits[ident] = "test"
        elif k < n_test + n_val:
            splits[ident] = "val"
    return splits


def lr_pairs(names: Sequence[str]) -> np.ndarray:
    """(K,2) indices of the (left, right) local changes named ``l-X`` / ``r-X``."""
    index = {n: i for i, n in enumerate(names)}
    return np.array(
        [(i, index["r-" + n[2:]]) for n, i in index.items()
         if n.startswith("l-") and "r-" + n[2:] in index],
        dtype=np.int64,
    ).reshape(-1, 2)  # fmt: skip


def lateral_shifts(names: Sequence[str]) -> np.ndarray:
    """Indices of the unpaired local changes that move a midline part sideways
    (MakeHuman's ``head-``, ``mouth-``, ``nose-``, ``neck-trans-in|out``): purely
    mirror-antisymmetric, i.e. asymmetry only (tests check this against the asset)."""
    return np.array(
        [i for i, n in enumerate(names)
         if not n.startswith(("l-", "r-")) and n.endswith(("-trans-out", "-trans-in"))],
        dtype=np.int64,
    )  # fmt: skip


def symmetric_pairs(values: np.ndarray, names: Sequence[str], correlation: float) -> np.ndarray:
    """Mix each left/right pair of iid values (x_l, x_r) into (c s + a d, c s - a d), s and d
    their normalised sum and difference, c = sqrt((1 + rho) / 2), a = sqrt((1 - rho) / 2):
    the pair keeps each value's variance and has correlation ``rho``. The lateral shifts
    of midline parts (``lateral_shifts``: a mouth or nose off the face's centre line) are
    asymmetry as well and are scaled by ``a / sqrt(1/2)`` like a pair's difference, so
    rho = 0 returns ``values`` unchanged and rho = 1 gives a mirror-symmetric face. Other
    unpaired values are returned as they are."""
    out = np.array(values, dtype=np.float64)
    if correlation == 0:
        return out
    c, a = np.sqrt((1.0 + correlation) / 2.0), np.sqrt((1.0 - correlation) / 2.0)
    pairs = lr_pairs(names)
    if len(pairs):
        xl, xr = out[pairs[:, 0]], out[pairs[:, 1]]
        s, d = (xl + xr) / np.sqrt(2.0), (xl - xr) / np.sqrt(2.0)
        out[pairs[:, 0]], out[pairs[:, 1]] = c * s + a * d, c * s - a * d
    out[lateral_shifts(names)] *= a * np.sqrt(2.0)
    return out


# Per-target spread factors on identity.local_sigma. MakeHuman's epicanthus target, pushed
# "out", folds the inner eye corner over the lid: it was the worst single target in 5 of
# the 7 creased identities of the default pool; at half spread 3 % are creased instead of
# 7 % (benchmarks/bench_face_folds.py, docs/CYCLES.md "Limitations").
LOCAL_SPREAD = {"-eye-epicanthus-": 0.5}


def local_spread(names: Sequence[str]) -> np.ndarray:
    """Each local change's factor on ``identity.local_sigma`` (LOCAL_SPREAD, 1 elsewhere)."""
    return np.array([next((f for key, f in LOCAL_SPREAD.items() if key in n), 1.0) for n in names])


# MakeHuman's eyes are short and sit far apart: inner corners 0.67 x the pupil distance
# apart (adults ~0.52) and fissures 0.40 x long (adults ~0.45); lengthening them towards
# the nose gives 0.59 x and 0.45 x over the default pool with no more creased faces (push2
# at 0.8 creased 6 % instead of 3 %): benchmarks/bench_anthropometry.py.
MAKEHUMAN_LOCAL_MEAN = {"eye-push2-out": 0.6, "eye-scale-incr": 0.6}


def _named(names: Sequence[str], key: str) -> list[int]:
    """Indices of the local change ``key``, or of its l-/r- pair for a key without one."""
    return [i for i, n in enumerate(names) if n == key or (n[:2] in ("l-", "r-") and n[2:] == key)]


def local_means(names: Sequence[str], means: dict[str, float] | None) -> np.ndarray:
    """Each local change's mean (``identity.local_mean``; a key without its l-/r- prefix
    names both sides, 0 elsewhere). None: MAKEHUMAN_LOCAL_MEAN where the asset has all of
    its targets (the MakeHuman asset), zeros otherwise. A key that names no target is a
    ConfigError."""
    if means is None:
        found = all(_named(names, key) for key in MAKEHUMAN_LOCAL_MEAN)
        means = MAKEHUMAN_LOCAL_MEAN if found else {}
    out = np.zeros(len(names))
    for key, value in means.items():
        hit = _named(names, key)
        if not hit:
            raise ConfigError(f"identity.local_mean: the asset has no local change named {key!r}")
        out[hit] = value
    return out


def sample_identity(
    config: GenerateConfig, seed: int, identity_id: int, local_names: Sequence[str]
) -> IdentitySpec:
    """Phenotypes, head local changes and shading traits of one pool identity."""
    c = config.identity
    rng = _rng(seed, 1, identity_id)
    phen = {
        "gender": sample_gender(rng, c.gender, c.gender_spread),
        "age": _u(rng, c.age),
        "muscle": _u(rng, c.muscle),
        "weight": _u(rng, c.weight),
        "height": _u(rng, c.height),
        "proportions": _u(rng, c.proportions),
    }
    race = rng.dirichlet([0.6, 0.6, 0.6])
    phen.update(african=float(race[0]), asian=float(race[1]), caucasian=float(race[2]))
    # One draw per name, in order (the same stream as one rng.normal call per name).
    raw = rng.normal(0.0, c.local_sigma, size=len(local_names)) * local_spread(local_names)
    raw = symmetric_pairs(raw, local_names, c.local_symmetry)
    local_values = np.clip(raw + local_means(local_names, c.local_mean), -1.0, 1.0)
    local = dict(zip(local_names, local_values.tolist(), strict=True))
    tone = float(
        np.clip(0.85 * race[0] + 0.35 * race[1] + 0.1 * race[2] + rng.normal(0, 0.08), 0, 1)
    )
    # Baldness goes with male phenotypes (maleness > 0.5; anny's gender 0 = male, 1 =
    # female); over genders symmetric about 0.5 the share with hair is hair_probability
    # (0 and 1 exactly: none, all).
    male, p = maleness(phen["gender"]) > 0.5, c.hair_probability
    if p >= 0.5:
        p_hair = 1.0 - min(1.0, 2.0 * (1.0 - p)) if male else 1.0
    else:
        p_hair = 0.0 if male else min(1.0, 2.0 * p)
    has_hair = bool(rng.uniform() < p_hair)
    hair = hair_color(phen, rng.uniform(), rng.uniform(0.8, 1.2))
    eye = eye_color(phen, rng.uniform(), rng.uniform(0.8, 1.2))
    cloth = sample_clothing_rgb(rng)
    skin_map = None
    if c.skin_map_dir:
        skin_map = pick_skin_map(
            skin_map_files(c.skin_map_dir), phen["gender"], _rng(seed, 5, identity_id)
        )
    return IdentitySpec(
        identity_id=identity_id,
        phenotypes=phen,
        local_changes=local,
        skin_tone=tone,
        has_hair=has_hair,
        hair_rgb=[float(x) for x in np.clip(hair, 0, 1)],
        hair_shape=sample_hair_shape(seed, identity_id, phen["gender"], has_hair),
        eye_rgb=[float(x) for x in np.clip(eye, 0, 1)],
        clothing_rgb=[float(x) for x in cloth],
        skin_map=skin_map,
    )


def sample_gender(rng: np.random.Generator, envelope: Range, spread: float) -> float:
    """One gender phenotype value from one uniform draw: half the identities in
    ``[lo, lo + spread]`` (the male end, anny's 0) and half in ``[hi - spread, hi]`` (the
    female end). People are not a continuum between MakeHuman's male and female targets:
    uniform values put many faces near 0.5, a blend that reads as neither, which the
    ``spread`` keeps out. ``spread >= (hi - lo) / 2`` is the uniform draw of 0.6.0."""
    lo, hi = envelope.lo, envelope.hi
    u = float(rng.uniform())
    spread = min(spread, 0.5 * (hi - lo))
    if u < 0.5:
        return lo + 2.0 * u * spread
    return hi - 2.0 * (u - 0.5) * spread


# Shares of identities with hair whose hair hangs to the jaw (the curtain), at the female
# and male ends of the gender axis (linear in between).
LONG_HAIR_FEMALE, LONG_HAIR_MALE = 0.75, 0.05


def sample_hair_shape(seed: int, identity_id: int, gender: float, has_hair: bool) -> dict:
    """Hair shell coefficients (assets_pipeline.hair_shell) of one identity, from their own
    stream (``spawn_key=(3, identity_id)``) so the other identity traits keep their values.
    Receding temples and the shortest crops are likelier the more male the phenotype
    (``maleness``): volume in [0.45, 1.15] for male, [0.8, 1.3] for female phenotypes
    (the shell models short hair only; a full crop reads as a pixie cut, the thinnest as
    a buzz cut, rare on women)."""
    rng = _rng(seed, 3, identity_id)
    u, hairline, temples = rng.uniform(), rng.uniform(-1.0, 1.0), rng.uniform()
    long_u = rng.uniform()
    if not has_hair:
        return dict.fromkeys(HAIR_SHAPES, 0.0)
    m = maleness(gender)
    lo, hi = 0.8 + (0.45 - 0.8) * m, 1.3 + (1.15 - 1.3) * m
    volume = lo + (hi - lo) * u
    temples = temples * (0.25 + 0.75 * m)
    # The jaw-length curtain (assets_pipeline.hair_curtain), 0 or 1: most women, few men;
    # it hangs from a shell of at least its MIN_VOLUME.
    length = float(long_u < LONG_HAIR_FEMALE + (LONG_HAIR_MALE - LONG_HAIR_FEMALE) * m)
    if length:
        volume, temples = max(volume, CURTAIN_MIN_VOLUME), min(temples, 0.3)
    return {
        "volume": float(volume),
        "hairline": float(hairline),
        "temples": float(temples),
        "length": length,
    }


def sample_expression(config: GenerateConfig, rng: np.random.Generator) -> ExpressionSpec:
    c = config.expression
    if c.names and rng.uniform() >= c.mix_probability:
        name = c.names[int(rng.integers(len(c.names)))]
        intensity = _u(rng, c.intensity)
        units = {k: float(v) * intensity for k, v in PRESETS[name].items()}
        if name == "neutral":
            intensity = 0.0
        return ExpressionSpec(name=name, intensity=intensity, face_units=units)
    picks = rng.choice(len(MIX_UNITS), size=c.mix_units, replace=False)
    units = {MIX_UNITS[i]: float(rng.uniform(0.2, 1.0)) for i in sorted(picks)}
    return ExpressionSpec(name="mix", intensity=1.0, face_units=units)


def sample_camera(config: GenerateConfig, rng: np.random.Generator) -> CameraSpec:
    c = config.camera
    distance = _u(rng, c.distance_mm) / 1000.0
    sensor = _u(rng, c.sensor_mm)
    fx = c.focal_mm / sensor * config.width
    K = [[fx, 0.0, config.width / 2.0], [0.0, fx, config.height / 2.0], [0.0, 0.0, 1.0]]
    aim = (
        np.array(AIM_POINT_HEAD) + rng.uniform(-1, 1, size=3) * np.array([1, 1, 0]) * c.aim_jitter_m
    )
    cam_from_world = np.eye(4)
    cam_from_world[:3, 3] = -aim + np.array([0.0, 0.0, distance])
    return CameraSpec(
        width=config.width,
        height=config.height,
        focal_mm=c.focal_mm,
        sensor_mm=sensor,
        distance_m=distance,
        near_m=c.near_m,
        far_m=c.far_m,
        K=K,
        cam_from_world=cam_from_world.tolist(),
    )


def kelvin_to_rgb(kelvin: float) -> list[float]:
    """Approximate linear RGB of a black body (Tanner Helland's fit), max channel 1."""
    t = kelvin / 100.0
    r = 255.0 if t <= 66 else 329.698727446 * (t - 60) ** -0.1332047592
    g = (
        99.4708025861 * np.log(t) - 161.1195681661
        if t <= 66
        else 288.1221695283 * (t - 60) ** -0.0755148492
    )
    b = 255.0 if t >= 66 else (0.0 if t <= 19 else 138.5177312231 * np.log(t - 10) - 305.0447927307)
    rgb = np.clip(np.array([r, g, b]) / 255.0, 0, 1) ** 2.2
    return [float(x) for x in rgb / rgb.max()]


def sample_lights(
    config: GenerateConfig, rng: np.random.Generator, distance: float
) -> list[LightSpec]:
    """The fixed key light (upper left of the camera) plus random lights, camera frame."""
    c = config.light
    lights = [
        LightSpec(
            kind="key",
            position_m=[-0.6, -0.7, distance - 0.9],
            color_rgb=kelvin_to_rgb(5600.0),
            kelvin=5600.0,
            power_w=c.key_power_w,
        )
    ]
    n = int(rng.integers(int(c.random_lights.lo), int(c.random_lights.hi) + 1))
    for _ in range(n):
        az = rng.uniform(-np.pi * 0.6, np.pi * 0.6)
        el = rng.uniform(-0.3, 1.0)
        r = _u(rng, c.distance_m)
        pos = [r * np.sin(az) * np.cos(el), -r * np.sin(el), distance - r * np.cos(az) * np.cos(el)]
        k = _u(rng, c.kelvin)
        lights.append(
            LightSpec(
                kind="random",
                position_m=[float(x) for x in pos],
                color_rgb=kelvin_to_rgb(k),
                kelvin=k,
                power_w=_u(rng, c.random_power_w),
            )
        )
    return lights


def sample_background(config: GenerateConfig, rng: np.random.Generator) -> BackgroundSpec:
    c = config.background
    kinds = ["plain", "textured", "cluttered"]
    w = np.array([c.plain, c.textured, c.cluttered], dtype=float)
    kind = kinds[int(rng.choice(3, p=w / w.sum()))] if w.sum() > 0 else "image"
    image = None
    if c.image_dir:
        files = image_names(c.image_dir, BACKGROUND_SUFFIXES)
        if files and (kind == "plain" or w.sum() == 0):
            kind, image = "image", files[int(rng.integers(len(files)))]
    _, paint = wall_paint(rng)  # a real wall's or backdrop's paint, linear RGB
    return BackgroundSpec(
        kind=kind,
        color_rgb=[float(x) for x in paint],
        distance_m=_u(rng, c.distance_m),
        seed=int(rng.integers(2**31 - 1)),
        image=image,
    )


def sample_body_yaw(config: GenerateConfig, seed: int, index: int, head_yaw_deg: float) -> float:
    """Torso yaw (degrees) of sample ``index``, uniform over the body range intersected with
    ``head_yaw ± body.max_neck_yaw_deg`` (the neck's limit); where they do not meet, the
    body-range bound nearest the head yaw. Its own stream, ``spawn_key=(4, index)``."""
    c = config.body
    lo = max(c.yaw_deg.lo, head_yaw_deg - c.max_neck_yaw_deg)
    hi = min(c.yaw_deg.hi, head_yaw_deg + c.max_neck_yaw_deg)
    if lo > hi:  # the head turns further than body range + neck limit
        return float(c.yaw_deg.hi if head_yaw_deg > c.yaw_deg.hi else c.yaw_deg.lo)
    u = float(_rng(seed, 4, index).uniform())
    return float(min(hi, lo + u * (hi - lo))) if hi > lo else float(lo)


def sample_spec(
    config: GenerateConfig, seed: int, index: int, *, local_names: Sequence[str]
) -> SceneSpec:
    """Every random choice of sample ``index``; ``local_names`` are the asset's head
    local changes (part of the asset, so the spec stays a function of config and seed)."""
    if seed < 0 or index < 0:
        raise ValueError("seed and index must be >= 0")
    identity_id = index % config.identity.count
    split = identity_splits(config, seed)[identity_id]
    rng = _rng(seed, 0, index)
    expression = sample_expression(config, rng)
    hp = config.head_pose
    pose = HeadPoseSpec(
        yaw_deg=_u(rng, hp.yaw_deg), pitch_deg=_u(rng, hp.pitch_deg), roll_deg=_u(rng, hp.roll_deg)
    )
    camera = sample_camera(config, rng)
    lights = sample_lights(config, rng, camera.distance_m)
    ambient = _u(rng, config.light.ambient)
    background = sample_background(config, rng)
    return SceneSpec(
        seed=seed,
        index=index,
        split=split,
        identity=sample_identity(config, seed, identity_id, local_names),
        expression=expression,
        head_pose=pose,
        body_yaw_deg=sample_body_yaw(config, seed, index, pose.yaw_deg),
        camera=camera,
        lights=lights,
        ambient=ambient,
        background=background,
    )
