"""Skin maps for the Cycles skin shader (``identity.skin_map_dir``, IdentitySpec.skin_map).

A skin map is an albedo image in the asset's own UV layout. For the default asset that
is MakeHuman's base-mesh layout, the one MakeHuman's CC0 skins are painted for. The
procedural skin has no photographed detail (docs/CYCLES.md, "Limitations"); a map
brings its own.

The shader keeps the identity's colours and takes from the map only its fine detail:
the map divided by a blur of itself (``map_detail_pixels``: a Gaussian of DETAIL_SIGMA_UV,
~6 mm on the face, taken over the map's UV islands only). Pores, blemishes, freckles,
small vessels and the edges of brows and lips then vary the skin around the identity's
tone and its parametric zoning (lips, flush, lids, under-eyes), so one map serves any
tone. What the map has at centimetre scale and above (its own tone, redness, make-up)
is left out.

Where a map is used, the procedural albedo detail (blotches, mottling, freckles, pore
shading) is turned off, since the map has its own. What the geometry drives stays:
creases, expression lines, the lash line, stubble, and the bump.

Maps are read through the head's ``UVMap`` layer (cycles_head.detail_uv). That layer
keeps the asset's UVs on the face's island (head, face and scalp) and rescales the
others for the procedural detail. A per-vertex weight, ``skin_map_w``
(``skin_map_weights``), keeps the map to the vertices whose every triangle has its UVs
unchanged: the face, nose, brows and ears and most of the lips; the rest of the neck and
the chest keep the procedural detail, with a one-triangle fade at the seam.

A second UV layer, or a face-corner attribute with the asset's UVs, made Blender
5.0.1's Cycles crash in its next sync (``attr_create_uv_map``, with persistent data),
in most runs of two frames.

A map's detail image is made on first use (at most MAP_MAX_PX square, 8 bits per
channel: 16 MB at 2048) and kept: a worker holds every map its identities drew.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from assets_pipeline.head_asset import HeadAsset
from synth.background import srgb_to_linear
from synth.config import ConfigError, skin_map_files
from synth.render.cycles_nodes import pixels_image, set_if_changed

# Maps are read at most this many texels square (MakeHuman's are 2048 or 4096; at 640x480
# a face covers ~200 px, ~400 texels of a 2048 map).
MAP_MAX_PX = 2048
# The blur the detail is taken against, in UV units (~1 m of face per UV unit): ~6 mm.
DETAIL_SIGMA_UV = 0.006
# The detail image holds detail / DETAIL_RANGE in [0, 1] (8 bits: steps of ~0.8 %). 255/128
# stores a ratio of 1 exactly (byte 128); 2.0 stored it as 128/255 x 2, 0.4 % too bright.
DETAIL_RANGE = 255.0 / 128.0


def skin_map_layer(nb, skin, uv):
    """Build the map's nodes into a skin material (NodeBuilder ``nb``) and apply them to
    the colour socket ``skin``.

    The map is read at the ``uv`` socket (the ``UVMap`` layer: cycles_head.detail_uv),
    where the ``skin_map_w`` attribute says so (``skin_map_weights``).

    Returns (the new colour socket, a float socket that is 1 without a map and 0 with
    one, to fade the procedural albedo detail out). The nodes are named "skin_map"
    (the detail image) and "skin_map_on" (0 or 1); ``SkinMaps.apply`` sets them."""
    tex = nb.new("ShaderNodeTexImage", "skin_map", interpolation="Linear")
    nb.link(uv, tex.inputs["Vector"])
    detail = nb.mix_color(1.0, tex.outputs["Color"], (DETAIL_RANGE,) * 3 + (1.0,),
                          blend="MULTIPLY")  # fmt: skip
    on = nb.math(
        "MULTIPLY", nb.value("skin_map_on", 0.0), nb.attribute("skin_map_w").outputs["Fac"]
    )
    skin = nb.mix_color(on, skin, detail, blend="MULTIPLY")
    return skin, nb.math("SUBTRACT", 1.0, on)


def skin_map_weights(asset: HeadAsset, uv_render: np.ndarray) -> np.ndarray:
    """(V,) float32: 1 at the vertices whose every triangle has the asset's own UVs in
    ``uv_render`` (F,3,2), the UVs the renderer draws with, 0 elsewhere."""
    same = np.all(uv_render == asset.uv, axis=(1, 2))
    off = np.zeros(asset.n_vertices, bool)
    off[asset.faces[~same].ravel()] = True
    return (~off).astype(np.float32)


def uv_coverage(asset: HeadAsset, size: int) -> np.ndarray:
    """(size, size) bool, image rows top to bottom: the texels inside the asset's UV
    triangles (v runs up from the bottom row, as Blender reads UVs)."""
    from PIL import Image, ImageDraw

    im = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(im)
    px = asset.uv.astype(np.float64) * [size, -size] + [0.0, size]
    for tri in px:
        draw.polygon([tuple(p) for p in tri], fill=255)
    return np.asarray(im) > 0


def map_detail_pixels(path: str | Path, coverage) -> np.ndarray:
    """(h, w, 4) float32 in [0, 1], rows bottom to top (Blender's order): the map's fine
    detail, linear map / its Gaussian blur (DETAIL_SIGMA_UV, normalised over the texels
    ``coverage(size)`` says are inside the UV islands, so the empty atlas around them
    does not darken the blur), divided by DETAIL_RANGE; 1 / DETAIL_RANGE (no detail)
    outside the islands. Maps larger than MAP_MAX_PX are downsampled first."""
    from PIL import Image
    from scipy.ndimage import gaussian_filter

    with Image.open(path) as im:
        im = im.convert("RGB")
        if max(im.size) > MAP_MAX_PX:
            im = im.resize((MAP_MAX_PX, MAP_MAX_PX), Image.LANCZOS)
        rgb = srgb_to_linear(np.asarray(im, np.float32) / 255.0)
    h, w = rgb.shape[:2]
    inside = coverage(w).astype(np.float32)
    if (h, w) != inside.shape:
        inside = np.asarray(Image.fromarray(inside).resize((w, h), Image.NEAREST))
    sigma = (DETAIL_SIGMA_UV * h, DETAIL_SIGMA_UV * w)
    weight = gaussian_filter(inside, sigma)
    out = np.ones((h, w, 4), np.float32)
    for c in range(3):
        blur = gaussian_filter(rgb[..., c] * inside, sigma) / np.maximum(weight, 1e-6)
        ratio = np.where(inside > 0, rgb[..., c] / np.maximum(blur, 1e-4), 1.0)
        out[..., c] = np.clip(ratio / DETAIL_RANGE, 0.0, 1.0)
    return out[::-1].copy()


class SkinMaps:
    """The maps of one renderer, applied per sample to the skin material's nodes
    (``skin_map_layer``); each map's detail image is made on first use and kept."""

    def __init__(self, bpy, asset: HeadAsset, directory: str | None):
        self.bpy = bpy
        self.asset = asset
        self.directory = directory
        self._images: dict[str, object] = {}
        self._coverage: dict[int, np.ndarray] = {}
        self._warned = False

    def _coverage_of(self, size: int) -> np.ndarray:
        if size not in self._coverage:
            self._coverage[size] = uv_coverage(self.asset, size)
        return self._coverage[size]

    def _image(self, name: str):
        if name not in self._images:
            if name not in skin_map_files(self.directory):
                raise ConfigError(f"skin map {name!r} not found in {self.directory}")
            path = Path(self.directory) / name
            try:
                px = map_detail_pixels(path, self._coverage_of)
            except (OSError, ValueError) as exc:
                raise ConfigError(f"skin map {path} is not a readable image ({exc})") from None
            self._images[name] = pixels_image(
                self.bpy, f"fd_skin_map_{len(self._images)}", px, pack=False
            )
        return self._images[name]

    def pack(self) -> None:
        """Pack the maps made so far into the .blend (for ``save_blend``; ~0.5 s and ~10 MB
        each, so not done per map otherwise)."""
        for image in self._images.values():
            image.pack()

    def apply(self, nodes, name: str | None) -> None:
        """Show skin map ``name`` (a file in the directory) on the material's ``nodes``,
        or none (``name`` None, or no directory: then a warning, once)."""
        if name is not None and self.directory is None:
            if not self._warned:
                print("cycles: skin map given but no skin_map_dir option; using the "
                      "procedural skin", file=sys.stderr)  # fmt: skip
                self._warned = True
            name = None
        image = None if name is None else self._image(name)  # a bad map fails first
        set_if_changed(nodes["skin_map_on"].outputs[0], 0.0 if image is None else 1.0)
        if image is not None and nodes["skin_map"].image != image:
            nodes["skin_map"].image = image
