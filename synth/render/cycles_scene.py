"""The Blender scene behind CyclesRenderer: built once, updated per sample.

Built from a factory-empty file: a camera at the world origin looking down -Z, the head
mesh (asset topology, one material slot per shading part), one background mesh (backdrop
and clutter of synth.scene), a pool of point lights and a world shader. Per sample only
values change: head vertex coordinates (``foreach_set``), the hair slot of scalp faces,
material inputs, lights, camera intrinsics, world colours; the background mesh is refilled
in place only when its geometry differs from the previous sample's. No datablock is created
per sample except a background image when its file changes (the old one is removed), so
memory stays flat.

Frames: synth.scene gives OpenCV camera-frame points (x right, y down, z forward). With the
camera object at the origin and identity rotation, Blender's camera looks down -Z with +Y
up, so world = (x, -y, -z) -- a rotation (det +1), so triangle winding is kept.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from assets_pipeline.head_asset import HeadAsset
from synth.render.cycles_head import eye_radial, material_slots, region_weights
from synth.render.cycles_materials import (
    BACKGROUND_SLOTS,
    HEAD_SLOTS,
    build_materials,
    update_materials,
)
from synth.scene import PART_BACKDROP, SceneGeometry
from synth.spec import SceneSpec

CV_TO_BLENDER = np.array([1.0, -1.0, -1.0], dtype=np.float32)
# Light calibration: LightSpec.power_w is used as Blender watts times LIGHT_GAIN; the
# world (environment) radiance is SceneSpec.ambient times AMBIENT_GAIN.
LIGHT_GAIN = 1.0
AMBIENT_GAIN = 1.0
KEY_RADIUS_M = 0.25  # soft key light (a small softbox)
FILL_RADIUS_M = 0.12
VIEW_TRANSFORM = "AgX"
LOOK = "AgX - Medium High Contrast"
GPU_BACKENDS = ("OPTIX", "CUDA", "HIP", "ONEAPI")


def select_device(bpy, scene, want: str) -> tuple[str, str]:
    """Configure Cycles for ``want`` ("cpu" | "gpu"); returns (backend, device names).

    "gpu" tries OPTIX, CUDA, HIP, oneAPI in that order through the Cycles add-on
    preferences and falls back to the CPU when none has a device.
    """
    if want not in ("cpu", "gpu"):
        raise ValueError(f"device must be 'cpu' or 'gpu', got {want!r}")
    prefs = bpy.context.preferences.addons["cycles"].preferences
    if want == "gpu":
        for backend in GPU_BACKENDS:
            try:
                prefs.compute_device_type = backend
            except TypeError:  # backend not compiled into this Blender
                continue
            prefs.refresh_devices()
            gpus = [d for d in prefs.devices if d.type == backend]
            if not gpus:
                continue
            for d in prefs.devices:
                d.use = d.type == backend
            scene.cycles.device = "GPU"
            return backend, ", ".join(d.name for d in gpus)
        prefs.compute_device_type = "NONE"
    scene.cycles.device = "CPU"
    cpus = [d.name for d in prefs.get_devices_for_type("CPU")] or ["cpu"]
    return "CPU", ", ".join(cpus)


def _configure_render(scene, samples: int, threads: int | None) -> None:
    r, c = scene.render, scene.cycles
    r.engine = "CYCLES"
    r.use_persistent_data = True  # keep BVH of unchanged objects, shaders, textures
    r.resolution_percentage = 100
    r.use_compositing = False
    r.use_sequencer = False
    r.film_transparent = False
    r.image_settings.media_type = "IMAGE"
    r.image_settings.file_format = "TARGA_RAW"
    r.image_settings.color_mode = "RGB"
    r.use_file_extension = True
    if threads:
        r.threads_mode, r.threads = "FIXED", int(threads)
    c.samples = int(samples)
    c.use_adaptive_sampling = True
    c.adaptive_threshold = 0.03
    c.adaptive_min_samples = 0
    c.use_denoising = True
    c.denoiser = "OPENIMAGEDENOISE"
    c.denoising_input_passes = "RGB_ALBEDO_NORMAL"
    c.denoising_prefilter = "ACCURATE"
    c.denoising_quality = "HIGH"
    c.seed = 0
    c.use_animated_seed = False
    # Light paths: a face lit by a few lights needs little indirect light.
    c.max_bounces = 4
    c.diffuse_bounces = 2
    c.glossy_bounces = 1
    c.transmission_bounces = 0
    c.volume_bounces = 0
    c.transparent_max_bounces = 0
    c.caustics_reflective = False
    c.caustics_refractive = False
    c.sample_clamp_indirect = 5.0
    c.use_auto_tile = True
    c.tile_size = 1024
    scene.view_settings.view_transform = VIEW_TRANSFORM
    scene.view_settings.look = LOOK
    scene.view_settings.exposure = 0.0
    scene.view_settings.gamma = 1.0
    scene.display_settings.display_device = "sRGB"


def _mesh_from_arrays(mesh, verts: np.ndarray, faces: np.ndarray) -> None:
    """Fill an empty mesh with triangles (float32 (N,3), int (M,3))."""
    n, m = len(verts), len(faces)
    mesh.vertices.add(n)
    mesh.loops.add(3 * m)
    mesh.polygons.add(m)
    mesh.vertices.foreach_set("co", np.ascontiguousarray(verts, np.float32).ravel())
    mesh.loops.foreach_set("vertex_index", np.ascontiguousarray(faces, np.int32).ravel())
    mesh.polygons.foreach_set("loop_start", np.arange(0, 3 * m, 3, dtype=np.int32))
    mesh.update(calc_edges=True)


class CyclesScene:
    """Owns every bpy datablock of the renderer; see the module docstring."""

    def __init__(
        self,
        asset: HeadAsset,
        *,
        device: str = "cpu",
        samples: int = 32,
        threads: int | None = None,
        image_dir: str | None = None,
    ):
        import bpy

        self.bpy = bpy
        bpy.ops.wm.read_factory_settings(use_empty=True)
        self.scene = scene = bpy.context.scene
        _configure_render(scene, samples, threads)
        self.backend, self.device_names = select_device(bpy, scene, device)
        self.image_dir = image_dir
        self._tmp = tempfile.TemporaryDirectory(prefix="facedepth-cycles-")
        self.frame_path = Path(self._tmp.name) / "frame.tga"
        scene.render.filepath = str(self.frame_path)

        cam_data = bpy.data.cameras.new("fd_camera")
        self.camera = bpy.data.objects.new("fd_camera", cam_data)
        scene.collection.objects.link(self.camera)
        scene.camera = self.camera

        self.materials = build_materials(bpy)
        self.asset = asset
        self.head = self._build_head(asset)
        self._has_hair: bool | None = None
        bg_mesh = bpy.data.meshes.new("fd_background")
        self.background = bpy.data.objects.new("fd_background", bg_mesh)
        for name in BACKGROUND_SLOTS:
            bg_mesh.materials.append(self.materials[name])
        scene.collection.objects.link(self.background)
        self._bg_key: bytes | None = None
        self.lights: list = []
        self._build_world()
        self._image = None

    # ------------------------------------------------------------------ build
    def _build_head(self, asset: HeadAsset):
        bpy = self.bpy
        mesh = bpy.data.meshes.new("fd_head")
        _mesh_from_arrays(mesh, asset.template * CV_TO_BLENDER, asset.faces)
        for name in HEAD_SLOTS:
            mesh.materials.append(self.materials[name])
        mesh.polygons.foreach_set("use_smooth", np.ones(len(asset.faces), bool))
        uv = mesh.uv_layers.new(name="UVMap")
        uv.data.foreach_set("uv", np.ascontiguousarray(asset.uv, np.float32).ravel())
        rest = mesh.attributes.new("rest", "FLOAT_VECTOR", "POINT")
        rest.data.foreach_set("vector", np.ascontiguousarray(asset.template, np.float32).ravel())
        regions = mesh.attributes.new("regions", "FLOAT_COLOR", "POINT")
        regions.data.foreach_set("color", region_weights(asset).ravel())
        radial = mesh.attributes.new("eye_radial", "FLOAT", "POINT")
        radial.data.foreach_set("value", eye_radial(asset))
        obj = bpy.data.objects.new("fd_head", mesh)
        # Low-poly smooth shading: offset shadow rays to avoid the shadow terminator.
        obj.cycles.shadow_terminator_geometry_offset = 0.1
        obj.cycles.shadow_terminator_offset = 0.05
        self.scene.collection.objects.link(obj)
        return obj

    def _build_world(self) -> None:
        bpy = self.bpy
        world = bpy.data.worlds.new("fd_world")
        self.scene.world = world
        tree = world.node_tree
        tree.nodes.clear()
        from synth.render.cycles_materials import NodeBuilder

        nb = NodeBuilder(tree)
        out = nb.new("ShaderNodeOutputWorld", "output")
        env = nb.new("ShaderNodeBackground", "env")
        cam_bg = nb.new("ShaderNodeBackground", "camera_bg", inputs={"Strength": 1.0})
        window = nb.new("ShaderNodeTexCoord").outputs["Window"]
        img = nb.new("ShaderNodeTexImage", "backplate", extension="EXTEND")
        nb.link(window, img.inputs["Vector"])
        plate = nb.mix_color(0.0, nb.rgb("bg_rgb"), img.outputs["Color"], name="use_image")
        nb.link(plate, cam_bg.inputs["Color"])
        # Brighter from above: a soft studio/room dome instead of a flat grey.
        grad = nb.new("ShaderNodeTexCoord").outputs["Generated"]
        sep = nb.new("ShaderNodeSeparateXYZ")
        nb.link(grad, sep.inputs[0])
        up = nb.math("MULTIPLY_ADD", sep.outputs["Z"], 0.5, 0.75)
        env_col = nb.mix_color(0.25, nb.rgb("env_rgb"), nb.rgb("bg_tint"))
        env_col = nb.mix_color(1.0, env_col, up, blend="MULTIPLY")
        nb.link(env_col, env.inputs["Color"])
        is_cam = nb.new("ShaderNodeLightPath").outputs["Is Camera Ray"]
        mix = nb.new("ShaderNodeMixShader")
        nb.link(is_cam, mix.inputs[0])
        nb.link(env.outputs[0], mix.inputs[1])
        nb.link(cam_bg.outputs[0], mix.inputs[2])
        nb.link(mix.outputs[0], out.inputs["Surface"])
        self.world = world

    # ------------------------------------------------------------------ update
    def update(self, geo: SceneGeometry, spec: SceneSpec) -> None:
        """Make the Blender scene show ``geo`` (the sample's exact triangles) and ``spec``'s
        camera, lights, materials and background."""
        self._update_camera(spec)
        nv = geo.n_head_vertices
        mesh = self.head.data
        co = np.ascontiguousarray(geo.vertices[:nv] * CV_TO_BLENDER, np.float32)
        mesh.vertices.foreach_set("co", co.ravel())
        if self._has_hair != spec.identity.has_hair:
            slots = material_slots(self.asset, spec.identity.has_hair)
            mesh.polygons.foreach_set("material_index", slots)
            self._has_hair = spec.identity.has_hair
        mesh.update()
        self._update_background(geo)
        update_materials(self.materials, spec)
        self._update_lights(spec)
        self._update_world(spec)

    def _update_camera(self, spec: SceneSpec) -> None:
        cam = spec.camera
        K = np.asarray(cam.K, dtype=np.float64)
        fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
        if abs(fx - fy) > 1e-6 * fx:
            raise ValueError(f"CyclesRenderer needs square pixels (fx == fy), got {fx}, {fy}")
        r = self.scene.render
        r.resolution_x, r.resolution_y = cam.width, cam.height
        r.pixel_aspect_x = r.pixel_aspect_y = 1.0
        d = self.camera.data
        d.sensor_fit = "HORIZONTAL"
        d.sensor_width = cam.sensor_mm
        d.lens = fx * cam.sensor_mm / cam.width
        # OpenCV puts pixel (u, v)'s centre at (u, v); Blender at (u + 0.5, v + 0.5) from
        # the image corner. Shifts are in units of the fitted (horizontal) sensor size.
        d.shift_x = -(cx + 0.5 - cam.width / 2.0) / cam.width
        d.shift_y = (cy + 0.5 - cam.height / 2.0) / cam.width
        # Cycles clips by ray length, synth.render.labels by planar z: clip at the ray
        # length of the frustum's far corners so Cycles never drops a surface the labels
        # keep (everything synth.scene builds lies within far_m).
        corners = np.array([[0, 0], [cam.width, 0], [0, cam.height], [cam.width, cam.height]])
        rays = np.c_[(corners - [cx, cy]) / fx, np.ones(4)]
        d.clip_start = cam.near_m
        d.clip_end = cam.far_m * float(np.linalg.norm(rays, axis=1).max())

    def _update_background(self, geo: SceneGeometry) -> None:
        nv, nf = geo.n_head_vertices, geo.n_head_faces
        verts = geo.vertices[nv:]
        faces = geo.faces[nf:] - nv
        key = verts.tobytes() + faces.tobytes() + geo.face_albedo[nf:].tobytes()
        if key == self._bg_key:
            return
        self._bg_key = key
        mesh = self.background.data
        mesh.clear_geometry()
        self.background.hide_render = len(faces) == 0
        if len(faces) == 0:
            return
        _mesh_from_arrays(mesh, verts * CV_TO_BLENDER, faces)
        slot = (geo.face_part[nf:] != PART_BACKDROP).astype(np.int32)
        mesh.polygons.foreach_set("material_index", slot)
        albedo = mesh.attributes.new("albedo", "FLOAT_COLOR", "FACE")
        rgba = np.c_[geo.face_albedo[nf:], np.ones(len(faces), np.float32)]
        albedo.data.foreach_set("color", np.ascontiguousarray(rgba, np.float32).ravel())
        mesh.update()

    def _update_lights(self, spec: SceneSpec) -> None:
        bpy = self.bpy
        while len(self.lights) < len(spec.lights):
            k = len(self.lights)
            data = bpy.data.lights.new(f"fd_light{k}", "POINT")
            obj = bpy.data.objects.new(f"fd_light{k}", data)
            obj.visible_camera = False
            self.scene.collection.objects.link(obj)
            self.lights.append(obj)
        for k, obj in enumerate(self.lights):
            obj.hide_render = k >= len(spec.lights)
            if obj.hide_render:
                continue
            ls = spec.lights[k]
            obj.location = np.asarray(ls.position_m, np.float32) * CV_TO_BLENDER
            obj.data.energy = ls.power_w * LIGHT_GAIN
            obj.data.color = ls.color_rgb
            obj.data.shadow_soft_size = KEY_RADIUS_M if ls.kind == "key" else FILL_RADIUS_M

    def _update_world(self, spec: SceneSpec) -> None:
        nodes = self.world.node_tree.nodes
        bg = spec.background
        nodes["bg_rgb"].outputs[0].default_value = (*bg.color_rgb, 1.0)
        nodes["bg_tint"].outputs[0].default_value = (*bg.color_rgb, 1.0)
        nodes["env_rgb"].outputs[0].default_value = (1.0, 1.0, 1.0, 1.0)
        nodes["env"].inputs["Strength"].default_value = spec.ambient * AMBIENT_GAIN
        path = self._image_path(spec)
        nodes["use_image"].inputs[0].default_value = 1.0 if path else 0.0
        if path and (self._image is None or self._image.filepath != path):
            old = self._image
            self._image = self.bpy.data.images.load(path, check_existing=False)
            nodes["backplate"].image = self._image
            if old is not None:
                self.bpy.data.images.remove(old)

    def _image_path(self, spec: SceneSpec) -> str | None:
        bg = spec.background
        if bg.kind != "image" or not bg.image:
            return None
        p = Path(bg.image)
        if not p.is_absolute():
            if self.image_dir is None:
                if not getattr(self, "_warned_image", False):
                    print(
                        "cycles: background image given but no image_dir option; "
                        "using the plain colour",
                        file=sys.stderr,
                    )
                    self._warned_image = True
                return None
            p = Path(self.image_dir) / p
        return str(p)

    # ------------------------------------------------------------------ render
    def render(self) -> tuple[np.ndarray, float]:
        """Render the current state: ((H,W,3) uint8 display-referred sRGB, seconds spent
        in Cycles including denoising)."""
        from PIL import Image

        t0 = time.perf_counter()
        self.bpy.ops.render.render(write_still=True)
        t1 = time.perf_counter()
        with Image.open(self.frame_path) as im:
            rgb = np.asarray(im.convert("RGB")).copy()
        return rgb, t1 - t0

    def save_blend(self, path: str | os.PathLike) -> None:
        path = Path(path).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.bpy.ops.wm.save_as_mainfile(filepath=str(path), copy=True, compress=True)

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        self.bpy.ops.wm.read_factory_settings(use_empty=True)
