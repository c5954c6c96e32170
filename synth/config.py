"""Typed generation config (pydantic, ``extra="forbid"``), validated once at the edge.

Defaults reproduce the original method's setup: 640x480 frames, camera 700-1000 mm from
the face, sensor 36-60 mm (focal length fixed, so the sensor sets the field of view),
clip 0.01-5 m, the five expressions, head rotation, light and background variation.
A YAML file (``--config``) and CLI overrides (``--set key.sub=value``) feed the same model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from synth.spec import EXPRESSIONS


class ConfigError(ValueError):
    """A config file or value is invalid; the message is one line for the user."""


# Image files a skin map directory may hold (``IdentityConfig.skin_map_dir``), and a
# background image directory (``BackgroundConfig.image_dir``).
SKIN_MAP_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
BACKGROUND_SUFFIXES = (".jpg", ".jpeg", ".png", ".exr", ".hdr")


def image_names(directory: str | Path, suffixes: tuple[str, ...]) -> list[str]:
    """The files in ``directory`` with one of ``suffixes`` (any case), sorted; hidden
    files (a leading ".", such as macOS's "._" companions) left out."""
    return sorted(
        p.name
        for p in Path(directory).iterdir()
        if p.is_file() and p.suffix.lower() in suffixes and not p.name.startswith(".")
    )


def skin_map_files(directory: str | Path) -> list[str]:
    """The skin maps in ``directory`` (``image_names``: the order identities draw from).
    ConfigError if it is not a directory or has none. Checked where maps are drawn, not
    when a config loads: a dataset's recorded config stays readable on a machine without
    the directory."""
    if not Path(directory).is_dir():
        raise ConfigError(f"identity.skin_map_dir {directory} is not a directory")
    names = image_names(directory, SKIN_MAP_SUFFIXES)
    if not names:
        raise ConfigError(
            f"identity.skin_map_dir {directory} has no {'/'.join(SKIN_MAP_SUFFIXES)} images"
        )
    return names


def skin_map_digests(directory: str | Path) -> dict[str, str]:
    """{file name: sha256} of every skin map in ``directory``, each checked to open as an
    image: ConfigError naming the first that does not. Run before anything is written;
    the digests enter a dataset's fingerprint, so a resumed run draws from the same maps."""
    import hashlib

    from PIL import Image, UnidentifiedImageError

    out = {}
    for name in skin_map_files(directory):
        path = Path(directory) / name
        try:
            with Image.open(path) as im:
                im.verify()
        except (OSError, UnidentifiedImageError, SyntaxError) as exc:
            raise ConfigError(f"skin map {path} is not a readable image ({exc})") from None
        out[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Model):
    """Closed interval [lo, hi] sampled uniformly."""

    lo: float
    hi: float

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, v):
        if isinstance(v, list | tuple):
            if len(v) != 2:
                raise ValueError("a range is [lo, hi]")
            return {"lo": v[0], "hi": v[1]}
        if isinstance(v, int | float):
            return {"lo": v, "hi": v}
        return v

    @model_validator(mode="after")
    def _ordered(self):
        if self.lo > self.hi:
            raise ValueError(f"range lower bound {self.lo} > upper bound {self.hi}")
        return self


class CameraConfig(_Model):
    distance_mm: Range = Range(lo=700.0, hi=1000.0)
    sensor_mm: Range = Range(lo=36.0, hi=60.0)
    focal_mm: float = Field(50.0, gt=0)
    near_m: float = Field(0.01, gt=0)
    far_m: float = Field(5.0, gt=0)
    aim_jitter_m: float = Field(0.015, ge=0, description="random offset of the aim point")

    @model_validator(mode="after")
    def _check(self):
        if self.distance_mm.lo <= 0:
            raise ValueError("camera.distance_mm must be positive")
        if self.sensor_mm.lo <= 0:
            raise ValueError("camera.sensor_mm must be positive")
        if self.near_m >= self.far_m:
            raise ValueError("camera.near_m must be < camera.far_m")
        return self


class HeadPoseConfig(_Model):
    yaw_deg: Range = Range(lo=-45.0, hi=45.0)
    pitch_deg: Range = Range(lo=-20.0, hi=20.0)
    roll_deg: Range = Range(lo=-15.0, hi=15.0)


class BodyConfig(_Model):
    """Torso (shoulders and chest) turn about the vertical axis; the head pose stays
    relative to the camera, so the neck carries the difference."""

    yaw_deg: Range = Field(
        Range(lo=-30.0, hi=30.0),
        description="torso yaw range, degrees, same sign as head yaw; [0, 0] = square torso",
    )
    max_neck_yaw_deg: float = Field(
        50.0,
        gt=0,
        description="the head's yaw relative to the torso stays within +-this: the torso yaw "
        "is uniform in [max(lo, head_yaw - max), min(hi, head_yaw + max)]; if that is empty "
        "(the head range reaches further than body range + max), the body-range bound "
        "nearest the head yaw is used and the neck turns more than max",
    )


class ExpressionConfig(_Model):
    names: list[str] = list(EXPRESSIONS)
    intensity: Range = Range(lo=0.6, hi=1.0)
    mix_probability: float = Field(0.0, ge=0, le=1, description="share of free face-unit mixes")
    mix_units: int = Field(6, ge=1, le=52, description="face units active in a free mix")

    @model_validator(mode="after")
    def _check(self):
        if not self.names and self.mix_probability < 1:
            raise ValueError("expression.names is empty")
        return self


class IdentityConfig(_Model):
    count: int = Field(100, ge=1, description="identity pool size (the paper: 100)")
    gender: Range = Field(
        Range(lo=0.0, hi=1.0),
        description="anny/MakeHuman gender phenotype envelope: 0 = male, 1 = female",
    )
    gender_spread: float = Field(
        0.2,
        ge=0,
        le=1,
        description="half the identities draw gender in [lo, lo + spread] (male), half "
        "in [hi - spread, hi] (female): values near 0.5 blend the two targets into faces "
        "that read as neither; >= (hi - lo) / 2 draws uniformly over the envelope (0.6.0)",
    )
    age: Range = Field(
        Range(lo=0.55, hi=0.85),
        description="anny/MakeHuman age (2/3 = the 'young' target, 25 years; 1 = 'old', 90 "
        "years; linear in between, 0.55 ~ 20 years): [0.55, 0.85] ~ 20-60 years. The "
        "renderers have no aged skin (wrinkles, spots), and the 'old' target's sagging "
        "shapes on smooth skin read as a mannequin",
    )
    muscle: Range = Range(lo=0.2, hi=0.8)
    weight: Range = Range(lo=0.2, hi=0.8)
    height: Range = Range(lo=0.3, hi=0.7)
    proportions: Range = Range(lo=0.3, hi=0.7)
    local_sigma: float = Field(
        0.15,
        ge=0,
        le=1,
        description="std of head local changes (MakeHuman's nose, mouth, eye, chin ... "
        "targets, each in [-1, 1]). Summed, they crease the face: 42 % of identities at "
        "0.3 (before 0.8.0), 3 % at 0.15 with the epicanthus targets at half this "
        "spread (sampling.LOCAL_SPREAD, 0.8.1; 7 % at full spread) "
        "(benchmarks/bench_face_folds.py); identity variety comes mostly from the phenotypes",
    )
    local_mean: dict[str, float] | None = Field(
        None,
        description="mean of named head local changes, each in [-1, 1] (0 elsewhere; the "
        "draw with local_sigma is added, then clipped to [-1, 1]); a name without its l-/r- "
        "prefix sets both sides, a name the asset lacks is an error. null (default): "
        "sampling.MAKEHUMAN_LOCAL_MEAN on the MakeHuman asset (longer eyes, nearer the "
        "nose: MakeHuman's are short and wide-set), none on other assets; {} turns it off "
        "(benchmarks/bench_anthropometry.py)",
    )
    local_symmetry: float = Field(
        0.9,
        ge=-1,
        le=1,
        description="correlation of the left and right value of each l-/r- pair of local "
        "changes (faces are nearly symmetric; 0 = independent sides, as before 0.6.0); "
        "each value keeps the std local_sigma; the sideways shifts of head, mouth, nose "
        "and neck (pure asymmetry) shrink by sqrt(1 - rho)",
    )
    hair_probability: float = Field(
        0.85,
        ge=0,
        le=1,
        description="share of identities with scalp hair (over genders symmetric about "
        "0.5); only male phenotypes (gender < 0.5; anny's 0 = male) go bald: for them "
        "P(bald) = min(1, 2 (1 - p)) when p >= 0.5; below, P(hair) = min(1, 2 p) for "
        "female phenotypes and 0 for male ones",
    )

    skin_map_dir: str | None = Field(
        None,
        description="a directory of skin maps (albedo images, .png/.jpg/.tif, in the "
        "asset's UV layout: MakeHuman's, e.g. its CC0 skins) that the Cycles skin shader "
        "takes its fine detail from: the map over its own ~6 mm blur, so the identity's "
        "tone and zoning stay (docs/CYCLES.md, 'Skin maps'); each identity draws one "
        "(IdentitySpec.skin_map), from the maps whose file name has the word of its sex "
        "('male' / 'female') or neither. null: procedural detail only. The fast path "
        "ignores it",
    )

    @model_validator(mode="after")
    def _check_local_mean(self):
        for name, value in (self.local_mean or {}).items():
            if not -1.0 <= value <= 1.0:
                raise ValueError(f"local_mean[{name!r}] = {value} is outside [-1, 1]")
        return self


class LightConfig(_Model):
    key_power_w: float = Field(60.0, gt=0)
    random_lights: Range = Range(lo=1, hi=2)
    random_power_w: Range = Range(lo=10.0, hi=60.0)
    kelvin: Range = Range(lo=3200.0, hi=7500.0)
    distance_m: Range = Range(lo=0.8, hi=2.0)
    ambient: Range = Range(lo=0.15, hi=0.45)


class BackgroundConfig(_Model):
    plain: float = Field(0.4, ge=0)
    textured: float = Field(0.3, ge=0)
    cluttered: float = Field(0.3, ge=0)
    distance_m: Range = Range(lo=1.5, hi=4.0)
    image_dir: str | None = None

    @model_validator(mode="after")
    def _check(self):
        if self.plain + self.textured + self.cluttered <= 0 and not self.image_dir:
            raise ValueError("background weights are all zero")
        if self.image_dir and not Path(self.image_dir).is_dir():
            raise ValueError(f"image_dir {self.image_dir} is not a directory")
        return self


class SplitConfig(_Model):
    train: float = Field(0.8, ge=0)
    val: float = Field(0.1, ge=0)
    test: float = Field(0.1, ge=0)

    @model_validator(mode="after")
    def _check(self):
        if abs(self.train + self.val + self.test - 1.0) > 1e-6:
            raise ValueError("split fractions must sum to 1")
        return self


class OutputConfig(_Model):
    rgb_format: Literal["jpg", "png"] = "jpg"
    jpeg_quality: int = Field(95, ge=50, le=100)
    save_normals: bool = False
    save_mesh: bool = False


class GenerateConfig(_Model):
    """Everything that determines a dataset besides (seed, n)."""

    width: int = Field(640, ge=16, le=8192)
    height: int = Field(480, ge=16, le=8192)
    camera: CameraConfig = CameraConfig()
    head_pose: HeadPoseConfig = HeadPoseConfig()
    body: BodyConfig = BodyConfig()
    expression: ExpressionConfig = ExpressionConfig()
    identity: IdentityConfig = IdentityConfig()
    light: LightConfig = LightConfig()
    background: BackgroundConfig = BackgroundConfig()
    split: SplitConfig = SplitConfig()
    output: OutputConfig = OutputConfig()


def _set_path(d: dict, dotted: str, value) -> None:
    keys = dotted.split(".")
    for k in keys[:-1]:
        d = d.setdefault(k, {})
        if not isinstance(d, dict):
            raise ConfigError(f"cannot set {dotted}: {k} is not a section")
    d[keys[-1]] = value


def load_config(path: Path | None = None, overrides: dict[str, object] | None = None):
    """Read YAML (optional), apply dotted overrides, validate. Raises ConfigError."""
    raw: dict = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        try:
            raw = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            msg = f"config file {path} is not valid YAML: {exc}".splitlines()[0]
            raise ConfigError(msg) from None
        if not isinstance(raw, dict):
            raise ConfigError(f"config file {path} must hold a mapping at the top level")
    for key, value in (overrides or {}).items():
        _set_path(raw, key, value)
    try:
        return GenerateConfig.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "config"
        raise ConfigError(f"invalid config value at {where}: {err['msg']}") from None


def parse_resolution(text: str) -> tuple[int, int]:
    """'640x480' -> (640, 480); raises ConfigError."""
    try:
        w, h = (int(t) for t in text.lower().split("x"))
    except ValueError:
        raise ConfigError(f"resolution must look like 640x480, got {text!r}") from None
    if w < 16 or h < 16:
        raise ConfigError(f"resolution {text} is too small (min 16x16)")
    return w, h
