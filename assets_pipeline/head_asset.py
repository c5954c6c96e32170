"""HeadAsset: a self-contained, renderer-independent parametric head (numpy only).

A HeadAsset holds a neutral upper-body mesh and linear bases that turn
(identity, expression, head pose) into vertices:

    v = template + sum_k c_k(identity) * identity_shapes[k]        (phenotypes, nonlinear c_k)
                 + sum_j l_j * local_shapes[j]                      (local changes, signed pairs)
                 + sum_u w_u * expression_shapes[u]                 (52 ARKit face units)
                 + sum_h s_h * hair_shapes[h]                       (hair shell, optional)
    v' = LBS(v, neck/head chain rotated by the head pose)

Coordinates: metres, "head frame" = OpenCV-like (x to the image right = the subject's left,
y down, z from the face towards the back of the head), origin at the midpoint of the two
eyeball centres of the mean identity. A head looking straight at a camera whose axes are
aligned with this frame has pose R = I.

Phenotype coefficients follow the MakeHuman/anny macro-modifier scheme (piecewise-linear
interpolation between anchor variations, multiplied per blendshape; anny, Apache-2.0,
NAVER Corp. -- reimplemented here in numpy so rendering never needs anny or torch).

The file format is one uncompressed ``.npz`` (fast to load) with a JSON ``meta`` entry.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from assets_pipeline.fileio import atomic_write

# 2: MakeHuman upper body with the arms down, vertices top-down; 3: hair shell;
# 4: hair shell with a higher, softer front hairline (shift-type hairline basis);
# 5: the eased "angry" and "sad" presets (assets_pipeline.expressions, 0.6.0); 6: the hair
# curtain (0.7.0); 7: teeth and tongue 4 mm forward (makehuman.TEETH_FORWARD_M, 0.8.0);
# 8: upper teeth fixed to the skull under the face units (makehuman.UPPER_TEETH, 0.9.0);
# 9: the curtain's ragged ends (assets_pipeline.hair_curtain, 0.11.0)
ASSET_FORMAT_VERSION = 9
# face_part codes shared by every asset source (the full table in HeadAsset's docstring).
PART_SKIN, PART_TEETH, PART_TONGUE = 0, 2, 8  # the skin mesh; teeth; tongue (format 8)

# Variation names per phenotype, in the order of anny's PHENOTYPE_VARIATIONS; the columns of
# ``phenotype_mask`` follow this flattened order.
PHENOTYPE_VARIATIONS: dict[str, list[str]] = {
    "race": ["african", "asian", "caucasian"],
    "gender": ["male", "female"],
    "age": ["newborn", "baby", "child", "young", "old"],
    "muscle": ["minmuscle", "averagemuscle", "maxmuscle"],
    "weight": ["minweight", "averageweight", "maxweight"],
    "height": ["minheight", "maxheight"],
    "proportions": ["idealproportions", "uncommonproportions"],
    "cupsize": ["mincup", "averagecup", "maxcup"],
    "firmness": ["minfirmness", "averagefirmness", "maxfirmness"],
}


def maleness(gender: float) -> float:
    """How male a ``gender`` phenotype value is, in [0, 1]. anny's (and MakeHuman's)
    axis runs from 0 = male to 1 = female (its variations are ``["male", "female"]``);
    code that means "more male" goes through this function, never through ``gender``
    itself (before 0.7.0 baldness, receding temples and stubble were keyed to gender 1,
    i.e. drawn on female phenotypes)."""
    return float(np.clip(1.0 - gender, 0.0, 1.0))


def age_years(age: float) -> float:
    """anny/MakeHuman age phenotype -> years (child 1/3 = 11, young 2/3 = 25, old 1 = 90,
    linear in between)."""
    a = float(age)
    if a >= 2.0 / 3.0:
        return 25.0 + (a - 2.0 / 3.0) * 3.0 * 65.0
    return max(1.0, 11.0 + (a - 1.0 / 3.0) * 3.0 * 14.0)


PHENOTYPES: tuple[str, ...] = (
    "gender",
    "age",
    "muscle",
    "weight",
    "height",
    "proportions",
    "african",
    "asian",
    "caucasian",
)
# Names of the four bones of the neck/head chain, root first.
CHAIN_BONES: tuple[str, ...] = ("neck01", "neck02", "neck03", "head")
# Share of the head rotation carried by each chain bone (sums to 1): the neck bends
# progressively, the head carries the rest, so the shoulders stay put.
CHAIN_SHARES: tuple[float, ...] = (0.15, 0.2, 0.25, 0.4)


class AssetError(ValueError):
    """A head asset file is missing, unreadable or inconsistent."""


def _anchors(name: str) -> np.ndarray:
    n = len(PHENOTYPE_VARIATIONS[name])
    if name == "age":
        return np.linspace(-1.0 / 3.0, 1.0, n)
    return np.linspace(0.0, 1.0, n)


def _interp(value: float, anchors: np.ndarray) -> np.ndarray:
    value = float(np.clip(value, anchors[0], anchors[-1]))
    idx = int(np.clip(np.searchsorted(anchors, value, side="left"), 1, len(anchors) - 1))
    alpha = (value - anchors[idx - 1]) / (anchors[idx] - anchors[idx - 1])
    w = np.zeros(len(anchors))
    w[idx - 1] = 1.0 - alpha
    w[idx] = alpha
    return w


def phenotype_variation_weights(phenotypes: dict[str, float]) -> np.ndarray:
    """Weight of every phenotype variation (flattened PHENOTYPE_VARIATIONS order), float64.

    Unspecified phenotypes are 0.5 (anny's default); races are normalised to sum to 1.
    """
    unknown = set(phenotypes) - set(PHENOTYPES)
    if unknown:
        raise AssetError(f"unknown phenotype(s) {sorted(unknown)}; valid: {list(PHENOTYPES)}")
    get = {k: float(phenotypes.get(k, 0.5)) for k in PHENOTYPES}
    parts = []
    for name in PHENOTYPE_VARIATIONS:
        if name == "race":
            r = np.array([get["african"], get["asian"], get["caucasian"]])
            s = r.sum()
            parts.append(r / s if s > 0 else np.full(3, 1.0 / 3.0))
        elif name in ("cupsize", "firmness"):
            parts.append(_interp(0.5, _anchors(name)))
        else:
            parts.append(_interp(get[name], _anchors(name)))
    return np.concatenate(parts)


@dataclass(frozen=True)
class HeadAsset:
    """Arrays of a parametric upper body; see the module docstring for the model.

    Shapes (V vertices, F triangles, P phenotype shapes, L local changes, U face units):
    template (V,3) f32 m; faces (F,3) i32; face_region (F,) u8 (synth.spec.MASK_CLASSES);
    face_scalp (F,) bool (painted as hair when an identity has hair);
    face_part (F,) u8 (0 skin mesh, 1 eyeball sclera, 2 teeth, 3 eyelashes, 4 clothing,
    5 iris, 6 pupil, 7 hair shell, 8 tongue);
    uv (F,3,2) f32; phenotype_shapes (P,V,3) f32; phenotype_mask (P,26) bool;
    local_shapes (L,2,V,3) f32 (positive, negative direction); expression_shapes (U,V,3) f32;
    chain_weights (V,4) f32 (LBS weight of neck01, neck02, neck03, head; rest = torso);
    joint_template (J,3) f32 and joint_*_shapes: chain joints + eye centres (J = 6) with the
    same bases as the vertices; landmark_faces (68,) i32 and landmark_bary (68,3) f32;
    hair_names / hair_shapes (H,V,3) f32: the hair shell's bases (face_part 7, see
    assets_pipeline.hair_shell); H = 0 for assets without a shell, which paint the
    ``face_scalp`` faces as hair instead.
    """

    template: np.ndarray
    faces: np.ndarray
    face_region: np.ndarray
    face_scalp: np.ndarray
    face_part: np.ndarray
    uv: np.ndarray
    phenotype_shapes: np.ndarray
    phenotype_mask: np.ndarray
    local_names: tuple[str, ...]
    local_shapes: np.ndarray
    expression_names: tuple[str, ...]
    expression_shapes: np.ndarray
    chain_weights: np.ndarray
    joint_names: tuple[str, ...]
    joint_template: np.ndarray
    joint_phenotype_shapes: np.ndarray
    joint_local_shapes: np.ndarray
    joint_expression_shapes: np.ndarray
    landmark_faces: np.ndarray
    landmark_bary: np.ndarray
    presets: dict[str, dict[str, float]]
    hair_names: tuple[str, ...] = ()
    hair_shapes: np.ndarray | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.hair_shapes is None:
            empty = np.zeros((0, *self.template.shape), np.float32)
            object.__setattr__(self, "hair_shapes", empty)
        if len(self.hair_names) != len(self.hair_shapes):
            raise AssetError(
                f"{len(self.hair_names)} hair names for {len(self.hair_shapes)} hair shapes"
            )

    @property
    def has_hair_shell(self) -> bool:
        return len(self.hair_names) > 0

    # ------------------------------------------------------------------ evaluation
    @property
    def n_vertices(self) -> int:
        return int(self.template.shape[0])

    @cached_property
    def _extents(self) -> dict[str, np.ndarray | int]:
        """Per basis, how many leading vertices it moves (the rest of its rows are zero).

        The MakeHuman asset orders vertices from the top down, so face units and local
        changes of the head touch a prefix only and cost a fraction of the mesh to apply."""
        return {
            "phenotype": support_extent(self.phenotype_shapes),
            "local": support_extent(self.local_shapes),
            "expression": support_extent(self.expression_shapes),
            "hair": support_extent(self.hair_shapes),
            "chain": int(support_extent(self.chain_weights[None])[0]),
        }

    def identity_offsets(
        self,
        phenotypes: dict[str, float],
        local_changes: dict[str, float],
        hair_shape: dict[str, float] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Vertex (V,3) and joint (J,3) offsets of an identity from the template, float32.

        Identities are aligned at the eye midpoint (phenotypes such as height move the
        whole body in the source model): every identity's eye midpoint is the origin.
        ``hair_shape`` (name in ``hair_names`` -> coefficient) inflates the hair shell; an
        asset without a shell ignores it (it paints its scalp instead).
        """
        var_w = phenotype_variation_weights(phenotypes)
        mask = self.phenotype_mask
        coeff = np.prod(np.where(mask, var_w[None, :], 1.0), axis=1)
        nz = np.nonzero(coeff > 1e-9)[0]
        c = coeff[nz].astype(np.float32)
        dv = lincomb(c, self.phenotype_shapes, nz, self._extents["phenotype"])
        dj = lincomb(c, self.joint_phenotype_shapes, nz)
        if local_changes:
            unknown = set(local_changes) - set(self.local_names)
            if unknown:
                raise AssetError(f"unknown local change(s) {sorted(unknown)[:5]}")
            for name, val in local_changes.items():
                if val == 0.0:
                    continue
                i = self.local_names.index(name)
                side = 0 if val > 0 else 1
                a = np.float32(abs(val))
                n = self._extents["local"][i, side]
                dv[:n] += a * self.local_shapes[i, side, :n]
                dj += a * self.joint_local_shapes[i, side]
        if hair_shape and self.has_hair_shell:
            unknown = set(hair_shape) - set(self.hair_names)
            if unknown:
                raise AssetError(
                    f"unknown hair shape(s) {sorted(unknown)}; valid: {list(self.hair_names)}"
                )
            for name, val in hair_shape.items():
                i = self.hair_names.index(name)
                n = self._extents["hair"][i]
                dv[:n] += np.float32(val) * self.hair_shapes[i, :n]
        eyes = [self.joint_names.index("eye.L"), self.joint_names.index("eye.R")]
        shift = (self.joint_template[eyes] + dj[eyes]).mean(axis=0)
        return (dv - shift).astype(np.float32), (dj - shift).astype(np.float32)

    def expression_offsets(self, face_units: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """Vertex (V,3) and joint (J,3) offsets of ARKit face-unit weights, float32."""
        unknown = set(face_units) - set(self.expression_names)
        if unknown:
            raise AssetError(
                f"unknown face unit(s) {sorted(unknown)}; valid: {list(self.expression_names)}"
            )
        w = np.zeros(len(self.expression_names), dtype=np.float32)
        for name, val in face_units.items():
            w[self.expression_names.index(name)] = val
        nz = np.nonzero(w)[0]
        dv = lincomb(w[nz], self.expression_shapes, nz, self._extents["expression"])
        dj = lincomb(w[nz], self.joint_expression_shapes, nz)
        return dv, dj

    def preset_weights(self, name: str, intensity: float = 1.0) -> dict[str, float]:
        """Face-unit weights of a named preset scaled by ``intensity`` in [0, 1]."""
        if name not in self.presets:
            raise AssetError(f"unknown expression {name!r}; valid: {sorted(self.presets)}")
        if not 0.0 <= intensity <= 1.0:
            raise AssetError(f"intensity must be in [0, 1], got {intensity}")
        return {k: float(v) * intensity for k, v in self.presets[name].items()}

    def posed(
        self, rest: np.ndarray, joints: np.ndarray, head_rotation: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rotate the head by ``head_rotation`` (3x3, head frame) with the neck chain.

        Linear blend skinning over the chain neck01 -> neck02 -> neck03 -> head; each bone
        turns by a share of the rotation's axis-angle about its own joint, so the composed
        rotation at the head is exactly ``head_rotation`` and the torso does not move.
        Returns posed vertices (V,3) and posed joints (J,3), float32.
        """
        rotvec = _rotvec(head_rotation)
        transforms = []
        acc = np.eye(4)
        for b, share in enumerate(CHAIN_SHARES):
            pivot = joints[b].astype(np.float64)
            local = np.eye(4)
            local[:3, :3] = _from_rotvec(rotvec * share)
            local[:3, 3] = pivot - local[:3, :3] @ pivot
            acc = acc @ local
            transforms.append(acc.copy())
        T = np.stack(transforms)  # (4,4,4)
        # Vertices past the chain's extent are torso only: they keep their rest position.
        n = self._extents["chain"]
        w = self.chain_weights[:n].astype(np.float64)
        w_rest = 1.0 - w.sum(axis=1, keepdims=True)
        blended = np.einsum("vb,bij->vij", w, T[:, :3, :])
        blended[:, :, :3] += w_rest[:, :, None] * np.eye(3)[None]
        out = rest.astype(np.float64)
        x = out[:n]
        out[:n] = np.einsum("vij,vj->vi", blended[:, :, :3], x) + blended[:, :, 3]
        # Joints: the chain joints follow their parent; eye centres follow the head.
        jt = joints.astype(np.float64)
        posed_j = jt.copy()
        for b in range(1, len(CHAIN_BONES)):
            posed_j[b] = T[b - 1, :3, :3] @ jt[b] + T[b - 1, :3, 3]
        for j in range(len(CHAIN_BONES), len(jt)):
            posed_j[j] = T[-1, :3, :3] @ jt[j] + T[-1, :3, 3]
        return out.astype(np.float32), posed_j.astype(np.float32)

    def evaluate(
        self,
        phenotypes: dict[str, float] | None = None,
        local_changes: dict[str, float] | None = None,
        face_units: dict[str, float] | None = None,
        head_rotation: np.ndarray | None = None,
        hair_shape: dict[str, float] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Identity + expression + pose -> (vertices (V,3), joints (J,3)) float32, head frame."""
        dv, dj = self.identity_offsets(phenotypes or {}, local_changes or {}, hair_shape)
        ev, ej = self.expression_offsets(face_units or {})
        rest = self.template + dv + ev
        joints = self.joint_template + dj + ej
        R = np.eye(3) if head_rotation is None else np.asarray(head_rotation, dtype=np.float64)
        return self.posed(rest, joints, R)

    def landmarks(self, vertices: np.ndarray) -> np.ndarray:
        """68 iBUG landmark positions (68,3) on the surface of ``vertices``."""
        tri = vertices[self.faces[self.landmark_faces]]  # (68,3,3)
        return np.einsum("lk,lkd->ld", self.landmark_bary, tri).astype(np.float32)

    # ------------------------------------------------------------------ io
    def save(self, path: str | os.PathLike) -> Path:
        """Write atomically to ``path`` (.npz)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {
            k: getattr(self, k)
            for k in self.__dataclass_fields__
            if isinstance(getattr(self, k), np.ndarray)
        }
        meta = dict(self.meta)
        meta.update(
            format_version=ASSET_FORMAT_VERSION,
            local_names=list(self.local_names),
            expression_names=list(self.expression_names),
            joint_names=list(self.joint_names),
            hair_names=list(self.hair_names),
            presets=self.presets,
        )

        def write(tmp: Path) -> None:
            with open(tmp, "wb") as fh:
                np.savez(fh, meta=np.array(json.dumps(meta, sort_keys=True)), **arrays)

        return atomic_write(path, write)

    @staticmethod
    def format_version(path: str | os.PathLike) -> int | None:
        """The format version stored in an asset file, None when it is not readable."""
        try:
            with np.load(path, allow_pickle=False) as z:
                return json.loads(str(z["meta"])).get("format_version")
        except Exception:  # a missing or foreign file has no version
            return None

    @classmethod
    def load(cls, path: str | os.PathLike) -> HeadAsset:
        """Load an asset written by :meth:`save`; raises AssetError on a bad file."""
        path = Path(path)
        if not path.is_file():
            raise AssetError(f"head asset not found: {path} (run `synth assets build`)")
        try:
            with np.load(path, allow_pickle=False) as z:
                data = {k: z[k] for k in z.files}
            meta = json.loads(str(data.pop("meta")))
        except Exception as exc:  # zipfile/ValueError/JSON errors all mean "not an asset"
            raise AssetError(f"not a readable head asset: {path} ({exc})") from exc
        if meta.get("format_version") != ASSET_FORMAT_VERSION:
            raise AssetError(
                f"head asset {path} has format {meta.get('format_version')}, "
                f"expected {ASSET_FORMAT_VERSION}; rebuild it with `synth assets build`"
            )
        missing = [
            k
            for k, f in cls.__dataclass_fields__.items()
            if f.type == "np.ndarray" and k not in data
        ]
        if missing:
            raise AssetError(f"head asset {path} lacks arrays {missing}")
        return cls(
            **data,
            local_names=tuple(meta.pop("local_names")),
            expression_names=tuple(meta.pop("expression_names")),
            joint_names=tuple(meta.pop("joint_names")),
            hair_names=tuple(meta.pop("hair_names", ())),
            presets=meta.pop("presets"),
            meta=meta,
        )


def lincomb(
    coeffs: np.ndarray, shapes: np.ndarray, rows: np.ndarray, extent: np.ndarray | None = None
) -> np.ndarray:
    """sum_k coeffs[k] * shapes[rows[k]] in float32, accumulated in a fixed order with
    elementwise ufuncs: unlike BLAS (whose reduction order follows the thread count), the
    result is bit-identical on every machine and in every worker. ``extent[r]`` (from
    :func:`support_extent`) limits row ``r`` to its leading non-zero vertices."""
    out = np.zeros(shapes.shape[1:], dtype=np.float32)
    for c, r in zip(np.asarray(coeffs, dtype=np.float32), rows, strict=True):
        n = shapes.shape[1] if extent is None else int(extent[r])
        out[:n] += c * shapes[r, :n]
    return out


def support_extent(shapes: np.ndarray) -> np.ndarray:
    """For bases shaped (..., V, 3): 1 + the last vertex each basis moves (0 if none)."""
    moved = np.any(shapes != 0, axis=-1)  # (..., V)
    last = moved.shape[-1] - np.argmax(moved[..., ::-1], axis=-1)
    return np.where(moved.any(axis=-1), last, 0)


def transform_points(points: np.ndarray, R: np.ndarray, t: np.ndarray) -> np.ndarray:
    """R @ p + t for (N,3) points with elementwise ufuncs (bit-reproducible, see lincomb)."""
    p = np.asarray(points, dtype=np.float64)
    R = np.asarray(R, dtype=np.float64)
    cols = [p[:, 0] * R[i, 0] + p[:, 1] * R[i, 1] + p[:, 2] * R[i, 2] + t[i] for i in range(3)]
    return np.stack(cols, axis=1)


def _rotvec(R: np.ndarray) -> np.ndarray:
    """Axis-angle vector of a rotation matrix (robust near 0 and pi)."""
    from scipy.spatial.transform import Rotation

    return Rotation.from_matrix(np.asarray(R, dtype=np.float64)).as_rotvec()


def _from_rotvec(v: np.ndarray) -> np.ndarray:
    theta = float(np.linalg.norm(v))
    if theta < 1e-12:
        return np.eye(3)
    k = v / theta
    Kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(theta) * Kx + (1 - np.cos(theta)) * (Kx @ Kx)
