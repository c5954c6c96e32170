"""Per-identity and per-sample inputs of the Cycles materials (numpy only, no bpy).

What the shaders of synth.render.cycles_materials are given, as pure functions of the
SceneSpec: the two-pigment skin colours and their chroma scale, per-identity shading traits
(blood, freckles, oiliness, stubble, iris colours), and the expression and age lines'
per-vertex windows and per-sample depths. Kept apart from the node graphs so they are
testable and usable without Blender.
"""

from __future__ import annotations

import zlib

import numpy as np

from assets_pipeline.head_asset import age_years, maleness
from synth.render.cycles_camera import REC709_Y

# Two-pigment skin model: ln(albedo) = ln(BASE) - melanin * K_MELANIN - blood * K_BLOOD
# (linear Rec.709 RGB). Melanin absorbs more towards blue, haemoglobin mostly green/blue,
# so more blood reads redder and more melanin darker and warmer.
# BASE and K_MELANIN are a least-squares fit (at the mean blood density) to the sRGB of
# light (226, 188, 166), medium (180, 130, 100) and dark (92, 62, 46) skin: real skin is
# far less saturated than a steep melanin slope makes it (dark skin turned orange).
SKIN_BASE = np.array([1.0, 0.90, 0.64])
K_MELANIN = np.array([1.08, 1.32, 1.49])
K_BLOOD = np.array([0.02, 0.55, 0.45])
# Haemoglobin per identity. Until 0.10.0 it reached down to 0.35: light skin at <= 0.42
# rendered a* 4-6 (sample 8: L* 73, a* 4.4, b* 9.4), grey-white porcelain below the
# in-vivo range of facial skin (a* ~7-14; benchmarks/bench_skin_tone.py).
BLOOD_MIN, BLOOD_SPAN = 0.5, 0.3
FOREHEAD_SPACING_M = 0.009  # forehead lines: spacing, band above the brow line (m)
FOREHEAD_BAND_M = (0.012, 0.042)


def melanin_from_tone(tone: float) -> float:
    """IdentitySpec.skin_tone (0 lightest .. 1 darkest) -> melanin density (model units)."""
    return 0.18 + 1.75 * float(np.clip(tone, 0.0, 1.0)) ** 1.2


def identity_unit(identity_id: int, what: str) -> float:
    """A uniform number in [0, 1) that is a pure function of the identity id and ``what``
    (per-identity shading and hair variation, not part of the SceneSpec)."""
    return (zlib.crc32(f"{what}-{identity_id}".encode()) % 10_000) / 10_000.0


def identity_blood(identity_id: int) -> float:
    """Per-identity haemoglobin density in [BLOOD_MIN, BLOOD_MIN + BLOOD_SPAN]: a pure
    function of the identity id (shading only, so it is not part of the SceneSpec)."""
    return BLOOD_MIN + BLOOD_SPAN * identity_unit(identity_id, "blood")


def pigment_albedo(melanin: float, blood: float) -> np.ndarray:
    """Linear RGB albedo (3,) of skin with the given pigment densities."""
    return SKIN_BASE * np.exp(-melanin * K_MELANIN - blood * K_BLOOD)


def skin_saturation(tone: float) -> float:
    """Chroma scale of the skin albedos: light tones lose up to a tenth of their chroma,
    from tone 0.5 on none. Until 0.9.0 up to 0.3: the exposure meter then put light skin a
    stop down, where the subsurface red and the Filmic look's contrast oversaturated it;
    exposed for the light (0.9.0), light skin at 0.7 rendered pale and grey (a* 8.7, b*
    12.1, chroma 8.5 at tone 0.09), at 0.9 it renders a* 9.5, b* 14.0, near facial skin
    measured in vivo (a* ~10-12, b* ~14-16; benchmarks/bench_skin_tone.py)."""
    return float(np.clip(0.9 + 0.2 * float(tone), 0.9, 1.0))


def skin_colors(tone: float, identity_id: int) -> dict[str, np.ndarray]:
    """Linear RGB of plain skin, lips, flushed skin (cheeks, nose, ears), eyelids and
    freckle-scale mottling, chroma scaled by ``skin_saturation`` about each colour's
    luminance."""
    m, b = melanin_from_tone(tone), identity_blood(identity_id)
    colours = {
        "skin": pigment_albedo(m, b),
        "lips": pigment_albedo(0.95 * m + 0.05, 1.9 * b + 0.25),
        "flush": pigment_albedo(m, 1.7 * b + 0.1),
        "lid": pigment_albedo(1.2 * m + 0.05, 1.4 * b),
        "mottle": pigment_albedo(1.5 * m, 0.9),
    }
    k = skin_saturation(tone)
    return {key: float(c @ REC709_Y) * (1.0 - k) + k * c for key, c in colours.items()}


def identity_skin_detail(identity_id: int, tone: float = 0.0) -> dict[str, float]:
    """Per-identity skin detail: freckle strength (most people faint, some strong; x(1 -
    0.6 ``tone``): freckling is a trait of light skin) and forehead/nose oiliness (lower
    roughness, more specular)."""
    light = 1.0 - 0.6 * float(np.clip(tone, 0.0, 1.0))
    return {
        "freckles": (0.08 + 0.5 * identity_unit(identity_id, "freckles") ** 3) * light,
        "oil": 0.5 + 0.5 * identity_unit(identity_id, "oil"),
    }


def identity_beard(identity_id: int, gender: float) -> float:
    """Stubble / beard-shadow strength in [0, 0.75]: 0 below maleness 0.45 (anny gender
    above 0.55: female phenotypes), ramping to full at maleness 0.75 (gender 0.25); per
    identity from clean-shaven (a third of them) to a few days' growth."""
    male = float(np.clip((maleness(gender) - 0.45) / 0.3, 0.0, 1.0))
    growth = max(0.0, identity_unit(identity_id, "beard") * 1.5 - 0.5)
    return 0.75 * male * growth


def identity_lid_crease(identity_id: int, asian: float) -> float:
    """Depth (0..1) of the upper lid's crease (``cycles_skin_lines.skin_lines``): per
    identity in [0.6, 1]; shallower the more East Asian the phenotype (a single eyelid,
    whose fold lies on the lashes, is common there): x(1 - 0.6 ``asian``)."""
    k = 0.6 + 0.4 * identity_unit(identity_id, "crease")
    return float(k * (1.0 - 0.6 * float(np.clip(asian, 0.0, 1.0))))


def iris_colors(eye_rgb, identity_id: int) -> dict[str, np.ndarray]:
    """Linear RGB of the iris stroma (``eye_rgb`` with its saturation raised 1.15x and
    darkened to 0.8x: at 1.6x and full value blue and green irises glowed like painted
    discs; in photographs an iris in the lid's shadow reads dark and greyish) and of the
    collarette round the pupil (an amber to hazel ring, per identity)."""
    rgb = np.asarray(eye_rgb, np.float64)
    y = float(rgb @ REC709_Y)
    iris = np.clip(0.8 * (y + 1.15 * (rgb - y)), 0.005, 1.0)
    amber = np.array([0.55, 0.33, 0.1]) * (0.6 + 0.6 * identity_unit(identity_id, "collarette"))
    return {"iris": iris, "collarette": 0.5 * iris + 0.5 * amber}


def smoothstep(lo: float, hi: float, x: np.ndarray) -> np.ndarray:
    """numpy twin of NodeBuilder.smoothstep (Map Range, smoothstep, clamped)."""
    t = np.clip((np.asarray(x, np.float64) - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _band(x: np.ndarray, lo: float, hi: float, soft: float) -> np.ndarray:
    """1 inside [lo, hi], fading to 0 over ``soft`` beyond each end."""
    return smoothstep(lo - soft, lo, x) * smoothstep(hi + soft, hi, x)


def wrinkle_bands(coords: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """(V,4) float32: where each family of lines may show (nasolabial, forehead, frown,
    crow's feet), from the ``wrinkle_coords`` fields. These windows are centimetres wide,
    so they are per-vertex weights (times the sample's ``wrinkle_depths``: the ``wrinkle_w``
    attribute); only the millimetre-narrow line profiles are evaluated per shading point
    (``cycles_skin_lines.skin_lines``), which keeps the skin shader -- evaluated three
    times over by its bump -- cheap."""
    a, b = (np.asarray(c, np.float64) for c in coords)
    nl_along, height, gl_across = a[:, 1], a[:, 2], b[:, 0]
    angle, radius = b[:, 1], b[:, 2]
    out = np.stack([
        _band(nl_along, 0.08, 0.75, 0.2),
        _band(height, *FOREHEAD_BAND_M, 0.006) * _band(gl_across, -0.01, 0.02, 0.02),
        _band(height, -0.004, 0.014, 0.004),
        _band(radius, 0.005, 0.016, 0.004) * _band(angle, -0.7, 0.6, 0.25),
    ], axis=1)  # fmt: skip
    return out.astype(np.float32)


def wrinkle_weights(bands: np.ndarray, d: dict[str, float]) -> np.ndarray:
    """(V,4) float32 ``wrinkle_w`` of a sample: ``wrinkle_bands`` times its
    ``wrinkle_depths`` ``d`` (nasolabial, forehead, frown, crow's feet)."""
    depth = np.array([d["wr_nasolabial"], d["wr_forehead"], d["wr_glabella"], d["wr_crow"]])
    return (bands * depth.astype(np.float32)).astype(np.float32)


def wrinkle_depths(spec) -> dict[str, float]:
    """Depth (0..1) of each family of lines (``cycles_skin_lines.skin_lines``): an age
    part (none at 25 years, full at 60), the face units that fold the skin there (a
    smile deepens the nasolabial folds, a squint the crow's feet, raised brows the
    forehead lines, lowered brows the frown lines), times a per-identity depth in [0.6, 1.4]."""
    ident = spec.identity
    age = float(np.clip((age_years(ident.phenotypes.get("age", 0.5)) - 25.0) / 35.0, 0.0, 1.0))
    fu = spec.expression.face_units

    def pair(name: str) -> float:
        return 0.5 * (fu.get(name + "Left", 0.0) + fu.get(name + "Right", 0.0))

    k = 0.6 + 0.8 * identity_unit(ident.identity_id, "wrinkles")
    raw = {
        "wr_nasolabial": 0.2 + 0.45 * age + 0.9 * pair("mouthSmile") + 0.3 * pair("cheekSquint"),
        "wr_forehead": 0.35 * age + 0.65 * fu.get("browInnerUp", 0.0) + 0.35 * pair("browOuterUp"),
        "wr_glabella": 0.25 * age + 1.0 * pair("browDown"),
        "wr_crow": 0.4 * age + 0.9 * max(pair("eyeSquint"), pair("cheekSquint")),
    }
    return {key: float(np.clip(k * v, 0.0, 1.0)) for key, v in raw.items()}


# Clothing fabric per identity (``identity_fabric``): shares of knit sweaters, plain jersey
# tops and striped jersey (the rest). Until 0.10.0 everyone wore the same knit.
FABRIC_SHARES = {"knit": 0.45, "jersey": 0.4}
STRIPE_PERIOD_M = (0.008, 0.02)  # stripe repeat, drawn per identity
STRIPE_LIGHT, STRIPE_DARK = (0.72, 0.7, 0.65), (0.025, 0.03, 0.07)  # off-white, navy


def identity_fabric(identity_id: int, clothing_rgb) -> dict:
    """The identity's top: ``knit`` (1: stitches, 0: smooth jersey), ``stripes`` (0 or 1:
    horizontal stripes on jersey), ``stripe_rgb`` (off-white on a dark top, navy on a light
    one) and ``stripe_period`` (m); a pure function of the identity id and its
    ``clothing_rgb``."""
    u = identity_unit(identity_id, "fabric")
    knit = u < FABRIC_SHARES["knit"]
    stripes = u >= FABRIC_SHARES["knit"] + FABRIC_SHARES["jersey"]
    light = float(np.asarray(clothing_rgb, np.float64) @ REC709_Y) > 0.18
    lo, hi = STRIPE_PERIOD_M
    return {
        "knit": float(knit),
        "stripes": float(stripes),
        "stripe_rgb": np.array(STRIPE_DARK if light else STRIPE_LIGHT),
        "stripe_period": lo + (hi - lo) * identity_unit(identity_id, "stripe"),
    }
