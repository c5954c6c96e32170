"""The Blender scene behind CyclesRenderer: built once, updated per sample.

Built from a factory-empty file: a camera at the world origin looking down -Z, the head
mesh (asset topology, one material slot per shading part), one background mesh (backdrop
and clutter of synth.scene), a pool of point lights and two worlds. Per sample only values
change: head vertex coordinates (``foreach_set``), material inputs, lights, camera
intrinsics, world colours; the background mesh is refilled in place only when its geometry
differs from the previous sample's. No datablock is created per sample except a background
image when its file changes (the old one is removed), so memory stays flat.

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

from assets_pipeline.hair_shell import shell_thickness
from assets_pipeline.head_asset import HeadAsset
from synth.render.cycles_camera import (
    BOUNCE_RADIUS_M,
    LIGHT_GAIN,
    blender_camera,
    bounce_light,
    environment_radiance,
    focus_distance_m,
    lit_radiance,
    metered_exposure,
    white_balance_gains,
)
from synth.render.cycles_hair import HairCurves, grow_strands, identity_hair, visible_strands
from synth.render.cycles_head import (
    Cavity,
    below_upper_lid,
    corner_frames,
    cover_weights,
    detail_uv,
    eyeball_vertices,
    face_to_vertex,
    iris_coords,
    lid_crease_coords,
    material_slots,
    region_weights,
    wrinkle_coords,
)
from synth.render.cycles_materials import (
    BACKGROUND_SLOTS,
    HEAD_SLOTS,
    build_materials,
    update_materials,
)
from synth.render.cycles_nodes import NodeBuilder, set_if_changed
from synth.render.cycles_scalp import flow_uv, parting_coords, rooted_in_hair, skin_lift
from synth.render.cycles_settings import configure_render, select_device
from synth.render.cycles_skin_map import SkinMaps, skin_map_weights
from synth.render.cycles_traits import wrinkle_bands, wrinkle_depths, wrinkle_weights
from synth.scene import PART_BACKDROP, SceneGeometry
from synth.spec import SceneSpec

CV_TO_BLENDER = np.array([1.0, -1.0, -1.0], dtype=np.float32)
KEY_RADIUS_M = 0.25  # soft key light (a small softbox)
FILL_RADIUS_M = 0.12
LID_NONE_M = 1.0  # ``lid_below`` off the eyeballs: far below any lid (no shadow)
SHARP_DEG = 50.0  # background edges sharper than this shade (and are lit) flat


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
        samples: int = 8,
        threads: int | None = None,
        image_dir: str | None = None,
        fstop: float | None = None,
        skin_map_dir: str | None = None,
    ):
        import bpy

        self.bpy = bpy
        bpy.ops.wm.read_factory_settings(use_empty=True)
        self.scene = scene = bpy.context.scene
        configure_render(scene, samples, threads)
        self.backend, self.device_names = select_device(bpy, scene, device)
        self.image_dir = image_dir
        self.fstop = fstop  # None or 0: pinhole (no depth of field)
        self._tmp = tempfile.TemporaryDirectory(prefix="facedepth-cycles-")
        self.frame_path = Path(self._tmp.name) / "frame.tga"
        scene.render.filepath = str(self.frame_path)

        cam_data = bpy.data.cameras.new("fd_camera")
        self.camera = bpy.data.objects.new("fd_camera", cam_data)
        scene.collection.objects.link(self.camera)
        scene.camera = self.camera

        self.materials = build_materials(bpy)
        self.skin_maps = SkinMaps(bpy, asset, skin_map_dir)
        self.asset = asset
        self._hair_key: tuple | None = None  # the hair_shape the shell attributes show
        self._thickness = np.zeros(asset.n_vertices, np.float32)
        self.head = self._build_head(asset)
        strands = grow_strands(asset)
        self.hair = {
            name: HairCurves(bpy, scene.collection, f"fd_{name}_hair", strands[name],
                             self.materials["face_hair" if name == "face" else "scalp_hair"],
                             CV_TO_BLENDER)
            for name in strands
        }  # fmt: skip
        bg_mesh = bpy.data.meshes.new("fd_background")
        self.background = bpy.data.objects.new("fd_background", bg_mesh)
        for name in BACKGROUND_SLOTS:
            bg_mesh.materials.append(self.materials[name])
        # Diffuse rays from the subject pass through the background to the (slightly
        # tinted) world: a saturated 3 m^2 backdrop otherwise casts a sickly colour onto
        # the face through 2 bounces, and skipping those bounces saves time.
        self.background.visible_diffuse = False
        scene.collection.objects.link(self.background)
        self._bg_key: bytes | None = None
        self.lights: list = []
        self.bounce = None
        self._build_world()
        self._image = None

    # ------------------------------------------------------------------ build
    def _build_head(self, asset: HeadAsset) -> list:
        """The head as Blender objects, each with its own vertices (``self._head_vids``):
        the body (skin, eyes, mouth, clothing) and, when the asset has one, the hair
        shell. The shell is its own object because Cycles' random-walk subsurface
        scattering only meets the geometry of the object it starts in: the shell lies
        under the skin near the hairline (or everywhere, without hair) and would darken
        the skin there."""
        bpy = self.bpy
        slots = material_slots(asset)
        uv_all = detail_uv(asset)
        flow_all = flow_uv(asset)
        flow_parted = flow_uv(asset, parted=True)
        attrs = {
            "rest": ("FLOAT_VECTOR", "vector", asset.template),
            "regions": ("FLOAT_COLOR", "color", region_weights(asset)),
            "cover": ("FLOAT_COLOR", "color", cover_weights(asset)),
            "iris_xy": ("FLOAT_VECTOR", "vector", iris_coords(asset)),
            "parting": ("FLOAT_VECTOR", "vector", parting_coords(asset)),
        }
        lines = wrinkle_coords(asset)
        attrs["wrinkle_a"], attrs["wrinkle_b"] = (("FLOAT_VECTOR", "vector", w) for w in lines)
        attrs["crease"] = ("FLOAT_VECTOR", "vector", lid_crease_coords(asset))
        attrs["skin_map_w"] = ("FLOAT", "value", skin_map_weights(asset, uv_all))
        self._wrinkle_bands = wrinkle_bands(lines)
        self._wrinkle_key = None
        self._eye_split = eyeball_vertices(asset)
        self._eyeballs = np.concatenate(self._eye_split)
        shell = slots == HEAD_SLOTS.index("hair")
        objects = []
        self._head_vids = []
        for name, sel in (("fd_head", ~shell), ("fd_hair_shell", shell)):
            if not sel.any():
                continue
            vids, local = np.unique(asset.faces[sel], return_inverse=True)
            mesh = bpy.data.meshes.new(name)
            _mesh_from_arrays(mesh, asset.template[vids] * CV_TO_BLENDER, local.reshape(-1, 3))
            for slot in HEAD_SLOTS:
                mesh.materials.append(self.materials[slot])
            mesh.polygons.foreach_set("use_smooth", np.ones(int(sel.sum()), bool))
            mesh.polygons.foreach_set("material_index", slots[sel])
            uv = mesh.uv_layers.new(name="UVMap")
            uv.data.foreach_set("uv", uv_all[sel].ravel())
            if name == "fd_hair_shell":  # growth direction: streaks and highlight tangent
                flow = mesh.uv_layers.new(name="flow")
                flow.data.foreach_set("uv", flow_all[sel].ravel())
                flow = mesh.uv_layers.new(name="flow_parted")
                flow.data.foreach_set("uv", flow_parted[sel].ravel())
                uv.active = uv.active_render = True
            for attr, (kind, field, values) in attrs.items():
                layer = mesh.attributes.new(attr, kind, "POINT")
                layer.data.foreach_set(
                    field, np.ascontiguousarray(values[vids], np.float32).ravel()
                )
            if name == "fd_hair_shell":
                mesh.attributes.new("hair_t", "FLOAT", "POINT")  # per sample: shell_thickness
            else:  # per sample: below_upper_lid on the eyeballs, wrinkle_weights, Cavity
                mesh.attributes.new("lid_below", "FLOAT", "POINT")
                mesh.attributes.new("wrinkle_w", "FLOAT_COLOR", "POINT")
                mesh.attributes.new("cavity", "FLOAT", "POINT")
                self._cavity = Cavity(local.reshape(-1, 3), len(vids))
            obj = bpy.data.objects.new(name, mesh)
            # Low-poly smooth shading: offset shadow rays to avoid the shadow terminator.
            obj.cycles.shadow_terminator_geometry_offset = 0.1
            obj.cycles.shadow_terminator_offset = 0.05
            self.scene.collection.objects.link(obj)
            objects.append(obj)
            self._head_vids.append(vids)
        return objects

    def _build_world(self) -> None:
        """Two worlds: ``fd_world`` (constant colours: ambient light for diffuse and
        shadow rays, not seen by glossy rays; camera rays see the plain background colour)
        and ``fd_world_image`` (the same, with a backplate image in window coordinates for
        camera rays).

        The plain world must not depend on the ray direction: any texture coordinate in a
        world shader makes Cycles re-evaluate the whole background (about 1 s on 2 CPU
        cores) every time a world value changes, i.e. every sample.
        """
        self.worlds = {}
        for name in ("fd_world", "fd_world_image"):
            world = self.bpy.data.worlds.new(name)
            world.cycles.sampling_method = "NONE"  # smooth, dim: no importance map
            # The uniform env stands for a room's diffuse light. Its mirror image, the same
            # grey from every direction, laid an even sheen over every glossy surface,
            # brightest at grazing angles: rubbery rims on skin (dark skin most), porcelain
            # whites before 0.10.0's eye shader. A real room's reflection is patchy, mostly
            # dark walls; glossy rays now see the lights (key, fills, the camera-side
            # bounce) and the scene, not the env (0.10.0).
            # (Setting it runs Cycles' update callback on the scene's world: one must exist.)
            self.scene.world = world
            world.cycles_visibility.glossy = False
            tree = world.node_tree
            tree.nodes.clear()
            nb = NodeBuilder(tree)
            out = nb.new("ShaderNodeOutputWorld", "output")
            env = nb.new("ShaderNodeBackground", "env")
            cam_bg = nb.new("ShaderNodeBackground", "camera_bg", inputs={"Strength": 1.0})
            if name == "fd_world_image":
                window = nb.new("ShaderNodeTexCoord").outputs["Window"]
                img = nb.new("ShaderNodeTexImage", "backplate", extension="EXTEND")
                nb.link(window, img.inputs["Vector"])
                plate = img.outputs["Color"]
            else:
                plate = nb.rgb("bg_rgb")
            nb.link(plate, cam_bg.inputs["Color"])
            nb.link(nb.rgb("env_rgb"), env.inputs["Color"])
            is_cam = nb.new("ShaderNodeLightPath").outputs["Is Camera Ray"]
            mix = nb.new("ShaderNodeMixShader")
            nb.link(is_cam, mix.inputs[0])
            nb.link(env.outputs[0], mix.inputs[1])
            nb.link(cam_bg.outputs[0], mix.inputs[2])
            nb.link(mix.outputs[0], out.inputs["Surface"])
            self.worlds[name] = world
        self.scene.world = self.worlds["fd_world"]

    # ------------------------------------------------------------------ update
    def update(self, geo: SceneGeometry, spec: SceneSpec) -> None:
        """Make the Blender scene show ``geo`` (the sample's exact triangles) and ``spec``'s
        camera, lights, materials and background."""
        self._update_camera(spec, geo)
        nv = geo.n_head_vertices
        co = np.ascontiguousarray(geo.vertices[:nv] * CV_TO_BLENDER, np.float32)
        key = tuple(sorted(spec.identity.hair_shape.items()))
        new_hair = key != self._hair_key
        if new_hair:
            self._hair_key = key
            self._thickness = shell_thickness(self.asset, spec.identity.hair_shape)
        lid = np.full(nv, LID_NONE_M, np.float32)
        lid[self._eyeballs] = below_upper_lid(
            geo.vertices[:nv], geo.landmarks_3d, geo.head_rotation, self._eye_split
        )
        depths = wrinkle_depths(spec)
        wkey = tuple(depths.values())
        wrinkles = (
            None if wkey == self._wrinkle_key else wrinkle_weights(self._wrinkle_bands, depths)
        )
        self._wrinkle_key = wkey
        for obj, vids in zip(self.head, self._head_vids, strict=True):
            mesh = obj.data
            mesh.vertices.foreach_set("co", co[vids].ravel())
            if "lid_below" in mesh.attributes:
                mesh.attributes["lid_below"].data.foreach_set("value", lid[vids])
                mesh.attributes["cavity"].data.foreach_set(
                    "value", self._cavity(geo.vertices[:nv][vids])
                )
                if wrinkles is not None:
                    mesh.attributes["wrinkle_w"].data.foreach_set("color", wrinkles[vids].ravel())
            if new_hair and "hair_t" in mesh.attributes:
                mesh.attributes["hair_t"].data.foreach_set("value", self._thickness[vids])
            mesh.update()
        self._update_hair(geo.vertices[:nv], spec)
        update_materials(self.materials, spec)
        self.skin_maps.apply(self.materials["body"].node_tree.nodes, spec.identity.skin_map)
        # Exposure and white balance scale the emitters (lights, world; the camera-visible
        # background too, as a camera's exposure would) instead of the view transform: a
        # new view exposure per frame makes OpenColorIO build and cache a new processor,
        # ~2 MB of memory per distinct value.
        face = geo.head_translation
        exposure = 2.0 ** metered_exposure(spec, face)
        gains = white_balance_gains(spec, face)
        self._update_background(geo, spec, gains, exposure)
        self._update_lights(spec, gains, exposure)
        self._update_world(spec, gains, exposure)

    def _update_camera(self, spec: SceneSpec, geo: SceneGeometry) -> None:
        p = blender_camera(spec.camera)
        r = self.scene.render
        r.resolution_x, r.resolution_y = p["resolution"]
        r.pixel_aspect_x = r.pixel_aspect_y = 1.0
        d = self.camera.data
        d.sensor_fit = "HORIZONTAL"
        for key in ("sensor_width", "lens", "shift_x", "shift_y", "clip_start", "clip_end"):
            setattr(d, key, p[key])
        # Depth of field: a thin lens of focal length ``lens`` at ``fstop``, focused on the
        # eyes as a portrait photographer would. Cycles' focus distance is planar (along
        # the optical axis), like the labels' depth.
        d.dof.use_dof = bool(self.fstop)
        if self.fstop:
            d.dof.aperture_fstop = float(self.fstop)
            d.dof.focus_distance = focus_distance_m(geo.landmarks_3d)

    def _update_hair(self, verts: np.ndarray, spec: SceneSpec) -> None:
        """Strands follow the head's triangles; the identity picks which are shown.

        A strand set the sample does not use (the parted set on a short crop, both on a
        bald head) stays in the render with every strand hidden (radius 0, collapsed on
        its root) instead of being hidden as an object: toggling ``hide_render`` with
        persistent data made the RGB depend on the samples rendered before (a sample
        rendered alone and after another differed by up to 78 levels on its strand
        pixels; 0.11.0). With every set updated every sample, each frame is the same
        whatever came before."""
        ident = spec.identity
        hp = identity_hair(ident.identity_id)
        face = self.hair["face"]
        brows = visible_strands(face.strands, hp["brow_density"], hp["brow_width"])
        face.update(verts, self.asset.faces, brows | (face.strands.lash > 0))
        parted = ident.hair_shape.get("length", 0.0) > 0 and "scalp_parted" in self.hair
        scalp = self.hair["scalp_parted" if parted else "scalp"] if ident.has_hair else None
        faces, t = self.asset.faces, self._thickness
        for curves in (self.hair["scalp"], self.hair.get("scalp_parted")):
            if curves is None:
                continue
            if curves is not scalp:
                curves.update(verts, faces, np.zeros(len(curves.strands.key), bool))
                continue
            shown = visible_strands(scalp.strands, hp["scalp_density"])
            kw = {}
            if self.asset.has_hair_shell:
                shown &= rooted_in_hair(scalp.strands, faces, t)
                kw["lift"] = skin_lift(scalp.strands, faces, t)
            scalp.update(verts, faces, shown, hp["scalp_length"], **kw)

    def _update_background(
        self, geo: SceneGeometry, spec: SceneSpec, gains: np.ndarray, exposure: float
    ) -> None:
        """Refill the background mesh when its geometry changed; every sample, bake the
        sample's lighting into its per-corner ``light`` attribute (cycles_camera.lit_radiance):
        the background is an emitter (cycles_materials._background), so Cycles shades no
        light on its pixels -- ~5 CPU-s of a 640x480 frame filled by a room at 8 spp."""
        nv, nf = geo.n_head_vertices, geo.n_head_faces
        verts = geo.vertices[nv:]
        faces = geo.faces[nf:] - nv
        key = verts.tobytes() + faces.tobytes() + geo.face_albedo[nf:].tobytes()
        if key != self._bg_key:
            self._bg_key = key
            self._rebuild_background(geo, verts, faces)
        if len(faces):
            light = np.ones((len(self._bg_corners[0]), 4), np.float32)
            light[:, :3] = lit_radiance(spec, *self._bg_corners, gains, exposure)
            mesh = self.background.data
            mesh.attributes["light"].data.foreach_set("color", light.ravel())
            mesh.update()

    def _rebuild_background(self, geo: SceneGeometry, verts: np.ndarray, faces: np.ndarray):
        nf = geo.n_head_faces
        mesh = self.background.data
        mesh.clear_geometry()
        self.background.hide_render = len(faces) == 0
        if len(faces) == 0:
            return
        _mesh_from_arrays(mesh, verts * CV_TO_BLENDER, faces)
        slot = (geo.face_part[nf:] != PART_BACKDROP).astype(np.int32)
        mesh.polygons.foreach_set("material_index", slot)
        # Per-vertex mean of the per-face albedo: the "textured" backdrop's tiles become
        # soft gradients (a painted wall, not a pixel grid); each clutter object keeps its
        # own constant colour.
        alb = geo.face_albedo[nf:].astype(np.float64)
        rgba = np.ones((len(verts), 4), np.float32)
        for c in range(3):
            rgba[:, c] = face_to_vertex(faces, len(verts), alb[:, c])
        albedo = mesh.attributes.new("albedo", "FLOAT_COLOR", "POINT")
        albedo.data.foreach_set("color", rgba.ravel())
        # Round things (the room's cylinders and spheres) shade smooth; box and wall edges
        # (90 degrees) stay sharp.
        mesh.shade_smooth()
        mesh.set_sharp_from_angle(angle=np.radians(SHARP_DEG))
        mesh.attributes.new("light", "FLOAT_COLOR", "CORNER")
        self._bg_corners = corner_frames(verts, faces, SHARP_DEG)
        mesh.update()

    def _update_lights(self, spec: SceneSpec, gains: np.ndarray, exposure: float) -> None:
        bpy = self.bpy
        if self.bounce is None:  # the directed part of the ambient, behind the camera
            data = bpy.data.lights.new("fd_bounce", "POINT")
            data.shadow_soft_size = BOUNCE_RADIUS_M
            self.bounce = bpy.data.objects.new("fd_bounce", data)
            self.bounce.visible_camera = False
            self.scene.collection.objects.link(self.bounce)
        pos, power, rgb = bounce_light(spec)
        self.bounce.location = np.asarray(pos, np.float32) * CV_TO_BLENDER
        self.bounce.data.energy = power * exposure
        self.bounce.data.color = rgb * gains
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
            obj.data.energy = ls.power_w * LIGHT_GAIN.get(ls.kind, 1.0) * exposure
            obj.data.color = np.asarray(ls.color_rgb) * gains
            obj.data.shadow_soft_size = KEY_RADIUS_M if ls.kind == "key" else FILL_RADIUS_M

    def _update_world(self, spec: SceneSpec, gains: np.ndarray, exposure: float) -> None:
        bg = spec.background
        path = self._image_path(spec)
        world = self.worlds["fd_world_image" if path else "fd_world"]
        if self.scene.world != world:
            self.scene.world = world
        nodes = world.node_tree.nodes
        env = environment_radiance(spec, gains, exposure)
        set_if_changed(nodes["env_rgb"].outputs[0], (*env, 1.0))
        set_if_changed(nodes["camera_bg"].inputs["Strength"], exposure)
        if path is None:
            set_if_changed(nodes["bg_rgb"].outputs[0], (*bg.color_rgb, 1.0))
        elif self._image is None or self._image.filepath != path:
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
        self.skin_maps.pack()  # made in memory: packed so the .blend shows them
        self.bpy.ops.wm.save_as_mainfile(filepath=str(path), copy=True, compress=True)

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        self.bpy.ops.wm.read_factory_settings(use_empty=True)
