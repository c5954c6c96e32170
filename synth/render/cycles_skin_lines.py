"""The skin shader's lines: expression and age lines (nasolabial folds, forehead lines,
frown lines, crow's feet) and the upper lid's crease, as one groove weight that the skin
shader (synth.render.cycles_materials) turns into shade. The lines are drawn from smooth
per-vertex coordinates (synth.render.cycles_head.wrinkle_coords, lid_crease_coords) and
per-sample windows x depths (synth.render.cycles_traits.wrinkle_weights, identity_lid_crease).
"""

from __future__ import annotations

import numpy as np

from synth.render.cycles_traits import FOREHEAD_SPACING_M

# Expression and age lines (``skin_lines``, ``wrinkle_depths``): the albedo darkening at
# full depth (the crease's own shadow and occlusion). 0.7.0 took the lines out of the skin
# bump (0.6.0: a groove 2.5x the pore bump): Cycles evaluates a bump's height three times
# per shading point, and the bumped lines cost ~0.7-1 CPU-s per frame (of ~9, by A/B) for
# a difference not visible at 640x480 next to the shade alone.
WRINKLE_SHADE = 0.35
# The upper lid's crease (0.8.0): a groove this wide (the fold's shadow line at ~1 mm per
# pixel), shaded like the lines at CREASE_GAIN times their weight (the lid's fold overhangs
# it: its shadow is darker than a line's).
CREASE_WIDTH_M = 0.0013
FOREHEAD_WARP_M = 0.006  # forehead lines bend by +-half this over centimetres
CREASE_GAIN = 2.0


def _groove(nb, u, width: float):
    """exp(-(u / width)^2): 1 on a line (u = 0), 0 a few widths away."""
    q = nb.math("MULTIPLY", u, 1.0 / width)
    return nb.math("EXPONENT", nb.math("MULTIPLY", nb.math("MULTIPLY", q, q), -1.0))


def crease_field(nb) -> tuple:
    """The ``crease`` attribute's components (cycles_head.lid_crease_coords): distance to
    the lid crease curve, its window, and the height above the lid margin in lash-line
    widths."""
    crease = nb.new("ShaderNodeSeparateXYZ")
    nb.link(nb.attribute("crease").outputs["Vector"], crease.inputs[0])
    return tuple(crease.outputs)


def lash_line(nb, above):
    """The upper lash line's weight (0.11.0): 1 over the lid margin's first lash-line
    width (``above``: the ``crease`` field's height over that width, cycles_head
    LASH_LINE_M), fading out over its last third; the part below the margin lies on the
    eyeball. Without it the margin was bare skin and the eyes looked lashless from the
    front (the lash strands point at the camera)."""
    return nb.math("MULTIPLY", nb.smoothstep(-0.6, -0.4, above), nb.smoothstep(1.0, 0.7, above))


def skin_lines(nb, coarse, medium, crease):
    """Expression and age lines as a groove weight (0 flat .. ~1 in a line): the line
    profiles from the ``wrinkle_a``/``wrinkle_b`` coordinates
    (synth.render.cycles_head.wrinkle_coords) times the per-vertex, per-sample
    ``wrinkle_w`` weights (``wrinkle_weights``): nasolabial folds, forehead lines, the two
    vertical frown lines between the brows, crow's feet; and the upper lid's crease from
    the ``crease`` field (cycles_head.lid_crease_coords), at the per-identity ``crease``
    depth. ``coarse`` (~6 cm) and ``medium`` (~2.6 mm) are the skin's detail-noise
    sockets: they bend the forehead lines and vary their depth along them; ``crease`` is
    ``crease_field``'s sockets."""
    sa, sb = nb.new("ShaderNodeSeparateXYZ"), nb.new("ShaderNodeSeparateXYZ")
    nb.link(nb.attribute("wrinkle_a").outputs["Vector"], sa.inputs[0])
    nb.link(nb.attribute("wrinkle_b").outputs["Vector"], sb.inputs[0])
    nl_across, _, height = sa.outputs
    gl_across, angle, _ = sb.outputs
    w_attr = nb.attribute("wrinkle_w")
    w = nb.new("ShaderNodeSeparateColor")
    nb.link(w_attr.outputs["Color"], w.inputs[0])
    # The fold: a crease 2 mm wide, deepest between nose wing and mouth corner.
    nl = nb.math("MULTIPLY", _groove(nb, nl_across, 0.002), w.outputs[0])
    # Forehead: lines about FOREHEAD_SPACING_M apart across the band above the brows,
    # wavy (the height warped by up to +-3 mm over centimetres, +-0.5 mm over millimetres)
    # and of varying depth along their length (~0.1-1.5x): evenly spaced straight lines
    # (0.6.0-0.8.0 drafts) read as a stamped pattern.
    warp = nb.math("MULTIPLY_ADD", nb.math("SUBTRACT", coarse, 0.5), FOREHEAD_WARP_M, height)
    warp = nb.math("MULTIPLY_ADD", nb.math("SUBTRACT", medium, 0.5), 0.001, warp)
    lines = nb.math("COSINE", nb.math("MULTIPLY", warp, 2 * np.pi / FOREHEAD_SPACING_M))
    lines = nb.math("POWER", nb.math("MULTIPLY_ADD", lines, 0.5, 0.5), 8.0)
    along = nb.math("MULTIPLY_ADD", coarse, 2.4, -0.4)  # coarse 0.2-0.8 -> 0.1-1.5
    fh = nb.math("MULTIPLY", nb.math("MULTIPLY", lines, w.outputs[1]), along)
    # Frown lines: two short vertical grooves from the brows' inner ends upwards.
    gl = nb.math("MULTIPLY", _groove(nb, gl_across, 0.0012), w.outputs[2])
    # Crow's feet: a fan of ~5 lines out of the outer eye corner, 5-16 mm from it.
    fan = nb.math("POWER", nb.math("MULTIPLY_ADD", nb.math("COSINE", nb.math(
        "MULTIPLY", angle, 9.0)), 0.5, 0.5), 6.0)  # fmt: skip
    cf = nb.math("MULTIPLY", fan, w_attr.outputs["Alpha"])
    # The upper lid's crease: a groove along the ``crease`` curve, inside its window, at
    # the identity's depth (``identity_lid_crease``).
    lid = nb.math("MULTIPLY", _groove(nb, crease[0], CREASE_WIDTH_M), crease[1])
    lid = nb.math("MULTIPLY", lid, nb.math("MULTIPLY", nb.value("crease", 0.8), CREASE_GAIN))
    total = nb.math("ADD", nb.math("ADD", nl, fh), nb.math("ADD", gl, cf))
    total = nb.math("ADD", total, lid)
    return nb.math("MINIMUM", total, 1.0)
