"""Named expression presets as ARKit face-unit weight sets (intensity 1).

Each preset is a documented mix of the 52 ARKit blendshapes, built from the facial action
units that define the emotion in FACS/EMFACS (Ekman & Friesen): a preset at intensity t
applies ``t * weight`` to each unit. ``neutral`` is the rest face (no unit). The table is
mirrored in docs/ASSETS.md and checked visually in docs/img/expressions.png. 0.6.0 eased
the lower face of "angry" (lip press 0.6 -> 0.45, lower-lip roll and jaw thrust 0.2 ->
0.1) and "sad" (lip-corner depressor 0.85 -> 0.7, chin raiser 0.45 -> 0.25): at the
sampled intensities 0.6-1 both read as a caricatured pout on contact sheets.
"""

from __future__ import annotations

PRESETS: dict[str, dict[str, float]] = {
    # AU6 cheek raiser + AU12 lip-corner puller + AU10/25 (upper lip up, lips part): at
    # intensity 1 the mean face shows 7 mm of upper incisor between the lips, 5 mm at 0.6
    # (a social smile shows 75-100 % of the ~10 mm crown, Tjan et al. 1984); 0.9.0 raised
    # mouthUpperUp 0.2 -> 0.35 and jawOpen 0.12 -> 0.2 (4.2 mm: a tight-lipped smile).
    "happy": {
        "mouthSmileLeft": 0.9,
        "mouthSmileRight": 0.9,
        "cheekSquintLeft": 0.6,
        "cheekSquintRight": 0.6,
        "eyeSquintLeft": 0.35,
        "eyeSquintRight": 0.35,
        "mouthDimpleLeft": 0.3,
        "mouthDimpleRight": 0.3,
        "mouthUpperUpLeft": 0.35,
        "mouthUpperUpRight": 0.35,
        "jawOpen": 0.2,
    },
    "neutral": {},
    # AU4 brow lowerer + AU5/7 lid tightener + AU23/24 lip press, nose wrinkle
    "angry": {
        "browDownLeft": 0.9,
        "browDownRight": 0.9,
        "eyeSquintLeft": 0.5,
        "eyeSquintRight": 0.5,
        "noseSneerLeft": 0.5,
        "noseSneerRight": 0.5,
        "mouthPressLeft": 0.45,
        "mouthPressRight": 0.45,
        "mouthFrownLeft": 0.4,
        "mouthFrownRight": 0.4,
        "mouthRollLower": 0.1,
        "jawForward": 0.1,
    },
    # AU1+2 brow raise, AU4 inner, AU5 upper-lid raiser, AU20 lip stretcher, AU26 jaw drop
    "scared": {
        "browInnerUp": 0.9,
        "browOuterUpLeft": 0.4,
        "browOuterUpRight": 0.4,
        "eyeWideLeft": 0.9,
        "eyeWideRight": 0.9,
        "mouthStretchLeft": 0.6,
        "mouthStretchRight": 0.6,
        "mouthLowerDownLeft": 0.3,
        "mouthLowerDownRight": 0.3,
        "jawOpen": 0.3,
    },
    # AU1 inner brow raiser + AU4 + AU15 lip-corner depressor + AU17 chin raiser
    "sad": {
        "browInnerUp": 0.8,
        "browDownLeft": 0.25,
        "browDownRight": 0.25,
        "eyeSquintLeft": 0.15,
        "eyeSquintRight": 0.15,
        "eyeLookDownLeft": 0.25,
        "eyeLookDownRight": 0.25,
        "mouthFrownLeft": 0.7,
        "mouthFrownRight": 0.7,
        "mouthShrugLower": 0.25,
        "mouthPressLeft": 0.2,
        "mouthPressRight": 0.2,
    },
}

# The 52 ARKit face units, in Apple's documented order (the expression bases of every asset).
ARKIT_UNITS: tuple[str, ...] = (
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft", "eyeBlinkRight",
    "eyeLookDownLeft", "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight",
    "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight", "eyeSquintLeft",
    "eyeSquintRight", "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft", "jawOpen",
    "jawRight", "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft",
    "mouthFrownRight", "mouthFunnel", "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthPressLeft", "mouthPressRight", "mouthPucker", "mouthRight", "mouthRollLower",
    "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight",
    "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight",
    "noseSneerLeft", "noseSneerRight", "tongueOut",
)  # fmt: skip
# Units that make no sense in a random mix (they fight each other or hide the face).
_MIX_EXCLUDED = {"tongueOut", "cheekPuff", "jawLeft", "jawRight", "mouthLeft", "mouthRight"}
MIX_UNITS: tuple[str, ...] = tuple(u for u in ARKIT_UNITS if u not in _MIX_EXCLUDED)
