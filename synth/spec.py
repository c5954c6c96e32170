"""Sample schema and scene records: the one place the dataset contract lives.

Everything here is plain data (pydantic models, frozen) so that a SceneSpec or a sample
record serialises to JSON and back without loss. This module imports nothing heavier than
numpy and pydantic; ``models`` may import it (and nothing else of ``synth``).

Units and frames follow ``shared/ARCHITECTURE.md``: metres, OpenCV camera (x right, y down,
z forward), planar depth (z of the visible surface), 0 = no surface.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1

# Semantic mask classes, after the face-parsing tables users already train on
# (CelebAMask-HQ / LaPa / Helen): one uint8 id per pixel, 0 = background.
MASK_CLASSES: dict[int, str] = {
    0: "background",
    1: "skin",
    2: "nose",
    3: "left_eye",
    4: "right_eye",
    5: "left_brow",
    6: "right_brow",
    7: "left_ear",
    8: "right_ear",
    9: "mouth_interior",
    10: "upper_lip",
    11: "lower_lip",
    12: "neck",
    13: "hair",
    14: "clothing",
    15: "glasses",
    16: "scene",
}
MASK_CLASS_IDS: dict[str, int] = {name: i for i, name in MASK_CLASSES.items()}

# Classes that make the "face region" of the evaluation (the paper's facial crop, done as
# a mask: only these pixels count). "left"/"right" are the subject's own left/right.
FACE_REGION_CLASSES: tuple[int, ...] = tuple(
    MASK_CLASS_IDS[n]
    for n in (
        "skin",
        "nose",
        "left_eye",
        "right_eye",
        "left_brow",
        "right_brow",
        "mouth_interior",
        "upper_lip",
        "lower_lip",
    )
)

EXPRESSIONS: tuple[str, ...] = ("happy", "neutral", "angry", "scared", "sad")

DEPTH_CHANNEL = "Z"
RGB_DIR, DEPTH_DIR, MASK_DIR, NORMALS_DIR, MESH_DIR = "rgb", "depth", "mask", "normals", "mesh"
SAMPLES_FILE = "samples.jsonl"
DATASET_FILE = "dataset.json"

Split = Literal["train", "val", "test"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CameraSpec(_Frozen):
    """Pinhole camera. ``K`` in pixels; ``cam_from_world`` maps world (head-rig) metres to
    the OpenCV camera frame. ``focal_mm``/``sensor_mm`` follow Blender's convention: the
    sensor width spans the image width."""

    width: int
    height: int
    focal_mm: float
    sensor_mm: float
    distance_m: float
    near_m: float
    far_m: float
    K: list[list[float]]
    cam_from_world: list[list[float]]


class IdentitySpec(_Frozen):
    """A head identity: phenotype values in [0, 1] and local shape changes in [-1, 1],
    named as in the HeadAsset. ``identity_id`` is the index in the dataset's identity pool."""

    identity_id: int
    phenotypes: dict[str, float]
    local_changes: dict[str, float]
    skin_tone: float = Field(description="0 = lightest, 1 = darkest; shading only")
    has_hair: bool = Field(description="whether the identity has scalp hair (class 'hair')")
    hair_rgb: list[float]
    hair_shape: dict[str, float] = Field(
        default_factory=dict,
        description="hair shell coefficients (assets_pipeline.hair_shell.HAIR_SHAPES: "
        "volume, hairline, temples); all 0 without hair. Geometry: in depth and masks",
    )
    eye_rgb: list[float]
    clothing_rgb: list[float]
    skin_map: str | None = Field(
        None,
        description="file name, in the config's identity.skin_map_dir, of the skin map "
        "the Cycles skin shader takes its detail from; None: procedural. Shading only",
    )


class ExpressionSpec(_Frozen):
    """Expression preset name (or "mix"), its intensity in [0, 1] and the resolved
    ARKit face-unit weights actually applied (name -> weight in [0, 1])."""

    name: str
    intensity: float
    face_units: dict[str, float]


class HeadPoseSpec(_Frozen):
    """Head rotation relative to a head looking straight at the camera, degrees.
    Convention: R = Rz(roll) @ Ry(yaw) @ Rx(pitch) in the camera frame (x right, y down,
    z forward), rotating the head about its neck; yaw > 0 turns the face towards image
    left (the subject's right), pitch > 0 tilts the chin down, roll > 0 rotates the face
    clockwise in the image."""

    yaw_deg: float
    pitch_deg: float
    roll_deg: float


class LightSpec(_Frozen):
    """A point light in the camera frame (metres), linear RGB colour, power in watts."""

    kind: Literal["key", "fill", "random"]
    position_m: list[float]
    color_rgb: list[float]
    kelvin: float
    power_w: float


class BackgroundSpec(_Frozen):
    """Background: ``plain`` colour, ``textured`` wall plane, ``cluttered`` furnished room
    (back wall ``distance_m`` away, 1.5-4 m; synth.background, synth.room), or an ``image``.
    ``color_rgb``: the wall / backdrop paint, linear Rec.709 RGB in [0, 1] (mostly
    low-saturation neutrals). ``seed`` drives the procedural content."""

    kind: Literal["plain", "textured", "cluttered", "image"]
    color_rgb: list[float]
    distance_m: float
    seed: int
    image: str | None = None


class SceneSpec(_Frozen):
    """Every random choice for one sample: a pure function of (config, seed, index)."""

    schema_version: int = SCHEMA_VERSION
    seed: int
    index: int
    split: Split
    identity: IdentitySpec
    expression: ExpressionSpec
    head_pose: HeadPoseSpec
    body_yaw_deg: float = Field(
        0.0,
        description="torso rotation about the vertical axis, degrees, same sign convention as "
        "head yaw (> 0 turns the chest towards image left); pivots about the vertical line "
        "through the neck root. The head pose stays relative to the camera: the neck turns "
        "by the difference. 0 (and records written before this field) = square torso",
    )
    camera: CameraSpec
    lights: list[LightSpec]
    ambient: float
    background: BackgroundSpec

    @property
    def sample_id(self) -> str:
        return sample_id(self.index)


def sample_id(index: int) -> str:
    """Zero-padded sample id used in every file name."""
    return f"{index:06d}"


class Landmarks(_Frozen):
    """68 iBUG 300-W points: ``points_2d`` pixels (x, y), ``points_3d`` camera-frame metres,
    ``visible`` True where the point is not occluded and inside the image."""

    points_2d: list[list[float]]
    points_3d: list[list[float]]
    visible: list[bool]


class SampleRecord(_Frozen):
    """One line of ``samples.jsonl``. A sample is complete only when this line exists."""

    id: str
    index: int
    split: Split
    identity_id: int
    files: dict[str, str]
    scene: SceneSpec
    head_pose_matrix: list[list[float]]
    head_translation_m: list[float]
    landmarks: Landmarks
