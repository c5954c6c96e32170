"""Mesh file I/O through Blender's own importers and exporters (``bpy``), shared by the
FBX/glTF source (:mod:`assets_pipeline.fbx`) and the exporter (:mod:`assets_pipeline.export`).

Frames: Blender is Z up and a character faces -Y (Blender's front view looks along +Y), so
the subject's left is +X. The head frame (x = subject's left, y down, z to the back) is
``head = HEAD_FROM_BLENDER @ blender``, i.e. ``(x, -z, y)``; Blender's FBX and glTF add-ons
convert their files' Y-up axes to Blender's on import and back on export.

:func:`empty_blender` resets bpy's in-process state to an empty factory scene before and
after its block: never interleave it with a live Blender renderer in the same process (the
CLI runs builds and exports in their own process).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assets_pipeline.head_asset import AssetError

HEAD_FROM_BLENDER = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
IMPORT_SUFFIXES = {".fbx": "fbx", ".glb": "gltf", ".gltf": "gltf"}
EXPORT_FORMATS = {"fbx": ".fbx", "glb": ".glb"}


@contextlib.contextmanager
def empty_blender() -> Iterator:
    """Yield ``bpy`` with an empty factory scene; reset again afterwards (module docstring)."""
    import bpy

    with _quiet():
        bpy.ops.wm.read_factory_settings(use_empty=True)
    try:
        yield bpy
    finally:
        with _quiet():
            bpy.ops.wm.read_factory_settings(use_empty=True)


@contextlib.contextmanager
def _quiet() -> Iterator[io.StringIO]:
    """Swallow the add-ons' console chatter (print and glTF's stdout log handler)."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        yield buf


def import_file(bpy, path: Path) -> None:
    """Import an .fbx/.glb/.gltf into the current scene; AssetError on any failure."""
    kind = IMPORT_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise AssetError(
            f"{path}: unsupported model file {path.suffix or '(no suffix)'}; "
            f"use one of {sorted(IMPORT_SUFFIXES)}"
        )
    if not path.is_file():
        raise AssetError(f"model file not found: {path}")
    try:
        with _quiet():
            if kind == "fbx":
                res = bpy.ops.import_scene.fbx(filepath=str(path), use_anim=False)
            else:
                res = bpy.ops.import_scene.gltf(filepath=str(path))
    except RuntimeError as exc:  # Blender reports import errors as "Error: <reason>"
        reason = str(exc).strip().splitlines()[0].removeprefix("Error: ").strip()
        raise AssetError(f"{path}: Blender could not import it ({reason})") from None
    if "FINISHED" not in res:
        raise AssetError(f"{path}: Blender could not import it ({sorted(res)})")


@dataclass
class MeshData:
    """A triangulated mesh read from Blender, in Blender world coordinates (metres).

    vertices (V,3) f64; triangles (F,3) i64; uv (F,3,2) f32 (zeros without a UV map);
    material (F,) names; shape_keys: name -> (V,3) f64 offsets from the key it is relative to.
    """

    name: str
    vertices: np.ndarray
    triangles: np.ndarray
    uv: np.ndarray
    material: np.ndarray
    shape_keys: dict[str, np.ndarray] = field(default_factory=dict)


def read_mesh(obj) -> MeshData:
    """Triangulated world-space arrays of a mesh object, with its shape keys."""
    me = obj.data
    n_v = len(me.vertices)
    mw = np.array(obj.matrix_world, dtype=np.float64)

    def world(co: np.ndarray) -> np.ndarray:
        return co @ mw[:3, :3].T + mw[:3, 3]

    co = np.zeros(n_v * 3)
    me.vertices.foreach_get("co", co)
    base_local = co.reshape(-1, 3)
    me.calc_loop_triangles()
    n_t = len(me.loop_triangles)
    tri = np.zeros(n_t * 3, dtype=np.int64)
    me.loop_triangles.foreach_get("vertices", tri)
    loops = np.zeros(n_t * 3, dtype=np.int64)
    me.loop_triangles.foreach_get("loops", loops)
    poly = np.zeros(n_t, dtype=np.int64)
    me.loop_triangles.foreach_get("polygon_index", poly)
    uv = np.zeros((n_t, 3, 2), dtype=np.float32)
    if me.uv_layers.active is not None and len(me.loops):
        all_uv = np.zeros(len(me.loops) * 2, dtype=np.float32)
        me.uv_layers.active.data.foreach_get("uv", all_uv)
        uv = all_uv.reshape(-1, 2)[loops].reshape(n_t, 3, 2)
    mat_idx = np.zeros(len(me.polygons), dtype=np.int64)
    me.polygons.foreach_get("material_index", mat_idx)
    names = [m.name if m is not None else "" for m in me.materials] or [""]
    mat_names = np.array(names, dtype=object)[np.clip(mat_idx[poly], 0, len(names) - 1)]
    keys: dict[str, np.ndarray] = {}
    if me.shape_keys is not None:
        blocks = me.shape_keys.key_blocks
        ref = me.shape_keys.reference_key
        if ref is not None:  # the reference key is the rest shape the mesh displays
            ref.data.foreach_get("co", co)
            base_local = co.reshape(-1, 3).copy()
        for kb in blocks:
            if ref is not None and kb.name == ref.name:
                continue
            kb.data.foreach_get("co", co)
            rel = kb.relative_key if kb.relative_key is not None else ref
            rco = np.zeros(n_v * 3)
            rel.data.foreach_get("co", rco)
            keys[kb.name] = (co - rco).reshape(-1, 3) @ mw[:3, :3].T
    return MeshData(
        name=obj.name,
        vertices=world(base_local),
        triangles=tri.reshape(-1, 3),
        uv=uv,
        material=mat_names,
        shape_keys=keys,
    )


def new_mesh_object(
    bpy,
    name: str,
    vertices: np.ndarray,
    triangles: np.ndarray,
    uv: np.ndarray | None = None,
    material_index: np.ndarray | None = None,
    materials: list[tuple[str, tuple[float, float, float]]] | None = None,
    shape_keys: list[tuple[str, np.ndarray]] | None = None,
):
    """Create a smooth-shaded mesh object in the scene (Blender coordinates, metres).

    ``uv`` (F,3,2) per corner; ``material_index`` (F,) into ``materials`` (name, RGB);
    ``shape_keys`` (name, absolute (V,3) positions) after a ``Basis`` key = ``vertices``.
    """
    me = bpy.data.meshes.new(name)
    v = np.asarray(vertices, dtype=np.float32)
    t = np.asarray(triangles, dtype=np.int32)
    me.vertices.add(len(v))
    me.vertices.foreach_set("co", v.ravel())
    me.loops.add(t.size)
    me.loops.foreach_set("vertex_index", t.ravel())
    me.polygons.add(len(t))
    me.polygons.foreach_set("loop_start", np.arange(0, t.size, 3, dtype=np.int32))
    me.polygons.foreach_set("use_smooth", np.ones(len(t), dtype=bool))
    if materials:
        for mname, rgb in materials:
            mat = bpy.data.materials.new(mname)
            mat.diffuse_color = (*rgb, 1.0)
            me.materials.append(mat)
        me.polygons.foreach_set("material_index", np.asarray(material_index, dtype=np.int32))
    if uv is not None:
        layer = me.uv_layers.new(name="UVMap")
        layer.data.foreach_set("uv", np.asarray(uv, dtype=np.float32).ravel())
    me.update(calc_edges=True)
    me.validate()
    obj = bpy.data.objects.new(name, me)
    bpy.context.scene.collection.objects.link(obj)
    if shape_keys:
        obj.shape_key_add(name="Basis", from_mix=False)
        for kname, pos in shape_keys:
            kb = obj.shape_key_add(name=kname, from_mix=False)
            kb.data.foreach_set("co", np.asarray(pos, dtype=np.float32).ravel())
    return obj


def export_scene(bpy, path: Path, fmt: str) -> None:
    """Write the whole scene to ``path`` as ``fmt`` ("fbx" or "glb"); AssetError on failure."""
    try:
        with _quiet():
            if fmt == "fbx":
                res = bpy.ops.export_scene.fbx(
                    filepath=str(path),
                    check_existing=False,
                    object_types={"MESH"},
                    use_mesh_modifiers=False,
                    mesh_smooth_type="FACE",
                    add_leaf_bones=False,
                    bake_anim=False,
                )
            elif fmt == "glb":
                res = bpy.ops.export_scene.gltf(
                    filepath=str(path),
                    check_existing=False,
                    export_format="GLB",
                    export_animations=False,
                    export_morph=True,
                    export_morph_normal=False,
                    export_materials="EXPORT",
                    # export_loglevel >= 0 crashes the 5.0 add-on (KeyError 'loglevel');
                    # its log goes to stdout, which _quiet() swallows.
                )
            else:
                raise AssetError(f"unknown export format {fmt!r}; valid: {sorted(EXPORT_FORMATS)}")
    except RuntimeError as exc:
        reason = str(exc).strip().splitlines()[0].removeprefix("Error: ").strip()
        raise AssetError(f"Blender could not write {path} ({reason})") from None
    if "FINISHED" not in res:
        raise AssetError(f"Blender could not write {path} ({sorted(res)})")
