"""FBX/glTF source: tiny heads written with bpy (a UV sphere with ARKit-named and custom
shape keys, eye objects, optionally a neck/head armature), imported back through the source."""

from __future__ import annotations

import numpy as np
import pytest

from assets_pipeline.fbx import arkit_unit
from assets_pipeline.head_asset import AssetError, HeadAsset
from assets_pipeline.sources import build_asset

pytestmark = pytest.mark.blender

JAW_DROP_M = 0.01


def _sphere_head(bpy, with_eyes=True):
    """UV sphere (radius 0.1 m) facing -Y with shape keys; returns the object."""
    bpy.ops.mesh.primitive_uv_sphere_add(radius=0.1, segments=24, ring_count=12)
    head = bpy.context.active_object
    head.name = "Head"
    n = len(head.data.vertices)
    co = np.zeros(n * 3)
    head.data.vertices.foreach_get("co", co)
    co = co.reshape(-1, 3)
    head.shape_key_add(name="Basis", from_mix=False)

    def key(name, delta):
        kb = head.shape_key_add(name=name, from_mix=False)
        kb.data.foreach_set("co", (co + delta).ravel())

    lower_front = (co[:, 2] < -0.03) & (co[:, 1] < 0)
    key("jawOpen", np.where(lower_front[:, None], [0.0, 0.0, -JAW_DROP_M], 0.0))
    key("eyeBlinkLeft", np.where((co[:, 0] > 0.02)[:, None], [0.0, 0.0, -0.002], 0.0))
    key("blendShape1.Mouth_Smile_L", np.where((co[:, 0] > 0.0)[:, None], [0.001, 0, 0], 0.0))
    key("myCustom", np.full_like(co, 0.003))
    if with_eyes:
        for name, x in (("Eye_L", 0.03), ("Eye_R", -0.03)):
            bpy.ops.mesh.primitive_uv_sphere_add(
                radius=0.012, segments=8, ring_count=6, location=(x, -0.08, 0.02)
            )
            bpy.context.active_object.name = name
    return head


@pytest.fixture(scope="module")
def model_files(tmp_path_factory):
    from assets_pipeline.blender_io import empty_blender

    d = tmp_path_factory.mktemp("fbx")
    with empty_blender() as bpy:
        head = _sphere_head(bpy)
        n_v = len(head.data.vertices)
        bpy.ops.export_scene.fbx(filepath=str(d / "head.fbx"), object_types={"MESH"})
        bpy.ops.export_scene.gltf(filepath=str(d / "head.glb"), export_format="GLB")
    with empty_blender() as bpy:  # a file without any mesh
        bpy.ops.object.empty_add()
        bpy.ops.export_scene.fbx(filepath=str(d / "empty.fbx"), object_types={"EMPTY"})
    return d, n_v


def test_arkit_names():
    assert arkit_unit("jawOpen") == "jawOpen"
    assert arkit_unit("JAWOPEN") == "jawOpen"
    assert arkit_unit("blendShape1.eyeBlinkLeft") == "eyeBlinkLeft"
    assert arkit_unit("ARKit_mouthSmileRight") == "mouthSmileRight"
    assert arkit_unit("Face|Eye_Blink_L") == "eyeBlinkLeft"
    assert arkit_unit("mouth_smile_r") == "mouthSmileRight"
    assert arkit_unit("myCustom") is None and arkit_unit("happy") is None


@pytest.mark.parametrize("name", ["head.fbx", "head.glb"])
def test_import_maps_shape_keys(model_files, name, tmp_path):
    d, n_v = model_files
    a = HeadAsset.load(build_asset("fbx", d / name).save(tmp_path / "fbx_head.npz"))
    if name.endswith(".fbx"):
        assert a.n_vertices == n_v
    else:  # glTF splits vertices at UV seams: compare positions
        assert len(np.unique(np.round(a.template, 6), axis=0)) == n_v
    assert a.meta["arkit_units_mapped"] == {
        "jawOpen": "jawOpen",
        "eyeBlinkLeft": "eyeBlinkLeft",
        "blendShape1.Mouth_Smile_L": "mouthSmileLeft",
    }
    missing = a.meta["arkit_units_missing"]
    assert len(missing) == 49 and "jawOpen" not in missing
    assert a.local_names == ("myCustom",)
    assert a.expression_shapes.shape == (52, a.n_vertices, 3)
    # Blender -Z (down) is head +y; the origin is the eye midpoint (eye objects)
    jaw = a.expression_shapes[a.expression_names.index("jawOpen")]
    moved = np.abs(jaw).max(axis=1) > 1e-6
    np.testing.assert_allclose(jaw[moved], [[0.0, JAW_DROP_M, 0.0]] * moved.sum(), atol=1e-6)
    assert (a.template[moved, 2] < a.template[:, 2].mean() + 1e-6).all()  # Blender -Y: -z
    assert a.meta["origin"] == "eye midpoint"
    np.testing.assert_allclose(a.joint_template[4], [0.03, 0.0, 0.0], atol=1e-3)
    centre = (a.template.min(axis=0) + a.template.max(axis=0)) / 2  # Blender (0, 0, 0)
    np.testing.assert_allclose(centre, [0.0, 0.02, 0.08], atol=1e-3)
    np.testing.assert_allclose(np.ptp(a.template, axis=0), 0.2, atol=1e-3)
    assert (a.chain_weights[:, 3] == 1.0).all()  # rigid head without an armature
    v, _ = a.evaluate(local_changes={"myCustom": -1.0}, face_units={"eyeBlinkLeft": 1.0})
    assert np.isfinite(v).all() and a.landmarks(v).shape == (68, 3)


def test_armature_drives_the_chain(tmp_path):
    from assets_pipeline.blender_io import empty_blender

    with empty_blender() as bpy:
        head = _sphere_head(bpy, with_eyes=False)
        bpy.ops.object.armature_add()
        arm = bpy.context.active_object
        bpy.ops.object.mode_set(mode="EDIT")
        neck = arm.data.edit_bones[0]
        neck.name, neck.head, neck.tail = "neck", (0.0, 0.0, -0.25), (0.0, 0.0, -0.1)
        hb = arm.data.edit_bones.new("head")
        hb.head, hb.tail, hb.parent = (0.0, 0.0, -0.1), (0.0, 0.0, 0.1), neck
        bpy.ops.object.mode_set(mode="OBJECT")
        co = np.array([v.co[2] for v in head.data.vertices])
        g_neck, g_head = head.vertex_groups.new(name="neck"), head.vertex_groups.new(name="head")
        low = [i for i in range(len(co)) if co[i] < -0.08]
        g_neck.add(low, 1.0, "REPLACE")
        g_head.add([i for i in range(len(co)) if co[i] >= -0.08], 1.0, "REPLACE")
        head.parent = arm
        head.modifiers.new("rig", "ARMATURE").object = arm
        bpy.ops.export_scene.fbx(filepath=str(tmp_path / "rig.fbx"))
    a = build_asset("fbx", tmp_path / "rig.fbx")
    assert a.meta["head_rotation"] == "armature neck/head weights"
    low = a.template[:, 1] > a.template[:, 1].max() - 0.015  # head frame y is down
    assert (a.chain_weights[low, 2] > 0.99).all() and (a.chain_weights[~low, 3] > 0.99).all()
    np.testing.assert_allclose(a.joint_template[3] - a.joint_template[2], [0, -0.15, 0], atol=1e-4)


def test_bad_files_give_asset_error(model_files, tmp_path):
    d, _ = model_files
    (tmp_path / "garbage.fbx").write_bytes(b"Kaydara FBX Binary  \x00" + bytes(range(256)) * 4)
    (tmp_path / "garbage.glb").write_bytes(b"glTF" + bytes(64))
    (tmp_path / "head.obj").write_text("v 0 0 0\n")
    for path, pattern in (
        (tmp_path / "garbage.fbx", "could not import"),
        (tmp_path / "garbage.glb", "could not import"),
        (tmp_path / "head.obj", "unsupported model file"),
        (tmp_path / "missing.fbx", "not found"),
        (d / "empty.fbx", "no mesh"),
    ):
        with pytest.raises(AssetError, match=pattern) as err:
            build_asset("fbx", path)
        assert "\n" not in str(err.value)
