"""Bake a body pose (arms hanging down) into the MakeHuman mesh at asset build time.

MakeHuman's rest pose is an A-pose: the arms point 40 degrees below the horizontal and the
forearms reach forward. A portrait needs them hanging at the sides. We pose the arm chain
once with linear blend skinning and store the posed template and posed bases.

With the bone rotations held fixed, LBS is *linear* in the rest vertices and the rest joint
positions together: each posed bone maps x to ``R_b (G_parent(x) - G_parent(p_b)) +
G_parent(p_b)``, which has no constant term. So a blendshape's posed offset is the same
map applied to the (vertex offset, joint offset) pair: identities that move the shoulder
(height, weight, muscle) still get arms that hang from their own shoulders, and the asset
stays a linear model. The rotations are computed once, for the mean identity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Posed bones, root first, and the share of the arm's swing each one carries.
SWING_SHARES = (("shoulder01", 0.2), ("upperarm01", 0.8))
ARM_BELOW_VERTICAL_DEG = 9.0  # upper arm, outwards from straight down
ELBOW_BEND_DEG = 12.0  # forearm, forwards from the upper arm's direction
ELBOW_BONE = "lowerarm01"


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotation (3x3) taking direction ``a`` to direction ``b``."""
    a = a / np.linalg.norm(a)
    b = b / np.linalg.norm(b)
    axis = np.cross(a, b)
    s, c = np.linalg.norm(axis), float(np.dot(a, b))
    if s < 1e-12:
        return np.eye(3)
    return axis_angle(axis / s, float(np.arctan2(s, c)))


def axis_angle(axis: np.ndarray, angle: float) -> np.ndarray:
    k = np.asarray(axis, dtype=np.float64)
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(angle) * K + (1 - np.cos(angle)) * (K @ K)


@dataclass(frozen=True)
class ArmPose:
    """Fixed-rotation LBS of both arm chains (anny frame: x subject's left, y back, z up).

    ``bones`` are the posed bones of both sides, each after its posed parent, with world
    ``rotations`` about their (posed) heads; ``owner[b]`` is, for every bone of the rig,
    the index in ``bones`` of its deepest posed ancestor-or-self, -1 when it does not move;
    ``weights[v, i]`` is vertex v's skinning weight on the bones that ``bones[i]`` owns.
    """

    bones: tuple[int, ...]  # posed bones, flattened, each after its posed ancestors
    parents: tuple[int, ...]  # index into ``bones`` of the posed parent, -1 for none
    rotations: np.ndarray  # (B,3,3)
    owner: np.ndarray  # (n_bones,) int
    weights: np.ndarray  # (V, n_posed) skinning weight of each vertex on each posed group

    def apply(self, x: np.ndarray, joints: np.ndarray) -> np.ndarray:
        """Pose points ``x`` (..., V, 3) given the rest joint heads ``joints`` (..., n_bones, 3).

        Linear in (x, joints): pass offsets to pose a blendshape's offsets."""
        x = np.asarray(x, dtype=np.float64)
        joints = np.asarray(joints, dtype=np.float64)
        rest_w = 1.0 - self.weights.sum(axis=1)
        out = x * rest_w[:, None]
        M, c = [], []  # posed transform of each posed bone: y = M x + c
        for i, (b, par) in enumerate(zip(self.bones, self.parents, strict=True)):
            Mp = np.eye(3) if par < 0 else M[par]
            cp = np.zeros_like(joints[..., b, :]) if par < 0 else c[par]
            pivot = joints[..., b, :] @ Mp.T + cp
            R = self.rotations[i]
            M.append(R @ Mp)
            c.append(cp @ R.T + pivot - pivot @ R.T)
            out = out + self.weights[:, i, None] * (x @ M[i].T + c[i][..., None, :])
        return out


def arm_pose(
    bone_labels: list[str],
    bone_parents: list[int],
    joints: np.ndarray,
    vertex_bone_index: np.ndarray,
    vertex_bone_weight: np.ndarray,
) -> ArmPose:
    """Rotations that hang both arms down for the rest joints ``joints`` (mean identity)."""
    n = len(bone_labels)
    bones, parents, rots = [], [], []
    for side, sign in ((".L", 1.0), (".R", -1.0)):
        shoulder = bone_labels.index("upperarm01" + side)
        elbow = bone_labels.index(ELBOW_BONE + side)
        wrist = bone_labels.index("wrist" + side)
        upper = joints[elbow] - joints[shoulder]
        a = np.radians(ARM_BELOW_VERTICAL_DEG)
        target = np.array([sign * np.sin(a), 0.0, -np.cos(a)])
        swing = rotation_between(upper, target)
        rotvec = _rotvec(swing)
        parent = -1
        for name, share in SWING_SHARES:
            bones.append(bone_labels.index(name + side))
            parents.append(parent)
            rots.append(axis_angle(rotvec / np.linalg.norm(rotvec), np.linalg.norm(rotvec) * share))
            parent = len(bones) - 1
        # Forearm: along the posed upper arm, bent forwards (-y) at the elbow.
        fore = swing @ (joints[wrist] - joints[elbow])
        bend = np.radians(ELBOW_BEND_DEG)
        axis = np.cross(target, [0.0, -1.0, 0.0])
        want = axis_angle(axis / np.linalg.norm(axis), bend) @ target
        bones.append(elbow)
        parents.append(parent)
        rots.append(rotation_between(fore, want))
    owner = -np.ones(n, dtype=np.int64)
    for b in range(n):  # deepest posed ancestor-or-self
        j = b
        while j >= 0 and j not in bones:
            j = bone_parents[j]
        owner[b] = bones.index(j) if j >= 0 else -1
    weights = np.zeros((len(vertex_bone_index), len(bones)))
    for slot in range(vertex_bone_index.shape[1]):
        o = owner[vertex_bone_index[:, slot]]
        sel = o >= 0
        np.add.at(weights, (np.nonzero(sel)[0], o[sel]), vertex_bone_weight[sel, slot])
    return ArmPose(tuple(bones), tuple(parents), np.stack(rots), owner, weights)


def _rotvec(R: np.ndarray) -> np.ndarray:
    from scipy.spatial.transform import Rotation

    return Rotation.from_matrix(R).as_rotvec()
