"""One OpenGL pass that writes each pixel's triangle id and its Gouraud colour.

The rasteriser behind every renderer's labels (synth.render.base.Renderer.exact_labels)
and the fast renderer's RGB. It draws the sample's triangles once, unculled, into a
single-sampled framebuffer with two colour attachments:

- ``GL_R32I``: ``gl_PrimitiveID + 1`` (0 = no surface): the triangle covering each pixel
  centre. Single-sampled, so no id is ever averaged across a silhouette;
- ``GL_RGBA8``: the per-corner linear colours interpolated perspective-correctly, then
  encoded to sRGB in the fragment shader (the fast renderer's image; Cycles passes none).

Coordinates: vertices are OpenCV camera-frame points (x right, y down, z forward, metres)
and the vertex shader applies K directly: the window position of a point is
``(u + 0.5, v + 0.5)`` with ``(u, v)`` its OpenCV pixel coordinates, so GL's pixel-centre
sampling tests exactly the OpenCV pixel centres, and framebuffer row ``v`` is image row
``v`` (no flip on read-back). Depth is clipped to [near, far] by planar z.

Context: pyrender's platform classes create it -- EGL where ``PYOPENGL_PLATFORM=egl``
(chosen automatically when an NVIDIA device node exists), OSMesa (Debian's libosmesa6,
llvmpipe) elsewhere. One context, program and framebuffer per rasteriser, reused; each
sample only refills two vertex buffers. No GL object is created per sample.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from synth.render.labels import gather

_VERTEX = """
#version 330 core
layout(location = 0) in vec3 pos;
layout(location = 1) in vec3 color;
uniform vec4 intr;   // fx, fy, cx + 0.5, cy + 0.5
uniform float skew;  // K[0, 1]
uniform vec4 frame;  // width, height, near, far
out vec3 v_color;
void main() {
    float z = pos.z;
    float xw = intr.x * pos.x + skew * pos.y + intr.z * z;  // window x times z
    float yw = intr.y * pos.y + intr.w * z;
    float n = frame.z, f = frame.w;
    gl_Position = vec4(2.0 * xw / frame.x - z, 2.0 * yw / frame.y - z,
                       (f + n) / (f - n) * z - 2.0 * f * n / (f - n), z);
    v_color = color;
}
"""

_FRAGMENT = """
#version 330 core
in vec3 v_color;
layout(location = 0) out vec4 rgba;
layout(location = 1) out int tri;
void main() {
    vec3 c = clamp(v_color, 0.0, 1.0);
    vec3 hi = 1.055 * pow(c, vec3(1.0 / 2.4)) - 0.055;
    rgba = vec4(mix(12.92 * c, hi, step(vec3(0.0031308), c)), 1.0);
    tri = gl_PrimitiveID + 1;
}
"""


def choose_platform() -> str:
    """Set ``PYOPENGL_PLATFORM`` unless the user did: EGL with an NVIDIA device, else OSMesa."""
    if "PYOPENGL_PLATFORM" not in os.environ:
        os.environ["PYOPENGL_PLATFORM"] = "egl" if Path("/dev/nvidia0").exists() else "osmesa"
    return os.environ["PYOPENGL_PLATFORM"]


def _make_context(width: int, height: int, platform: str):
    if platform == "egl":
        from pyrender.platforms.egl import EGLPlatform

        ctx = EGLPlatform(width, height)
    elif platform == "osmesa":
        from pyrender.platforms.osmesa import OSMesaPlatform

        ctx = OSMesaPlatform(width, height)
    else:
        raise RuntimeError(
            f"PYOPENGL_PLATFORM={platform!r} is not supported for offscreen rendering; "
            "use 'osmesa' (CPU) or 'egl' (GPU)"
        )
    ctx.init_context()
    ctx.make_current()
    return ctx


def _compile(gl, source: str, kind) -> int:
    shader = gl.glCreateShader(kind)
    gl.glShaderSource(shader, source)
    gl.glCompileShader(shader)
    if not gl.glGetShaderiv(shader, gl.GL_COMPILE_STATUS):
        raise RuntimeError(f"GL shader compile failed: {gl.glGetShaderInfoLog(shader)!r}")
    return shader


class GLRasterizer:
    """Triangle-id (+ optional colour) rasteriser for one image size; see module doc."""

    def __init__(self, width: int, height: int):
        platform = choose_platform()  # before PyOpenGL's first import, which binds it
        from OpenGL import GL as gl

        self.width, self.height = int(width), int(height)
        self._ctx = _make_context(self.width, self.height, platform)
        self._gl = gl
        vs = _compile(gl, _VERTEX, gl.GL_VERTEX_SHADER)
        fs = _compile(gl, _FRAGMENT, gl.GL_FRAGMENT_SHADER)
        prog = gl.glCreateProgram()
        gl.glAttachShader(prog, vs)
        gl.glAttachShader(prog, fs)
        gl.glLinkProgram(prog)
        if not gl.glGetProgramiv(prog, gl.GL_LINK_STATUS):
            raise RuntimeError(f"GL program link failed: {gl.glGetProgramInfoLog(prog)!r}")
        gl.glDeleteShader(vs)
        gl.glDeleteShader(fs)
        self._prog = prog
        self._loc = {k: gl.glGetUniformLocation(prog, k) for k in ("intr", "skew", "frame")}

        self._vao = gl.glGenVertexArrays(1)
        gl.glBindVertexArray(self._vao)
        self._vbo_pos, self._vbo_col = gl.glGenBuffers(2)
        for loc, vbo in ((0, self._vbo_pos), (1, self._vbo_col)):
            gl.glBindBuffer(gl.GL_ARRAY_BUFFER, vbo)
            gl.glVertexAttribPointer(loc, 3, gl.GL_FLOAT, gl.GL_FALSE, 0, None)

        self._fbo = gl.glGenFramebuffers(1)
        gl.glBindFramebuffer(gl.GL_FRAMEBUFFER, self._fbo)
        self._rbos = gl.glGenRenderbuffers(3)
        attachments = (
            (gl.GL_RGBA8, gl.GL_COLOR_ATTACHMENT0),
            (gl.GL_R32I, gl.GL_COLOR_ATTACHMENT1),
            (gl.GL_DEPTH_COMPONENT24, gl.GL_DEPTH_ATTACHMENT),
        )
        for rbo, (fmt, attachment) in zip(self._rbos, attachments, strict=True):
            gl.glBindRenderbuffer(gl.GL_RENDERBUFFER, rbo)
            gl.glRenderbufferStorage(gl.GL_RENDERBUFFER, fmt, self.width, self.height)
            gl.glFramebufferRenderbuffer(gl.GL_FRAMEBUFFER, attachment, gl.GL_RENDERBUFFER, rbo)
        status = gl.glCheckFramebufferStatus(gl.GL_FRAMEBUFFER)
        if status != gl.GL_FRAMEBUFFER_COMPLETE:
            raise RuntimeError(f"GL framebuffer incomplete (status {status:#x})")
        gl.glDrawBuffers(2, [gl.GL_COLOR_ATTACHMENT0, gl.GL_COLOR_ATTACHMENT1])
        gl.glViewport(0, 0, self.width, self.height)
        gl.glEnable(gl.GL_DEPTH_TEST)
        gl.glDepthFunc(gl.GL_LESS)
        gl.glDisable(gl.GL_CULL_FACE)
        gl.glDisable(gl.GL_BLEND)
        gl.glDisable(gl.GL_MULTISAMPLE)
        gl.glUseProgram(prog)
        self._ids = np.empty((self.height, self.width), np.int32)

    def render(
        self,
        vertices: np.ndarray,
        faces: np.ndarray,
        K: np.ndarray,
        near: float,
        far: float,
        corner_colors: np.ndarray | None = None,
        background_rgb: tuple[int, int, int] = (0, 0, 0),
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Draw triangles ``faces`` of camera-frame ``vertices``.

        Returns ``(tri, rgb)``: (H,W) int32 triangle index per pixel centre (-1 = none) and,
        when ``corner_colors`` ((M,3,3) linear RGB per triangle corner) is given, the
        (H,W,3) uint8 sRGB image with ``background_rgb`` where nothing was drawn; else None.
        """
        gl = self._gl
        if self._ctx is None:
            raise RuntimeError("GLRasterizer is closed")
        self._ctx.make_current()
        gl.glBindFramebuffer(gl.GL_FRAMEBUFFER, self._fbo)
        gl.glBindVertexArray(self._vao)
        gl.glUseProgram(self._prog)
        pos = gather(vertices.astype(np.float32, copy=False), faces)
        gl.glBindBuffer(gl.GL_ARRAY_BUFFER, self._vbo_pos)
        gl.glBufferData(gl.GL_ARRAY_BUFFER, pos.nbytes, pos, gl.GL_STREAM_DRAW)
        gl.glEnableVertexAttribArray(0)
        if corner_colors is not None:
            col = np.ascontiguousarray(corner_colors, dtype=np.float32)
            if col.shape != (len(faces), 3, 3):
                raise ValueError(f"corner_colors must be ({len(faces)}, 3, 3), got {col.shape}")
            gl.glBindBuffer(gl.GL_ARRAY_BUFFER, self._vbo_col)
            gl.glBufferData(gl.GL_ARRAY_BUFFER, col.nbytes, col, gl.GL_STREAM_DRAW)
            gl.glEnableVertexAttribArray(1)
        else:
            gl.glDisableVertexAttribArray(1)
            gl.glVertexAttrib3f(1, 0.0, 0.0, 0.0)
        gl.glUniform4f(self._loc["intr"], K[0, 0], K[1, 1], K[0, 2] + 0.5, K[1, 2] + 0.5)
        gl.glUniform1f(self._loc["skew"], K[0, 1])
        gl.glUniform4f(self._loc["frame"], self.width, self.height, near, far)
        bg = np.asarray(background_rgb, np.float32) / 255.0
        gl.glClearBufferfv(gl.GL_COLOR, 0, np.array([*bg, 1.0], np.float32))
        gl.glClearBufferiv(gl.GL_COLOR, 1, np.zeros(4, np.int32))
        gl.glClearBufferfv(gl.GL_DEPTH, 0, np.ones(1, np.float32))
        gl.glDrawArrays(gl.GL_TRIANGLES, 0, 3 * len(faces))
        gl.glPixelStorei(gl.GL_PACK_ALIGNMENT, 1)
        gl.glReadBuffer(gl.GL_COLOR_ATTACHMENT1)
        gl.glReadPixels(
            0, 0, self.width, self.height, gl.GL_RED_INTEGER, gl.GL_INT, self._ids
        )  # fmt: skip
        tri = self._ids - 1
        rgb = None
        if corner_colors is not None:
            gl.glReadBuffer(gl.GL_COLOR_ATTACHMENT0)
            rgb = np.empty((self.height, self.width, 3), np.uint8)  # a fresh image per call
            gl.glReadPixels(0, 0, self.width, self.height, gl.GL_RGB, gl.GL_UNSIGNED_BYTE, rgb)
        return tri, rgb

    def triangle_ids(self, vertices, faces, K, near, far) -> np.ndarray:
        """(H,W) int32 triangle index covering each pixel centre, -1 for none."""
        return self.render(vertices, faces, K, near, far)[0]

    def close(self) -> None:
        if self._ctx is None:
            return
        gl = self._gl
        self._ctx.make_current()
        gl.glDeleteFramebuffers(1, [self._fbo])
        gl.glDeleteRenderbuffers(3, list(self._rbos))
        gl.glDeleteBuffers(2, [self._vbo_pos, self._vbo_col])
        gl.glDeleteVertexArrays(1, [self._vao])
        gl.glDeleteProgram(self._prog)
        self._ctx.delete_context()
        self._ctx = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: GL may already be gone
            pass
