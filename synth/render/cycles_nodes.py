"""Shader-node building blocks for the Cycles materials (bpy passed in, never imported).

``NodeBuilder`` creates and links nodes tersely; ``detail`` looks up one shared, tileable
4-channel noise image generated with numpy at start-up (``detail_pixels``). On a CPU one
bilinear image lookup is several times cheaper than a multi-octave procedural Noise node,
and the renderer's time budget is a few seconds per frame on 2 cores.
"""

from __future__ import annotations

import numpy as np

DETAIL_SIZE = 512


class NodeBuilder:
    """Terse node creation and linking for one node tree. Inputs given as sockets are
    linked, anything else is set as the socket's default value."""

    def __init__(self, tree, detail_image=None):
        self.tree = tree
        self.nodes = tree.nodes
        self.links = tree.links
        self.detail_image = detail_image

    def new(self, kind: str, name: str | None = None, inputs: dict | None = None, **props):
        node = self.nodes.new(kind)
        if name:
            node.name = name
        for key, value in props.items():
            setattr(node, key, value)
        for key, value in (inputs or {}).items():
            self.set(node.inputs[key], value)
        return node

    def link(self, out_socket, in_socket) -> None:
        self.links.new(out_socket, in_socket)

    def set(self, socket, value) -> None:
        if hasattr(value, "is_output"):
            self.link(value, socket)
        else:
            socket.default_value = value

    def mix_color(self, fac, a, b, name: str | None = None, blend: str = "MIX"):
        """ShaderNodeMix in RGBA mode (its colour sockets are inputs 6, 7 and output 2)."""
        node = self.new("ShaderNodeMix", name, data_type="RGBA", blend_type=blend)
        for socket, value in ((node.inputs[0], fac), (node.inputs[6], a), (node.inputs[7], b)):
            self.set(socket, value)
        return node.outputs[2]

    def mix_vector(self, fac, a, b):
        """a + fac (b - a) for vector sockets ``a``, ``b`` and a float ``fac``."""
        diff = self.new("ShaderNodeVectorMath", operation="SUBTRACT")
        self.link(b, diff.inputs[0])
        self.link(a, diff.inputs[1])
        scale = self.new("ShaderNodeVectorMath", operation="SCALE", inputs={"Scale": fac})
        self.link(diff.outputs["Vector"], scale.inputs[0])
        total = self.new("ShaderNodeVectorMath", operation="ADD")
        self.link(a, total.inputs[0])
        self.link(scale.outputs["Vector"], total.inputs[1])
        return total.outputs["Vector"]

    def mix_float(self, fac, a, b):
        node = self.new("ShaderNodeMix", data_type="FLOAT")
        for socket, value in ((node.inputs[0], fac), (node.inputs[2], a), (node.inputs[3], b)):
            self.set(socket, value)
        return node.outputs[0]

    def math(self, op: str, a, b=0.0, c=0.0):
        """ShaderNodeMath ``op`` of sockets or constants (``c``: MULTIPLY_ADD's addend)."""
        node = self.new("ShaderNodeMath", operation=op)
        for socket, value in zip(node.inputs, (a, b, c), strict=True):
            self.set(socket, value)
        return node.outputs[0]

    def smoothstep(self, lo: float, hi: float, x):
        node = self.new("ShaderNodeMapRange", interpolation_type="SMOOTHSTEP")
        node.inputs["From Min"].default_value = lo
        node.inputs["From Max"].default_value = hi
        self.set(node.inputs["Value"], x)
        return node.outputs["Result"]

    def attribute(self, name: str):
        return self.new("ShaderNodeAttribute", attribute_name=name, attribute_type="GEOMETRY")

    def rgb(self, name: str, value=(0.5, 0.5, 0.5)):
        node = self.new("ShaderNodeRGB", name)
        node.outputs[0].default_value = (*value, 1.0)
        return node.outputs[0]

    def value(self, name: str, value: float = 0.0):
        node = self.new("ShaderNodeValue", name)
        node.outputs[0].default_value = value
        return node.outputs[0]

    def gray(self, value):
        """A float socket as an RGB colour."""
        comb = self.new("ShaderNodeCombineColor")
        for i in range(3):
            self.set(comb.inputs[i], value)
        return comb.outputs[0]

    def principled(self, name: str = "bsdf", sss_method: str = "BURLEY", **inputs):
        """Principled BSDF; keyword names use "_" for " " (Subsurface_Weight=...). The
        subsurface method is set first: it decides which inputs exist."""
        node = self.new("ShaderNodeBsdfPrincipled", name, subsurface_method=sss_method)
        for key, value in inputs.items():
            self.set(node.inputs[key.replace("_", " ")], value)
        return node

    def bump(self, height, strength: float, distance: float, bsdf) -> None:
        node = self.new("ShaderNodeBump", inputs={"Strength": strength, "Distance": distance})
        self.link(height, node.inputs["Height"])
        self.link(node.outputs["Normal"], bsdf.inputs["Normal"])

    def detail(self, vector, scale):
        """Detail texture at ``vector`` * ``scale`` (scalar or xyz): the channels
        (R fine 3 px, G medium 16 px, B coarse 64 px, A cells 8 px of a 512 px tile)."""
        mapping = self.new("ShaderNodeMapping")
        mapping.inputs["Scale"].default_value = (scale,) * 3 if np.isscalar(scale) else scale
        self.link(vector, mapping.inputs["Vector"])
        tex = self.new("ShaderNodeTexImage", image=self.detail_image, interpolation="Linear")
        self.link(mapping.outputs["Vector"], tex.inputs["Vector"])
        sep = self.new("ShaderNodeSeparateColor")
        self.link(tex.outputs["Color"], sep.inputs[0])
        return sep.outputs[0], sep.outputs[1], sep.outputs[2], tex.outputs["Alpha"]


def new_material(bpy, name: str, detail_image) -> tuple:
    """An empty material ``name``: (material, its NodeBuilder, its output node)."""
    mat = bpy.data.materials.new(name)
    tree = mat.node_tree  # Blender 5.0 materials always have a node tree
    tree.nodes.clear()
    nb = NodeBuilder(tree, detail_image)
    return mat, nb, nb.new("ShaderNodeOutputMaterial", "output")


def set_if_changed(socket, value) -> None:
    """Assign a socket's default value only when it differs: every assignment tags the
    shader for recompilation in Cycles, even with an equal value."""
    new = tuple(float(v) for v in value) if np.ndim(value) else float(value)
    cur = tuple(socket.default_value) if np.ndim(value) else socket.default_value
    if not np.allclose(cur, new):
        socket.default_value = new


def band_noise(size: int, wavelength_px: float, rng: np.random.Generator) -> np.ndarray:
    """(size,size) tileable noise in [0,1], mean 0.5, with features of about
    ``wavelength_px`` pixels (white noise band-passed in the Fourier domain, so it wraps)."""
    f = np.fft.fftfreq(size)
    fx, fy = np.meshgrid(f, f)
    r = np.maximum(np.hypot(fx, fy), 1e-9)
    band = np.exp(-0.5 * (np.log(r * wavelength_px) / 0.5) ** 2)
    band[0, 0] = 0.0
    x = np.real(np.fft.ifft2(np.fft.fft2(rng.standard_normal((size, size))) * band))
    return np.clip(0.5 + 0.18 * (x - x.mean()) / x.std(), 0.0, 1.0)


def detail_pixels(size: int = DETAIL_SIZE, seed: int = 7) -> np.ndarray:
    """(size,size,4) float32 tileable detail texture (channels as in NodeBuilder.detail)."""
    rng = np.random.default_rng(seed)
    return np.stack([band_noise(size, w, rng) for w in (3, 16, 64, 8)], -1).astype(np.float32)


def pixels_image(bpy, name: str, pixels: np.ndarray, alpha: bool = False, pack: bool = True):
    """A non-colour bpy image ``name`` holding ``pixels`` ((h, w, 4) float32 in [0, 1],
    rows bottom to top); ``alpha``: a fourth data channel (channel-packed); ``pack``:
    packed, so a saved .blend is self-contained."""
    img = bpy.data.images.new(name, pixels.shape[1], pixels.shape[0], alpha=alpha)
    img.colorspace_settings.name = "Non-Color"
    if alpha:
        img.alpha_mode = "CHANNEL_PACKED"
    img.pixels.foreach_set(pixels.ravel())
    if pack:
        img.pack()
    return img


def build_detail_image(bpy):
    """The shared detail texture as a packed, non-colour bpy image."""
    return pixels_image(bpy, "fd_detail", detail_pixels(), alpha=True)
