"""Export a HeadAsset as an FBX or binary glTF (.glb) with all its shape keys, via Blender.

What is written (``synth assets export``):

- one mesh, the asset's triangles and vertices (the FBX keeps the asset's vertex order and
  count; glTF splits vertices where UVs or materials differ), in Blender's frame (Z up, the
  face looks along -Y, metres; :mod:`assets_pipeline.blender_io`), which the FBX/glTF
  add-ons turn into their files' Y-up convention;
- base shape = the asset's mean identity (``meta["mean_identity"]``, the default adult) with
  the chosen expression preset at intensity 1;
- shape keys: every face unit of the asset (the 52 ARKit units, in Apple's order, plus any
  source-specific units), each base + unit offset; then one key per preset (happy, neutral,
  angry, scared, sad, in that order) holding that preset's absolute shape at intensity 1,
  so a DCC can switch between presets whatever the base expression is;
- one material per region class (named after ``synth.spec.MASK_CLASSES``, viewport colour
  from the contact-sheet palette) and the asset's UVs.

The file is written to a temporary file in the target folder and renamed into place.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from assets_pipeline.fileio import default_file_mode
from assets_pipeline.head_asset import AssetError, HeadAsset


def export_asset(
    asset_path: str | os.PathLike,
    out: str | os.PathLike,
    expression: str = "neutral",
    fmt: str | None = None,
) -> Path:
    """Write the asset at ``asset_path`` to ``out`` (.fbx or .glb); returns ``out``.

    ``fmt`` ("fbx" or "glb") defaults to ``out``'s suffix. Raises AssetError for an unknown
    expression or format, an unreadable asset or an unwritable destination.
    """
    from assets_pipeline.blender_io import EXPORT_FORMATS

    out = Path(out)
    fmt = (fmt or out.suffix.lstrip(".")).lower()
    if fmt not in EXPORT_FORMATS:
        raise AssetError(
            f"unknown export format {fmt or '(none)'!r} for {out}; "
            f"valid: {sorted(EXPORT_FORMATS)} (--format or the file suffix)"
        )
    asset = HeadAsset.load(asset_path)
    base_units = asset.preset_weights(expression)  # AssetError for an unknown preset
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=f".{fmt}")
        os.close(fd)
        os.chmod(tmp, default_file_mode())  # mkstemp makes the file 0600
    except OSError as exc:
        raise AssetError(f"cannot write {out}: {exc.strerror or exc}") from None
    try:
        _write(asset, Path(tmp), fmt, base_units)
        os.replace(tmp, out)
    except OSError as exc:
        raise AssetError(f"cannot write {out}: {exc.strerror or exc}") from None
    finally:
        Path(tmp).unlink(missing_ok=True)
    return out


def preset_order(asset: HeadAsset) -> list[str]:
    """The asset's presets in the order of ``synth.spec.EXPRESSIONS``, then any others."""
    from synth.spec import EXPRESSIONS

    return [p for p in EXPRESSIONS if p in asset.presets] + sorted(
        p for p in asset.presets if p not in EXPRESSIONS
    )


def shape_key_names(asset: HeadAsset) -> list[str]:
    """Names of the shape keys an export of ``asset`` holds, in order (after ``Basis``)."""
    return [*asset.expression_names, *preset_order(asset)]


def _write(asset: HeadAsset, path: Path, fmt: str, base_units: dict[str, float]) -> None:
    from assets_pipeline.blender_io import (
        HEAD_FROM_BLENDER,
        empty_blender,
        export_scene,
        new_mesh_object,
    )
    from synth.contact_sheet import PALETTE
    from synth.spec import MASK_CLASSES

    identity = dict(asset.meta.get("mean_identity", {}))
    dv, _ = asset.identity_offsets(identity, {})
    mean = asset.template + dv

    def shape(units: dict[str, float]) -> np.ndarray:
        ev, _ = asset.expression_offsets(units)
        return mean + ev

    base = shape(base_units)
    to_blender = HEAD_FROM_BLENDER.T  # inverse of a rotation
    keys = [(u, base + asset.expression_shapes[i]) for i, u in enumerate(asset.expression_names)]
    keys += [(p, shape(asset.preset_weights(p))) for p in preset_order(asset)]
    classes = np.unique(asset.face_region)
    materials = [(MASK_CLASSES[int(c)], tuple(PALETTE[int(c)] / 255.0)) for c in classes]
    with empty_blender() as bpy:
        new_mesh_object(
            bpy,
            "head",
            base @ to_blender.T,
            asset.faces,
            uv=asset.uv,
            material_index=np.searchsorted(classes, asset.face_region),
            materials=materials,
            shape_keys=[(name, pos @ to_blender.T) for name, pos in keys],
        )
        export_scene(bpy, path, fmt)
