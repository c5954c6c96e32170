"""Cycles materials of hair: the hair shell, hair painted on a bare scalp, strands.

- ``hair_shell_material``: the labelled hair volume (assets_pipeline.hair_shell), feathered
  where it leaves the skin, with streaks, clumps and an anisotropic highlight along the
  hair's flow (``flow`` / ``flow_parted`` UV maps, synth.render.cycles_scalp.flow_uv) and
  the scalp along a parting (``parting`` attribute, cycles_scalp.parting_coords);
- ``hair_mass``: hair seen as a mass, painted on the scalp of assets without a shell
  (used by the skin shader, synth.render.cycles_materials);
- ``strand_material``: Principled Hair BSDF for the strands (synth.render.cycles_hair).

Per-identity values (``hair_rgb``, ``parted``, ``scalp_rgb``) are set by
cycles_materials.update_materials.
"""

from __future__ import annotations

from synth.render.cycles_nodes import new_material

# Albedo of a head of hair relative to one strand's colour (strands shadow each other).
HAIR_SELF_SHADOW = 0.6
# Shade across clumps of the hair mass: streak x (1 + CLUMP_CONTRAST (clump - 0.5)); 1.2
# until 0.11.0, when the shell's clumps were also made coarser (``hair_shell_material``);
# 1.6 drew pale blotches on some short crops.
CLUMP_CONTRAST = 1.4
# The scalp along a parting (the shell's ``parting`` attribute): half-width (m) of its
# soft line, the most it shows through the hair, and its colour (x the skin's: it lies in
# the hair's shadow). A first draft (1.8 mm, 80 %, 0.8x) read as a pale seam.
PARTING_WIDTH_M = 0.0025
PARTING_SHOW = 0.5
PARTING_SCALP = 0.5


def hair_mass(nb) -> tuple:
    """Hair seen as a mass: ``hair_rgb`` with fine streaks along the head's front-back
    axis (z of the head frame, from the ``rest`` attribute) and clumps. Returns (colour,
    streak, clump) sockets."""
    rest = nb.new("ShaderNodeSeparateXYZ")
    nb.link(nb.attribute("rest").outputs["Vector"], rest.inputs[0])
    xz = nb.new("ShaderNodeCombineXYZ")
    nb.link(rest.outputs["X"], xz.inputs["X"])
    nb.link(rest.outputs["Z"], xz.inputs["Y"])
    streak, _, _, _ = nb.detail(xz.outputs[0], (12.0, 0.4, 1.0))
    _, _, clump, _ = nb.detail(xz.outputs[0], (3.0, 1.0, 1.0))
    return _hair_colour(nb, streak, clump), streak, clump


def _hair_colour(nb, streak, clump, wave=None):
    """``hair_rgb`` darkened and lightened by streaks within clumps (and, optionally, a
    slower ``wave``): the colour of hair seen as a mass."""
    clumps = nb.math("MULTIPLY_ADD", clump, CLUMP_CONTRAST, 1.0 - CLUMP_CONTRAST / 2)
    shade = nb.math("MULTIPLY", streak, clumps)
    if wave is not None:
        shade = nb.math("MULTIPLY", shade, nb.math("MULTIPLY_ADD", wave, 0.5, 0.75))
    return nb.mix_color(1.0, nb.rgb("hair_rgb"), nb.gray(nb.math("MULTIPLY_ADD", shade, 1.5, 0.3)),
                        blend="MULTIPLY")  # fmt: skip


def hair_shell_material(bpy, detail_image):
    """The hair shell (assets_pipeline.hair_shell): the hair mass under the strands,
    feathered where it leaves the skin -- transparent below ~0.3 mm of thickness
    (point attribute ``hair_t``, metres out of the skin, per sample), opaque above ~7 mm,
    with a ragged, streaky edge -- so the hairline is soft and the skin shows through
    thin hair (the labels keep the shell, which is within those millimetres of the skin).

    Streaks, clumps and the highlight follow the hair's growth direction: the ``flow``
    UV map (synth.render.cycles_scalp.flow_uv; u = distance from the crown; for parted
    hair, the bob, ``flow_parted``: u = distance from the side parting) gives both the
    texture coordinates, stretched along u, and the tangent of an anisotropic specular
    lobe, whose highlight is drawn across the fibres as on real hair."""
    mat, nb, out = new_material(bpy, "fd_hair_shell", detail_image)
    # Crown flow or, for parted hair (``parted`` 1, set per identity), the parting's.
    parted = nb.value("parted", 0.0)
    flow = nb.mix_vector(
        parted,
        nb.new("ShaderNodeUVMap", uv_map="flow").outputs["UV"],
        nb.new("ShaderNodeUVMap", uv_map="flow_parted").outputs["UV"],
    )
    # u (along the hair) ~20 mm per fine streak, v (across) ~1 mm; clumps ~5 mm wide (0.11.0;
    # 0.6 and 3 mm before: finer than a pixel at 640x480, so they averaged to a flat cap).
    streak, clump, _, _ = nb.detail(flow, (0.3, 6.0, 1.0))
    _, _, wave, _ = nb.detail(flow, (1.5, 3.0, 1.0))
    hair = _hair_colour(nb, streak, clump, wave)
    # Parted hair shows a line of scalp along the parting (``parting``: signed distance
    # from its plane, position along it), ~PARTING_WIDTH_M wide, ragged with the streaks.
    part = nb.new("ShaderNodeSeparateXYZ")
    nb.link(nb.attribute("parting").outputs["Vector"], part.inputs[0])
    off = nb.math("ABSOLUTE", part.outputs["X"])
    off = nb.math("MULTIPLY_ADD", nb.math("SUBTRACT", streak, 0.5), 0.0008, off)
    line = nb.smoothstep(PARTING_WIDTH_M, 0.0, off)
    along = part.outputs["Y"]
    line = nb.math("MULTIPLY", line, nb.smoothstep(-0.05, 0.05, along))
    line = nb.math("MULTIPLY", line, nb.smoothstep(1.05, 0.9, along))
    line = nb.math("MULTIPLY", line, nb.math("MULTIPLY", parted, PARTING_SHOW))
    hair = nb.mix_color(line, hair, nb.rgb("scalp_rgb"))
    t = nb.attribute("hair_t").outputs["Fac"]
    ragged = nb.math("MULTIPLY_ADD", streak, 0.004, nb.math("MULTIPLY", clump, 0.0025))
    alpha = nb.smoothstep(0.0003, 0.007, nb.math("ADD", t, nb.math("SUBTRACT", ragged, 0.00325)))
    tangents = [
        nb.new("ShaderNodeTangent", direction_type="UV_MAP", uv_map=m).outputs["Tangent"]
        for m in ("flow", "flow_parted")
    ]
    tangent = nb.new("ShaderNodeVectorMath", operation="NORMALIZE")
    nb.link(nb.mix_vector(parted, *tangents), tangent.inputs[0])
    bsdf = nb.principled(
        "bsdf",
        Base_Color=hair,
        Roughness=nb.math("MULTIPLY_ADD", clump, 0.2, 0.3),
        Specular_IOR_Level=0.45,
        Anisotropic=0.85,
    )
    nb.link(tangent.outputs["Vector"], bsdf.inputs["Tangent"])
    nb.bump(nb.math("MULTIPLY", nb.math("ADD", streak, clump), 2.0), 0.35, 0.0006, bsdf)
    clear = nb.new("ShaderNodeBsdfTransparent")
    mix = nb.new("ShaderNodeMixShader")
    nb.link(alpha, mix.inputs["Fac"])
    nb.link(clear.outputs["BSDF"], mix.inputs[1])
    nb.link(bsdf.outputs["BSDF"], mix.inputs[2])
    nb.link(mix.outputs["Shader"], out.inputs["Surface"])
    return mat


def strand_material(bpy, name: str, detail_image):
    """Hair strands (synth.render.cycles_hair): Principled Hair BSDF (Chiang) coloured
    directly, near-black for eyelashes (curve attribute ``lash``), per-strand brightness
    (x0.7-1.3) and roughness variation."""
    mat, nb, out = new_material(bpy, f"fd_{name}", detail_image)
    lash = nb.attribute("lash").outputs["Factor"]
    rand = nb.new("ShaderNodeHairInfo").outputs["Random"]
    col = nb.mix_color(1.0, nb.rgb("hair_rgb"), nb.gray(nb.math("MULTIPLY_ADD", rand, 0.6, 0.7)),
                       blend="MULTIPLY")  # fmt: skip
    col = nb.mix_color(lash, col, (0.012, 0.009, 0.007, 1.0))
    bsdf = nb.new(
        "ShaderNodeBsdfHairPrincipled",
        "bsdf",
        model="CHIANG",
        parametrization="COLOR",
        inputs={"Roughness": 0.35, "Radial Roughness": 0.4, "Coat": 0.0,
                "Random Roughness": 0.2},
    )  # fmt: skip
    nb.link(col, bsdf.inputs["Color"])
    nb.link(bsdf.outputs["BSDF"], out.inputs["Surface"])
    return mat
