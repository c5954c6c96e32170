"""What identities look like, as colour palettes and draws: hair and iris colours by
ancestry and age, clothing colours as worn, and the skin map an identity draws from a
user's directory. Pure functions of phenotypes and random draws; synth.sampling calls
them from each identity's streams (see its module docstring)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from assets_pipeline.head_asset import age_years, maleness
from synth.background import pick, srgb_to_linear

# Hair pigment (linear albedo): black / dark brown, brown, blonde; and grey, which hair
# turns towards with age (``hair_color``).
_HAIR_DARK, _HAIR_BROWN, _HAIR_BLONDE = (0.05, 0.035, 0.025), (0.2, 0.12, 0.06), (0.45, 0.3, 0.15)
_HAIR_GREY = (0.55, 0.5, 0.45)
# Iris colours (linear albedo). An iris reflects ~5-15 % of the light (brown irises the
# least): at the albedos of light skin (0.6.0 halved them) irises glowed amber on contact
# sheets.
_EYE_BROWN, _EYE_DARK = (0.12, 0.065, 0.03), (0.045, 0.027, 0.016)
_EYE_HAZEL, _EYE_BLUE, _EYE_GREEN = (0.2, 0.13, 0.045), (0.09, 0.16, 0.26), (0.12, 0.19, 0.1)
# Their shares by ancestry (``eye_color``): light eyes are common only with European
# ancestry (about half of Europeans have blue, green or hazel eyes); with African and East
# Asian ancestry irises are brown to near-black. 0.7.0 drew one world mix for everyone,
# which gave dark-skinned faces blue eyes as often as light-skinned ones.
EYE_SHARES_EUROPEAN = (
    ("brown", 0.3),
    ("dark", 0.1),
    ("hazel", 0.15),
    ("blue", 0.35),
    ("green", 0.1),
)
EYE_SHARES_OTHER = (("brown", 0.37), ("dark", 0.6), ("hazel", 0.03), ("blue", 0.0), ("green", 0.0))
_EYE_BY_NAME = {
    "brown": _EYE_BROWN, "dark": _EYE_DARK, "hazel": _EYE_HAZEL, "blue": _EYE_BLUE,
    "green": _EYE_GREEN,
}  # fmt: skip


# Clothing colours as worn (name: sRGB 0-255, weight): dark, neutral and muted colours
# dominate; a few saturated ones. Uniform RGB cubes gave every subject a neon shirt.
_CLOTHING_SRGB: dict[str, tuple[tuple[int, int, int], int]] = {
    "black": ((22, 22, 24), 16),
    "white": ((238, 236, 230), 9),
    "mid grey": ((128, 128, 130), 8),
    "charcoal": ((62, 62, 66), 7),
    "navy": ((32, 42, 72), 10),
    "denim / mid blue": ((66, 96, 140), 6),
    "light blue": ((150, 175, 200), 4),
    "beige": ((190, 170, 140), 6),
    "brown": ((100, 72, 50), 5),
    "olive": ((86, 92, 58), 5),
    "bottle green": ((40, 70, 55), 3),
    "burgundy": ((110, 30, 40), 4),
    "red": ((185, 40, 40), 3),
    "mustard": ((225, 195, 90), 2),
    "dusty pink": ((215, 160, 170), 3),
    "lavender": ((140, 120, 160), 2),
    "teal": ((60, 140, 140), 2),
    "orange": ((230, 120, 50), 1),
}
_CLOTHING_SHARES = {name: float(w) for name, (_, w) in _CLOTHING_SRGB.items()}


def sample_clothing_rgb(rng: np.random.Generator) -> np.ndarray:
    """Linear-RGB colour of a top: a colour from _CLOTHING_SRGB by its weight, its
    brightness x0.8-1.2 and each channel x0.93-1.07 (dye and fading differences)."""
    srgb = np.array(_CLOTHING_SRGB[pick(rng, _CLOTHING_SHARES)][0]) / 255.0
    lin = srgb_to_linear(srgb) * rng.uniform(0.8, 1.2) * rng.uniform(0.93, 1.07, size=3)
    return np.clip(lin, 0.005, 0.9)


def hair_color(phen: dict[str, float], u: float, brightness: float) -> np.ndarray:
    """Linear RGB hair colour from the phenotype and two draws: the pigment by ancestry
    (black / dark brown for 35 % plus 60 % of the African and Asian weights, blonde for
    35 % of the European weight, brown otherwise; ``u`` picks), its brightness x
    ``brightness``, then greyed with age: none up to 35 years, fully grey at 70 (0.6.0
    drew grey for a quarter of everyone, young women included)."""
    p_dark = min(1.0, 0.35 + 0.6 * (phen.get("african", 0.0) + phen.get("asian", 0.0)))
    p_blonde = min(1.0 - p_dark, 0.35 * phen.get("caucasian", 0.0))
    base = _HAIR_DARK if u < p_dark else _HAIR_BLONDE if u < p_dark + p_blonde else _HAIR_BROWN
    grey = float(np.clip((age_years(phen.get("age", 0.5)) - 35.0) / 35.0, 0.0, 1.0))
    return (np.array(base) * brightness) * (1.0 - grey) + np.array(_HAIR_GREY) * grey


def eye_shares(phen: dict[str, float]) -> dict[str, float]:
    """Share of each iris colour for a phenotype: the European shares weighted by the
    ``caucasian`` phenotype, the others' by the rest."""
    w = float(np.clip(phen.get("caucasian", 0.0), 0.0, 1.0))
    return {
        name: w * eu + (1.0 - w) * other
        for (name, eu), (_, other) in zip(EYE_SHARES_EUROPEAN, EYE_SHARES_OTHER, strict=True)
    }


def eye_color(phen: dict[str, float], u: float, brightness: float) -> np.ndarray:
    """Linear RGB iris colour: the colour ``u`` picks from ``eye_shares(phen)`` (in their
    order, by cumulative share), times ``brightness``."""
    shares = eye_shares(phen)
    cum = np.cumsum(list(shares.values()))
    name = list(shares)[min(int(np.searchsorted(cum, u * cum[-1], side="right")), len(cum) - 1)]
    return np.array(_EYE_BY_NAME[name]) * brightness


def pick_skin_map(files: Sequence[str], gender: float, rng: np.random.Generator) -> str:
    """One skin map for an identity of anny ``gender`` (0 = male): uniformly from the
    ``files`` whose name has the word of its sex ('male' / 'female', split on
    non-letters, as in MakeHuman's ``young_lightskinned_male_diffuse.png``) or no sex
    word, or from all of them if none is left."""
    sex = "male" if maleness(gender) > 0.5 else "female"

    def word(name: str) -> str | None:
        words = set(re.split(r"[^a-z]+", name.lower()))
        return "female" if "female" in words else "male" if "male" in words else None

    fits = [f for f in files if word(f) in (sex, None)] or list(files)
    return fits[int(rng.integers(len(fits)))]
