"""The ``cluttered`` background: a furnished room behind the subject.

The back wall stands at the background distance (min(distance_m, 0.99 far_m)), the floor
1.2-1.6 m below the head joint, and half of the rooms deeper than 2.2 m have a side wall
at an angle, meeting the back wall inside the frame and passing outside the frustum by
Z_NEAR_M. Objects stand on the floor along the walls (synth.room_items: sideboards,
bookshelves, cabinets, sofas, desks, doors, plants, floor lamps) or hang on them
(pictures), upright with yaw-only rotations, and never nearer than Z_NEAR_M: each
footprint is checked against the walls, the depth range and the footprints placed before.

The room is laid out in a level frame (world axes, origin at the camera centre) and
rotated into the OpenCV camera frame (x right, y down, z forward) with
``cam_from_world``'s rotation, so it stays upright in the world; the frustum coverage
assumes sample_camera's level camera. Objects are boxes, upright cylinders and upright
ellipsoids built in one batch from cached unit primitives (about 1-2 ms a room on one
core).
"""

from __future__ import annotations

import numpy as np

from synth.background import (
    FLOOR_BELOW_HEAD_M,
    Z_NEAR_M,
    back_z,
    colour,
    frustum_tangents,
    integer,
    level_frame,
    patch,
    pick,
    uniform,
)
from synth.room_items import FLOOR_ITEMS, FLOOR_SHARES, picture
from synth.spec import SceneSpec

_EY = np.array([0.0, 1.0, 0.0])
_ZERO = (0.0, 0.0, 0.0)


# ------------------------------------------------------------------ unit primitives
def _unit_box() -> tuple[np.ndarray, np.ndarray]:
    v = np.array([[x, y, z] for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (-0.5, 0.5)])
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    f = [[a, b, c] for a, b, c, _ in quads] + [[a, c, d] for a, _, c, d in quads]
    return v, np.array(f)


def _unit_cylinder(sections: int = 14) -> tuple[np.ndarray, np.ndarray]:
    """Radius 1, height 1 centred on the origin, axis y; side quads are vertical planes."""
    t = np.linspace(0, 2 * np.pi, sections, endpoint=False)
    ring = np.stack([np.cos(t), np.zeros_like(t), np.sin(t)], 1)
    v = np.concatenate([ring + [0, -0.5, 0], ring + [0, 0.5, 0], [[0, -0.5, 0], [0, 0.5, 0]]])
    i, j = np.arange(sections), (np.arange(sections) + 1) % sections
    n = sections
    f = np.concatenate(
        [
            np.stack([i, j, j + n], 1),
            np.stack([i, j + n, i + n], 1),
            np.stack([np.full(n, 2 * n), j, i], 1),
            np.stack([np.full(n, 2 * n + 1), i + n, j + n], 1),
        ]
    )
    return v, f


def _unit_sphere(rings: int = 5, sections: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Radius 1, latitude-longitude (poles on the y axis)."""
    lat = np.linspace(0, np.pi, rings + 1)[1:-1]
    lon = np.linspace(0, 2 * np.pi, sections, endpoint=False)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    body = np.stack([np.sin(la) * np.cos(lo), -np.cos(la), np.sin(la) * np.sin(lo)], -1)
    v = np.concatenate([body.reshape(-1, 3), [[0, -1, 0], [0, 1, 0]]])
    n, r = sections, rings - 1
    i = np.arange(n)
    j = (i + 1) % n
    faces = [np.stack([np.full(n, r * n), j, i], 1)]
    for k in range(r - 1):
        a, b = k * n, (k + 1) * n
        faces += [np.stack([a + i, a + j, b + j], 1), np.stack([a + i, b + j, b + i], 1)]
    faces.append(np.stack([np.full(n, r * n + 1), (r - 1) * n + i, (r - 1) * n + j], 1))
    return v, np.concatenate(faces)


_PRIMITIVES: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def _primitive(kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Unit box / cylinder / sphere (vertices, faces), built once per process."""
    if kind not in _PRIMITIVES:
        _PRIMITIVES[kind] = {"box": _unit_box, "cyl": _unit_cylinder, "sph": _unit_sphere}[kind]()
    return _PRIMITIVES[kind]


class _Batch:
    """Primitives collected in the level frame, turned into one mesh by ``mesh``.

    Rows (12 numbers): box = centre, size (along u, y, u x y), horizontal unit axis u (yaw
    only), rgb; cyl / sph = centre, radii (rx, half-height or ry, rz) padded with u = 0,
    rgb; both upright (axis y). Single rows are plain tuples (cheap to append), several at
    once a (k, 12) array."""

    def __init__(self):
        self.rows: dict[str, list] = {"box": [], "cyl": [], "sph": []}

    def add(self, kind: str, centre, size, u, rgb) -> None:
        if np.ndim(centre) == 1:
            self.rows[kind].append((*centre, *size, *u, *rgb))
        else:
            rows = np.empty((len(centre), 12))
            rows[:, 0:3], rows[:, 3:6], rows[:, 6:9], rows[:, 9:12] = centre, size, u, rgb
            self.rows[kind].append(rows)

    def cyl(self, bottom, radius: float, height: float, rgb) -> None:
        b = bottom
        self.add("cyl", (b[0], b[1] - height / 2, b[2]), (radius, height, radius), _ZERO, rgb)

    def sph(self, centre, radii, rgb) -> None:
        self.add("sph", centre, radii, _ZERO, rgb)

    def arrays(self, kind: str) -> np.ndarray:
        """(N, 12) rows of one kind."""
        rows = self.rows[kind]
        single = [r for r in rows if isinstance(r, tuple)]
        chunks = [np.asarray(single, np.float64).reshape(-1, 12)]
        return np.concatenate(chunks + [r for r in rows if not isinstance(r, tuple)])

    def mesh(self, R: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(V,3) camera-frame vertices (``R`` = camera-from-level rotation), (F,3) faces,
        (F,3) albedo; boxes first, then cylinders, then spheres."""
        verts, faces, albedo = [], [], []
        offset = 0
        for kind in ("box", "cyl", "sph"):
            rows = self.arrays(kind)
            if not len(rows):
                continue
            pv, pf = _primitive(kind)
            centre, size, u, rgb = rows[:, 0:3], rows[:, 3:6], rows[:, 6:9], rows[:, 9:12]
            local = pv[None] * size[:, None, :]  # (N, P, 3)
            if kind == "box":
                w = np.cross(u, _EY)
                v = centre[:, None] + local[..., :1] * u[:, None] + local[..., 1:2] * _EY
                v = v + local[..., 2:] * w[:, None]
            else:
                v = centre[:, None] + local
            n = len(rows)
            verts.append(v.reshape(-1, 3))
            idx = pf[None] + (offset + len(pv) * np.arange(n))[:, None, None]
            faces.append(idx.reshape(-1, 3))
            albedo.append(np.repeat(rgb, len(pf), axis=0))
            offset += n * len(pv)
        if not verts:
            return np.zeros((0, 3)), np.zeros((0, 3), np.int64), np.zeros((0, 3))
        return np.concatenate(verts) @ R.T, np.concatenate(faces), np.concatenate(albedo)


# ------------------------------------------------------------------ the room
def _scalars(*xs) -> bool:
    return all(isinstance(x, float | int) for x in xs)


class _Wall:
    """A vertical wall in the level frame from floor point ``p0`` towards ``p1``: unit
    direction ``u`` along it, unit normal ``n`` into the room. Local coordinates (a along,
    h up from the floor, b out of the wall) map to the level frame by ``at``."""

    def __init__(self, p0: np.ndarray, p1: np.ndarray, inside: np.ndarray):
        d = p1 - p0
        self.p0, self.length = p0, float(np.linalg.norm(d))
        self.u = d / self.length
        n = np.array([-self.u[2], 0.0, self.u[0]])
        self.n = n if (inside - p0) @ n > 0 else -n
        self._f = (
            *map(float, p0),
            float(self.u[0]),
            float(self.u[2]),
            float(self.n[0]),
            float(self.n[2]),
        )
        self.furniture: list[tuple[float, float, float]] = []  # (a0, a1, top h)
        self.hung: list[tuple[float, float, float, float]] = []  # (a0, a1, h0, h1)
        self.doors: list[tuple[float, float]] = []

    def at(self, a, h, b):
        """Level-frame point(s): a tuple for scalars, (N, 3) for arrays of length N."""
        x0, y0, z0, ux, uz, nx, nz = self._f
        if _scalars(a, h, b):
            return (x0 + a * ux + b * nx, y0 - h, z0 + a * uz + b * nz)
        a, h, b = (np.asarray(x, np.float64) for x in (a, h, b))
        out = np.empty((max(a.size, h.size, b.size), 3))
        out[:, 0], out[:, 1], out[:, 2] = x0 + a * ux + b * nx, y0 - h, z0 + a * uz + b * nz
        return out

    def box(self, batch: _Batch, a0, a1, h0, h1, b0, b1, rgb) -> None:
        """Boxes spanning [a0,a1] x [h0,h1] x [b0,b1] (scalars or arrays of one length)."""
        x0, y0, z0, ux, uz, nx, nz = self._f
        if _scalars(a0, a1, h0, h1, b0, b1):
            a, h, b = (a0 + a1) / 2, (h0 + h1) / 2, (b0 + b1) / 2
            batch.rows["box"].append(
                (
                    x0 + a * ux + b * nx,
                    y0 - h,
                    z0 + a * uz + b * nz,
                    a1 - a0,
                    h1 - h0,
                    b1 - b0,
                    ux,
                    0.0,
                    uz,
                    *rgb,
                )
            )
            return
        a0, a1, h0, h1, b0, b1 = (np.asarray(x, np.float64) for x in (a0, a1, h0, h1, b0, b1))
        a, h, b = (a0 + a1) / 2, (h0 + h1) / 2, (b0 + b1) / 2
        rows = np.empty((max(x.size for x in (a0, a1, h0, h1, b0, b1)), 12))
        rows[:, 0], rows[:, 1], rows[:, 2] = x0 + a * ux + b * nx, y0 - h, z0 + a * uz + b * nz
        rows[:, 3], rows[:, 4], rows[:, 5] = a1 - a0, h1 - h0, b1 - b0
        rows[:, 6], rows[:, 7], rows[:, 8] = ux, 0.0, uz
        rows[:, 9:] = rgb
        batch.rows["box"].append(rows)

    def footprint(self, a0: float, a1: float, b1: float) -> list[tuple[float, float]]:
        """(x, z) corners of [a0,a1] x [0,b1] on the floor."""
        x0, _, z0, ux, uz, nx, nz = self._f
        return [(x0 + a * ux + b * nx, z0 + a * uz + b * nz) for a in (a0, a1) for b in (0.0, b1)]


class _Room:
    def __init__(self, walls: list[_Wall], z_back: float):
        self.walls, self.z_back = walls, z_back
        self.footprints: list[tuple[float, float, float, float]] = []  # x0, x1, z0, z1
        self.batch = _Batch()

    def fits(self, wall: _Wall, a0: float, a1: float, b1: float, *, solid: bool = True) -> bool:
        """Whether the footprint [a0,a1] x [0,b1] on ``wall`` lies on the wall, inside the
        room, between Z_NEAR_M and the back wall and (``solid``) clear of other objects'
        footprints, which it then joins."""
        if a0 < 0.0 or a1 > wall.length:
            return False
        pts = wall.footprint(a0, a1, b1)
        xs, zs = [p[0] for p in pts], [p[1] for p in pts]
        if min(zs) < Z_NEAR_M or max(zs) > self.z_back + 1e-9:
            return False
        for w in self.walls:
            if w is not wall:
                wx, _, wz, _, _, nx, nz = w._f
                if min((x - wx) * nx + (z - wz) * nz for x, z in pts) < 0.0:
                    return False
        if not solid:
            return True
        x0, x1, z0, z1 = min(xs), max(xs), min(zs), max(zs)
        for fx0, fx1, fz0, fz1 in self.footprints:
            if x0 < fx1 - 0.01 and fx0 < x1 - 0.01 and z0 < fz1 - 0.01 and fz0 < z1 - 0.01:
                return False
        self.footprints.append((x0, x1, z0, z1))
        return True


def room(spec: SceneSpec, rng: np.random.Generator):
    """The ``cluttered`` background: a furnished room (see the module docstring).

    Returns two (vertices (V,3), faces (F,3), linear albedo (F,3)) meshes in the camera
    frame: the shell (back wall, optional side wall, floor; synth.scene's backdrop part)
    and the objects (the clutter part; boxes, then cylinders, then spheres). Every vertex
    has Z_NEAR_M <= z <= the back wall's z = min(distance_m, 0.99 far_m); every box and
    cylinder face is vertical or horizontal in the world."""
    shell, batch, R = _furnish(spec, rng)
    sizes = np.cumsum([0] + [len(v) for v, _, _ in shell])
    shell_mesh = (
        np.concatenate([v for v, _, _ in shell]) @ R.T,
        np.concatenate([f + k for (_, f, _), k in zip(shell, sizes, strict=False)]),
        np.concatenate([np.tile(rgb, (len(f), 1)) for _, f, rgb in shell]),
    )
    v, f, alb = batch.mesh(R)
    return shell_mesh, (v, f, np.clip(alb, 0.0, 1.0))


def _furnish(spec: SceneSpec, rng: np.random.Generator):
    """The room in the level frame: ([(vertices, faces, rgb) per wall / floor patch],
    _Batch of objects, camera-from-level rotation)."""
    R, head = level_frame(spec)
    d = back_z(spec)
    tl, tr, tt, tb = frustum_tangents(spec)
    base = np.asarray(spec.background.color_rgb, np.float64)
    y_floor = head[1] + uniform(rng, *FLOOR_BELOW_HEAD_M)
    y_top = -(tt * d * 1.1 + 0.05)
    x_left, x_right = -(tl * d * 1.1 + 0.05), tr * d * 1.1 + 0.05
    inside = np.array([0.0, y_floor, (Z_NEAR_M + d) / 2])
    corner = None
    if d > 2.2 and rng.random() < 0.5:
        side = -1.0 if rng.random() < 0.5 else 1.0
        t_side = tl if side < 0 else tr
        xc = side * uniform(rng, 0.45, 0.9) * t_side * d
        xn = side * uniform(rng, 1.15, 1.6) * t_side * Z_NEAR_M
        corner = np.array([xc, y_floor, d])
        near = np.array([xn, y_floor, Z_NEAR_M])
        if side < 0:
            x_left = xc
        else:
            x_right = xc
    back = _Wall(np.array([x_left, y_floor, d]), np.array([x_right, y_floor, d]), inside)
    walls = [back] if corner is None else [back, _Wall(corner, near, inside)]
    rm = _Room(walls, d)

    # shell: wall quads (own vertices each) and the floor between the walls
    wall_rgb = [base] + [base * uniform(rng, 0.88, 1.04)] * (len(walls) - 1)
    shell = []  # (vertices, faces, rgb) per wall / floor patch

    for w, rgb in zip(walls, wall_rgb, strict=True):
        top = y_floor - y_top
        corners = w.at([0, w.length, w.length, 0], [0, 0, top, top], 0.0)
        shell.append((*patch(corners, 24, 16), rgb))

    def edge_x(z: float, s: float) -> float:
        if corner is not None and np.sign(corner[0]) == s:
            return float(corner[0] + (near[0] - corner[0]) * (d - z) / (d - Z_NEAR_M))
        return s * ((tl if s < 0 else tr) * z * 1.3 + 0.2)

    floor = pick(rng, {"floor_wood": 0.55, "carpet": 0.3, "grey": 0.15})
    fz = [Z_NEAR_M, Z_NEAR_M, d, d]
    fx = [edge_x(Z_NEAR_M, -1), edge_x(Z_NEAR_M, 1), edge_x(d, 1), edge_x(d, -1)]
    shell.append((*patch(np.stack([fx, [y_floor] * 4, fz], 1), 8, 8), colour(rng, floor)))

    # furniture along each wall, then pictures, then skirting boards
    for w in walls:
        a = uniform(rng, 0.0, 0.5)
        while a < w.length - 0.3:
            kind = pick(rng, FLOOR_SHARES)
            if kind == "gap":
                a += uniform(rng, 0.2, 1.0)
                continue
            width, top = FLOOR_ITEMS[kind][1](rm, w, rng, a)
            if top is not None:
                w.furniture.append((a, a + width, top))
            a += width + uniform(rng, 0.05, 0.6)
    for w in walls:
        for _ in range(integer(rng, 0, 4)):
            picture(rm, w, rng)
    if rng.random() < 0.7:
        hs = uniform(rng, 0.06, 0.14)
        skirt = colour(rng, "white") if rng.random() < 0.6 else base * uniform(rng, 0.6, 0.85)
        for w in walls:
            cuts = [0.0] + [x for door in sorted(w.doors) for x in door] + [w.length]
            for s0, s1 in zip(cuts[::2], cuts[1::2], strict=True):
                # the side wall's ends: stay in front of the back wall and behind Z_NEAR_M
                if w is not back:
                    s0, s1 = max(s0, 0.03), s1 - 0.05
                z = w.at([s0, s1, s0, s1], 0.0, [0.0, 0.0, 0.015, 0.015])[:, 2]
                if s1 - s0 > 0.02 and z.min() >= Z_NEAR_M and z.max() <= d:
                    w.box(rm.batch, s0, s1, 0.0, hs, 0.0, 0.015, skirt)
    return shell, rm.batch, R
