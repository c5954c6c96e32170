"""The eye's Cycles material: sclera, iris and pupil in one shader under a cornea.

Drawn from the ``iris_xy`` point attribute (synth.render.cycles_head.iris_coords) and the
per-sample ``lid_below`` (cycles_head.below_upper_lid); the iris colours are set per
identity by synth.render.cycles_materials.update_materials (``iris_rgb``,
``collarette_rgb``). Constants are documented guesses tuned by eye on contact sheets and
checked with benchmarks/bench_eyes.py.
"""

from __future__ import annotations

import numpy as np

from synth.render.cycles_nodes import new_material

SCLERA = (0.6, 0.56, 0.52)
# The conjunctiva towards the eye's corners: pinker and darker than the sclera's middle.
SCLERA_CORNER = (0.45, 0.3, 0.27, 1.0)
# Tear film and cornea: a real tear film reflects ~2.5 % (IOR 1.376, TEAR_IOR). The
# asset's eye is flat over the iris; the shader bends the coat's normal over a cornea of
# radius 7.8 mm (CORNEA_RADIUS, in iris radii of IRIS_RADIUS_M), which concentrates the key
# light into a small catchlight as in a photograph. At 2.5 % that catchlight is about as
# bright as the lit skin and OpenImageDenoise at 7 spp removes it (it shows without the
# denoiser at 64 spp; at IOR 1.7 it is still gone); over the cornea only, the coat
# reflects ~17 % (CATCHLIGHT_IOR), which survives. Until 0.10.0 the whole flat eye had
# IOR 2.0 (~11 %), which mirrored the room over the sclera as well: porcelain whites.
TEAR_IOR = 1.376
CATCHLIGHT_IOR = 2.4
IRIS_RADIUS_M = 0.006  # a human iris is ~12 mm across (cycles_head.iris_coords units)
CORNEA_RADIUS = 0.0078 / IRIS_RADIUS_M


# Shadow of the upper lid on the eye (``_lid_shadow``): strength and fall-off (m).
LID_SHADOW = 0.55
LID_SHADOW_M = 0.0018


def _lid_shadow(nb, col):
    """``col`` darkened under the upper lid (``lid_below``, m below its margin): the lid
    and lashes shade the top of the eye by up to LID_SHADOW within ~LID_SHADOW_M. The
    coarse eyeball and Cycles' soft key light leave the sclera evenly lit to the lid's
    edge, which reads as a painted eye."""
    below = nb.math("MAXIMUM", nb.attribute("lid_below").outputs["Fac"], 0.0)
    shade = nb.math("MULTIPLY", nb.math("EXPONENT", nb.math(
        "MULTIPLY", below, -1.0 / LID_SHADOW_M)), LID_SHADOW)  # fmt: skip
    return nb.mix_color(shade, col, (0.0, 0.0, 0.0, 1.0))


def eye_material(bpy, detail_image):
    """The eyeball (sclera, iris and pupil triangles alike) under a cornea and tear film.

    Everything is drawn from ``iris_xy`` (cycles_head.iris_coords), so the iris is round
    wherever the asset's triangles end (its iris faces stop in an octagon), and the tear
    film's normal follows the cornea's dome (``CORNEA_RADIUS``) over the asset's flat iris:
    the key light becomes a small catchlight on the cornea instead of a sheen over the
    whole eye (``TEAR_IOR``, ``CATCHLIGHT_IOR``)."""
    mat, nb, out = new_material(bpy, "fd_eye", detail_image)
    bsdf = nb.principled(
        "bsdf", Roughness=0.35, Specular_IOR_Level=0.25, Coat_Weight=1.0, Coat_Roughness=0.05
    )
    xy = nb.attribute("iris_xy").outputs["Vector"]
    sep = nb.new("ShaderNodeSeparateXYZ")
    nb.link(xy, sep.inputs[0])
    x, y, z = sep.outputs["X"], sep.outputs["Y"], sep.outputs["Z"]
    r = nb.math("SQRT", nb.math("ADD", nb.math("MULTIPLY", x, x), nb.math("MULTIPLY", y, y)))
    # Only the front of the eye has an iris (the back projects into the disc too).
    r = nb.math("ADD", r, nb.math("MULTIPLY", nb.math("LESS_THAN", z, -1.0), 10.0))
    # Sclera: fine vessels, blotches, and a pinker, darker conjunctiva towards the corners.
    uv = nb.new("ShaderNodeTexCoord").outputs["UV"]
    veins, _, blot, _ = nb.detail(uv, 20.0)
    red = nb.math("MULTIPLY", nb.math("GREATER_THAN", veins, 0.7), 0.25)
    sclera = nb.mix_color(red, nb.rgb("sclera_rgb", SCLERA), (0.5, 0.14, 0.1, 1))
    sclera = nb.mix_color(0.12, sclera, nb.gray(blot), blend="OVERLAY")
    corner = nb.math("MULTIPLY", nb.smoothstep(1.4, 2.4, r), 0.35)
    sclera = nb.mix_color(corner, sclera, SCLERA_CORNER)
    # Iris: radial fibres and crypts, a lighter collarette ring round the pupil, a dark
    # limbal ring at its edge, which fades into the sclera within ~0.5 mm.
    angle = nb.math("ARCTAN2", y, x)
    polar = nb.new("ShaderNodeCombineXYZ")
    nb.link(nb.math("MULTIPLY", angle, 1.0 / (2 * np.pi)), polar.inputs["X"])
    nb.link(nb.math("MULTIPLY", r, 0.04), polar.inputs["Y"])
    crypts, streaks, _, _ = nb.detail(polar.outputs[0], (1.0, 1.0, 1.0))
    fib = nb.math("MULTIPLY_ADD", streaks, 1.6, nb.math("MULTIPLY", crypts, 0.5))
    col = nb.mix_color(1.0, nb.rgb("iris_rgb"), nb.gray(nb.math("MULTIPLY_ADD", fib, 0.9, 0.05)),
                       blend="MULTIPLY")  # fmt: skip
    ring = nb.math("MULTIPLY", nb.smoothstep(0.3, 0.42, r), nb.smoothstep(0.62, 0.48, r))
    col = nb.mix_color(nb.math("MULTIPLY", ring, 0.5), col, nb.rgb("collarette_rgb"))
    col = nb.mix_color(nb.math("MULTIPLY", nb.smoothstep(0.8, 1.0, r), 0.85), col,
                       (0.02, 0.018, 0.02, 1.0))  # fmt: skip
    col = nb.mix_color(nb.smoothstep(0.3, 0.27, r), col, (0.003, 0.003, 0.003, 1.0))
    col = nb.mix_color(nb.smoothstep(0.98, 1.08, r), col, sclera)
    nb.link(_lid_shadow(nb, col), bsdf.inputs["Base Color"])
    # The cornea: a sphere of radius CORNEA_RADIUS (iris radii) over the limbus (r < 1),
    # as a bump of the tear film only (the iris lies flat beneath it).
    rc = nb.math("MINIMUM", r, 1.0)
    dome = nb.math("SQRT", nb.math("SUBTRACT", CORNEA_RADIUS**2, nb.math("MULTIPLY", rc, rc)))
    dome = nb.math("SUBTRACT", dome, float(np.sqrt(CORNEA_RADIUS**2 - 1.0)))
    bump = nb.new("ShaderNodeBump", inputs={"Strength": 1.0, "Distance": IRIS_RADIUS_M})
    nb.link(dome, bump.inputs["Height"])
    nb.link(bump.outputs["Normal"], bsdf.inputs["Coat Normal"])
    ior = nb.math("MULTIPLY_ADD", nb.smoothstep(1.08, 0.98, r), CATCHLIGHT_IOR - TEAR_IOR, TEAR_IOR)
    nb.link(ior, bsdf.inputs["Coat IOR"])
    nb.link(bsdf.outputs["BSDF"], out.inputs["Surface"])
    return mat
