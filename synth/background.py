"""Backgrounds: wall and object colours, the ``textured`` wall plane, and the frame helpers
the room (synth.room) shares.

Portraits are taken against walls and studio backdrops, so colours are drawn like real
paints and furnishings: mostly low-saturation neutrals (off-whites, greys, beiges, muted
blue/green/brown, dark studio grey), with a minority (~14 %) of stronger paints
(terracotta, mustard, teal, navy...). Families are boxes in sRGB-encoded HSV, where "low
saturation" means what it means to a painter; every colour returned is linear Rec.709 RGB.

Geometry is triangles in the OpenCV camera frame (metres, x right, y down, z forward), a
pure function of ``BackgroundSpec.seed`` (the generator passed in) and the camera:
``backdrop`` is one camera-facing plane at the background distance covering the frustum,
painted (smooth low-frequency shading), striped (wallpaper) or two-tone (a darker, white
or wooden lower wall). Scalar draws go through ``uniform`` / ``integer`` / ``pick``
(``Generator.random``, a quarter of ``Generator.uniform``'s cost per scalar), which keeps a
room at 1-2 ms.
"""

from __future__ import annotations

import functools

import numpy as np

from synth.spec import SceneSpec

Z_NEAR_M = 1.5  # nothing of the background lies nearer than this (camera-frame z)
FLOOR_BELOW_HEAD_M = (1.2, 1.6)  # floor height below the head joint
UP = np.array([0.0, -1.0, 0.0])  # up in the level frame (y down)
_HSV_K = np.array([5.0, 3.0, 1.0])

# ------------------------------------------------------------------ colours
# name: (share, hue lo, hue hi [deg; lo > hi wraps through 0], sat lo, sat hi, val lo, val hi)
WALL_PAINTS: dict[str, tuple[float, ...]] = {
    "warm_white": (0.16, 35, 50, 0.03, 0.10, 0.82, 0.94),
    "cool_white": (0.10, 190, 230, 0.00, 0.05, 0.85, 0.95),
    "light_grey": (0.12, 0, 360, 0.00, 0.04, 0.65, 0.85),
    "beige": (0.14, 28, 45, 0.10, 0.25, 0.60, 0.85),
    "warm_grey": (0.08, 20, 40, 0.06, 0.16, 0.40, 0.65),
    "cool_grey": (0.08, 195, 225, 0.04, 0.12, 0.40, 0.70),
    "muted_blue": (0.05, 195, 225, 0.12, 0.28, 0.45, 0.75),
    "sage": (0.05, 70, 140, 0.10, 0.25, 0.45, 0.72),
    "muted_brown": (0.03, 20, 35, 0.20, 0.40, 0.28, 0.50),
    "studio_grey": (0.05, 0, 360, 0.00, 0.05, 0.18, 0.38),
    # stronger but plausible paints (14 %)
    "terracotta": (0.02, 10, 22, 0.40, 0.65, 0.45, 0.70),
    "mustard": (0.02, 38, 48, 0.45, 0.70, 0.55, 0.80),
    "teal": (0.02, 170, 195, 0.35, 0.60, 0.30, 0.55),
    "navy": (0.02, 210, 230, 0.35, 0.60, 0.18, 0.40),
    "forest": (0.02, 100, 150, 0.30, 0.55, 0.20, 0.42),
    "burgundy": (0.02, 340, 358, 0.40, 0.60, 0.25, 0.45),
    "dusty_pink": (0.02, 345, 15, 0.20, 0.40, 0.65, 0.85),
}
STRONG_PAINTS = ("terracotta", "mustard", "teal", "navy", "forest", "burgundy", "dusty_pink")
OBJECT_COLOURS: dict[str, tuple[float, ...]] = {
    "wood": (1.0, 20, 38, 0.35, 0.65, 0.25, 0.72),
    "white": (1.0, 30, 220, 0.00, 0.06, 0.80, 0.92),
    "grey": (1.0, 0, 360, 0.00, 0.08, 0.25, 0.65),
    "black": (1.0, 0, 360, 0.00, 0.08, 0.05, 0.18),
    "muted": (1.0, 0, 360, 0.15, 0.40, 0.30, 0.70),
    "fabric": (1.0, 0, 360, 0.08, 0.45, 0.20, 0.65),
    "book": (1.0, 0, 360, 0.15, 0.65, 0.20, 0.80),
    "paper": (1.0, 35, 50, 0.03, 0.15, 0.75, 0.92),
    "plant": (1.0, 80, 140, 0.35, 0.65, 0.18, 0.45),
    "terracotta": (1.0, 12, 24, 0.45, 0.65, 0.45, 0.70),
    "shade": (1.0, 35, 50, 0.05, 0.20, 0.78, 0.92),
    "art": (1.0, 0, 360, 0.10, 0.50, 0.20, 0.85),
    "floor_wood": (1.0, 20, 36, 0.30, 0.60, 0.25, 0.65),
    "carpet": (1.0, 0, 360, 0.00, 0.15, 0.25, 0.60),
}
_WALL_SHARES = {k: v[0] for k, v in WALL_PAINTS.items()}


def uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    """One uniform draw in [lo, hi) (a quarter of ``rng.uniform``'s cost for a scalar)."""
    return lo + (hi - lo) * rng.random()


def integer(rng: np.random.Generator, lo: int, hi: int) -> int:
    """One integer draw in [lo, hi)."""
    return lo + min(int(rng.random() * (hi - lo)), hi - lo - 1)


def pick(rng: np.random.Generator, shares: dict[str, float]) -> str:
    """A key of ``shares`` with probability proportional to its value (one draw)."""
    x = rng.random() * sum(shares.values())
    for name, share in shares.items():
        x -= share
        if x < 0.0:
            return name
    return name


def srgb_to_linear(c):
    """sRGB-encoded values in [0, 1] -> linear (IEC 61966-2-1), float64."""
    c = np.asarray(c, np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def hsv_to_linear(h_deg, s, v) -> np.ndarray:
    """sRGB-encoded HSV (hue in degrees, s and v in [0, 1]; arrays broadcast) -> (..., 3)
    linear RGB."""
    h, s, v = (np.asarray(x, np.float64)[..., None] for x in (h_deg, s, v))
    k = (_HSV_K + h / 60.0) % 6.0
    rgb = v - v * s * np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0)
    return srgb_to_linear(rgb)


def _hsv_box(rng: np.random.Generator, box: tuple[float, ...], n: int | None) -> np.ndarray:
    _, h0, h1, s0, s1, v0, v1 = box
    span = (h1 - h0) % 360.0
    if span == 0.0 and h1 != h0:
        span = 360.0  # the full circle
    if n is not None:
        u = rng.random((n, 3)) * (span, s1 - s0, v1 - v0) + (h0, s0, v0)
        return hsv_to_linear(u[:, 0], u[:, 1], u[:, 2])
    # one colour: the same formula in plain floats (numpy costs ~20x more on 3 numbers)
    h, s, v = h0 + rng.random() * span, s0 + rng.random() * (s1 - s0), v0 + rng.random() * (v1 - v0)
    out = []
    for k in ((5.0 + h / 60.0) % 6.0, (3.0 + h / 60.0) % 6.0, (1.0 + h / 60.0) % 6.0):
        c = v - v * s * min(max(min(k, 4.0 - k), 0.0), 1.0)
        out.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    return np.array(out)


def colour(rng: np.random.Generator, family: str, n: int | None = None) -> np.ndarray:
    """Linear RGB of an object colour family (OBJECT_COLOURS): (3,) or (n, 3)."""
    return _hsv_box(rng, OBJECT_COLOURS[family], n)


def wall_paint(rng: np.random.Generator) -> tuple[str, np.ndarray]:
    """A wall / backdrop paint: (family name in WALL_PAINTS, (3,) linear RGB); four draws."""
    name = pick(rng, _WALL_SHARES)
    return name, _hsv_box(rng, WALL_PAINTS[name], None)


# ------------------------------------------------------------------ frame helpers
def frustum_tangents(spec: SceneSpec) -> tuple[float, float, float, float]:
    """Tangents of the image's left, right, top, bottom edges (8 px margin)."""
    cam = spec.camera
    K = np.array(cam.K)
    fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
    return (cx + 8) / fx, (cam.width - cx + 8) / fx, (cy + 8) / fy, (cam.height - cy + 8) / fy


def level_frame(spec: SceneSpec) -> tuple[np.ndarray, np.ndarray]:
    """(camera-from-level rotation, head joint origin in the level frame)."""
    T = np.array(spec.camera.cam_from_world)
    R = T[:3, :3]
    return R, R.T @ T[:3, 3]


def back_z(spec: SceneSpec) -> float:
    far = spec.camera.far_m
    return float(min(spec.background.distance_m, 0.99 * far))


@functools.lru_cache(maxsize=16)
def _grid_faces(nx: int, ny: int) -> np.ndarray:
    """Faces (2 nx ny, 3) of an (nx+1) x (ny+1) vertex grid stored row-major."""
    j, i = np.divmod(np.arange(nx * ny), nx)
    a = j * (nx + 1) + i
    faces = np.stack([a, a + nx + 1, a + 1, a + 1, a + nx + 1, a + nx + 2], 1).reshape(-1, 3)
    faces.flags.writeable = False
    return faces


def _grid(x0, x1, y0, y1, z, nx, ny):
    """A (nx x ny)-quad grid on the plane z: vertices (V,3), faces (2 nx ny, 3) row-major."""
    gx, gy = np.meshgrid(np.linspace(x0, x1, nx + 1), np.linspace(y0, y1, ny + 1))
    verts = np.stack([gx.ravel(), gy.ravel(), np.full(gx.size, z)], 1)
    return verts, _grid_faces(nx, ny)


def patch(corners: np.ndarray, nx: int, ny: int):
    """A planar quad (corners (4,3): p00, p10, p11, p01) split into nx x ny cells: the fast
    renderer lights background faces at their centroids, so a wall of two triangles would
    show its diagonal."""
    p00, p10, p11, p01 = np.asarray(corners, np.float64)
    s = np.linspace(0.0, 1.0, nx + 1)[None, :, None]
    t = np.linspace(0.0, 1.0, ny + 1)[:, None, None]
    v = (1 - t) * ((1 - s) * p00 + s * p10) + t * ((1 - s) * p01 + s * p11)
    return v.reshape(-1, 3), _grid_faces(nx, ny)


def _smooth_field(rng: np.random.Generator, nx: int, ny: int, cells=(3, 4)) -> np.ndarray:
    """(ny+1, nx+1) smooth noise in about [-1, 1]: a coarse grid upsampled bilinearly."""
    coarse = rng.uniform(-1, 1, size=(cells[0] + 1, cells[1] + 1))
    ys = np.linspace(0, cells[0], ny + 1)
    xs = np.linspace(0, cells[1], nx + 1)
    rows = np.stack([np.interp(xs, np.arange(cells[1] + 1), c) for c in coarse])
    return np.stack([np.interp(ys, np.arange(cells[0] + 1), col) for col in rows.T], 1)


def backdrop(spec: SceneSpec, rng: np.random.Generator):
    """The ``textured`` background: a camera-facing plane at the background distance (the
    frustum plus 20 %), coloured ``color_rgb`` as paint (smooth low-frequency shading),
    wallpaper stripes or a two-tone wall. Returns (V,3) vertices, (F,3) faces, (F,3)
    linear albedo. Panels do not share vertices, so a per-vertex average of the albedo
    (Cycles) keeps stripe and dado edges sharp."""
    R, head = level_frame(spec)
    z = back_z(spec)
    tl, tr, tt, tb = frustum_tangents(spec)
    x0, x1, y0, y1 = -tl * z * 1.2, tr * z * 1.2, -tt * z * 1.2, tb * z * 1.2
    base = np.asarray(spec.background.color_rgb, np.float64)
    style = pick(rng, {"paint": 0.55, "stripes": 0.25, "two_tone": 0.2})
    panels = []  # (verts, faces, per-face albedo)
    if style == "paint":
        nx, ny = 24, 18
        v, f = _grid(x0, x1, y0, y1, z, nx, ny)
        amp = uniform(rng, 0.02, 0.06)
        field = 1.0 + amp * _smooth_field(rng, nx, ny)
        # a photographer's backdrop is lit brighter in the middle
        r2 = ((v[:, 0] / (x1 - x0)) ** 2 + (v[:, 1] / (y1 - y0)) ** 2).reshape(ny + 1, nx + 1)
        field = field * (1.0 - uniform(rng, 0.0, 0.25) * r2)
        face_gain = field.ravel()[f].mean(axis=1)
        panels.append((v, f, base * face_gain[:, None]))
    elif style == "stripes":
        width = uniform(rng, 0.05, 0.25)
        ratio = uniform(rng, 0.3, 1.0)  # width of the second tone relative to the first
        if rng.random() < 0.6:  # a darker shade of the paint, or one mixed towards white
            other = base * uniform(rng, 0.78, 0.92)
        else:
            other = base + (colour(rng, "white") - base) * uniform(rng, 0.15, 0.35)
        n = int(np.ceil((x1 - x0) / (width * (1 + ratio) / 2))) + 1
        edges = x0 + np.concatenate(
            [[0.0], np.cumsum(np.where(np.arange(n) % 2, ratio, 1.0) * width)]
        )
        edges = np.minimum(edges[: int(np.searchsorted(edges, x1)) + 1], x1)
        k = len(edges) - 1  # stripes, each a 1 x 6 grid with its own vertices
        gv, gf = _grid(0.0, 1.0, y0, y1, z, 1, 6)
        v = np.repeat(gv[None], k, 0)
        v[:, :, 0] = edges[:-1, None] + gv[None, :, 0] * np.diff(edges)[:, None]
        f = (gf[None] + len(gv) * np.arange(k)[:, None, None]).reshape(-1, 3)
        tone = np.where((np.arange(k) % 2 == 0)[:, None], base, other)
        panels.append((v.reshape(-1, 3), f, np.repeat(tone, len(gf), 0)))
    else:
        y_floor = head[1] + uniform(rng, *FLOOR_BELOW_HEAD_M)
        y_dado = float(np.clip(y_floor - uniform(rng, 0.8, 1.1), y0 + 0.05, y1 - 0.05))
        lower = pick(rng, {"white": 0.4, "wood": 0.3, "darker": 0.3})
        low_rgb = base * uniform(rng, 0.55, 0.8) if lower == "darker" else colour(rng, lower)
        for ya, yb, rgb in ((y0, y_dado, base), (y_dado, y1, low_rgb)):
            v, f = _grid(x0, x1, ya, yb, z, 12, 4)
            panels.append((v, f, np.tile(rgb, (len(f), 1))))
    verts, faces, albedo, offset = [], [], [], 0
    for v, f, a in panels:
        verts.append(v)
        faces.append(f + offset)
        albedo.append(a)
        offset += len(v)
    return np.concatenate(verts) @ R.T, np.concatenate(faces), np.clip(np.concatenate(albedo), 0, 1)
