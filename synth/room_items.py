"""Furniture and pictures of synth.room, built along a wall in its local coordinates
(a along the wall, h up from the floor, b out of the wall into the room).

Each floor item draws its size, asks the room whether its footprint fits (on the wall,
inside the room, between Z_NEAR_M and the back wall, clear of what stands there) and only
then builds itself; it returns (width along the wall, top height or None if it did not
fit). Colours come from synth.background's families: wood, white, greys, muted paints,
fabrics, books, plants.
"""

from __future__ import annotations

import numpy as np

from synth.background import UP, colour, hsv_to_linear, integer, pick, uniform


def _furniture_rgb(rng: np.random.Generator) -> np.ndarray:
    return colour(
        rng, pick(rng, {"wood": 0.45, "white": 0.3, "grey": 0.12, "black": 0.05, "muted": 0.08})
    )


def _handles(wall, batch, rng, centres_a, h, b):
    metal = colour(rng, pick(rng, {"black": 0.5, "grey": 0.5}))
    for a in np.atleast_1d(centres_a):
        wall.box(batch, a - 0.008, a + 0.008, h - 0.06, h + 0.06, b, b + 0.025, metal)


def _fronts(wall, batch, rng, a0, a1, h0, h1, b, rgb, width=0.45):
    """Door / drawer fronts 8 mm proud of a carcass face at b, with handles."""
    n = max(1, int(round((a1 - a0) / width)))
    edges = np.linspace(a0, a1, n + 1)
    wall.box(
        batch,
        edges[:-1] + 0.004,
        edges[1:] - 0.004,
        h0,
        h1,
        b,
        b + 0.008,
        rgb * uniform(rng, 0.9, 1.0),
    )
    _handles(wall, batch, rng, edges[1:] - 0.05, h1 - 0.1, b + 0.008)


def _on_top(room, wall, rng, a0, a1, h, depth):
    """0-3 small things standing on a surface [a0,a1] at height h, depth ``depth``."""
    batch = room.batch
    a = a0 + uniform(rng, 0.03, 0.3)
    for _ in range(integer(rng, 0, 4)):
        kind = pick(rng, {"lamp": 0.3, "vase": 0.25, "books": 0.25, "plant": 0.2})
        if kind == "lamp":
            r = min(uniform(rng, 0.11, 0.2), depth / 2 - 0.01)
            hb, rb = uniform(rng, 0.18, 0.38), uniform(rng, 0.04, 0.08)
            if a + 2 * r > a1:
                return
            c = wall.at(a + r, h, depth / 2)
            batch.cyl(c, rb, hb, colour(rng, pick(rng, {"white": 1, "black": 1, "muted": 1})))
            hs = uniform(rng, 0.15, 0.25)
            batch.cyl(c + UP * (hb - 0.04), r, hs, colour(rng, "shade"))
            a += 2 * r
        elif kind == "vase":
            r, hv = uniform(rng, 0.04, 0.1), uniform(rng, 0.15, 0.4)
            if a + 2 * r > a1:
                return
            fam = pick(rng, {"white": 1, "muted": 1, "grey": 1, "terracotta": 0.5, "black": 0.5})
            batch.cyl(wall.at(a + r, h, depth / 2), r, hv, colour(rng, fam))
            a += 2 * r
        elif kind == "books":
            n = integer(rng, 2, 6)
            w = rng.uniform(0.15, 0.3, n)
            t = rng.uniform(0.02, 0.05, n)
            dp = np.minimum(rng.uniform(0.12, 0.24, n), depth - 0.02)
            if a + w.max() > a1:
                return
            hs = h + np.concatenate([[0.0], np.cumsum(t)[:-1]])
            wall.box(batch, a, a + w, hs, hs + t, 0.01, 0.01 + dp, colour(rng, "book", n))
            a += w.max()
        else:
            r, hp = uniform(rng, 0.05, 0.09), uniform(rng, 0.08, 0.16)
            spread = min(2.2 * r, depth / 2 - 0.01)
            if a + 2 * spread > a1:
                return
            c = wall.at(a + spread, h, depth / 2)
            batch.cyl(c, r, hp, colour(rng, pick(rng, {"terracotta": 1, "white": 1, "grey": 1})))
            k = integer(rng, 2, 5)
            rr = rng.uniform(0.5, 1.0, k) * min(spread, 0.12)
            ang = rng.uniform(0, 2 * np.pi, k)
            off = (spread - rr) * rng.uniform(0, 1, k)
            cen = c + UP * (hp + rr)[:, None] * rng.uniform(0.8, 1.6, (k, 1))
            cen = cen + off[:, None] * np.stack([np.cos(ang), np.zeros(k), np.sin(ang)], 1)
            batch.sph(cen, np.stack([rr, rr, rr], 1), colour(rng, "plant", k))
            a += 2 * spread
        a += uniform(rng, 0.05, 0.4)


def _sideboard(room, wall, rng, a0):
    w, depth, h = uniform(rng, 0.6, 1.8), uniform(rng, 0.35, 0.5), uniform(rng, 0.45, 0.95)
    if not room.fits(wall, a0, a0 + w, depth + 0.04):
        return w, None
    rgb, b = _furniture_rgb(rng), room.batch
    wall.box(b, a0 + 0.03, a0 + w - 0.03, 0.0, 0.08, 0.0, depth - 0.04, rgb * 0.5)
    wall.box(b, a0, a0 + w, 0.08, h, 0.0, depth, rgb)
    _fronts(wall, b, rng, a0 + 0.01, a0 + w - 0.01, 0.1, h - 0.03, depth, rgb)
    _on_top(room, wall, rng, a0, a0 + w, h, depth)
    return w, h


def _bookshelf(room, wall, rng, a0):
    w, depth, h = uniform(rng, 0.6, 1.2), uniform(rng, 0.28, 0.4), uniform(rng, 1.4, 2.1)
    if not room.fits(wall, a0, a0 + w, depth):
        return w, None
    rgb, b, t = _furniture_rgb(rng), room.batch, 0.02
    wall.box(b, [a0, a0 + w - t], [a0 + t, a0 + w], 0.0, h, 0.0, depth, rgb)  # sides
    wall.box(b, a0 + t, a0 + w - t, 0.0, h, 0.0, 0.01, rgb * 0.8)  # back panel
    wall.box(b, a0 + t, a0 + w - t, 0.0, 0.06, 0.0, depth - 0.02, rgb * 0.7)  # plinth
    n = max(2, int(h / 0.36))
    levels = np.linspace(0.06, h - t, n + 1)  # boards span [level, level + t]
    wall.box(b, a0 + t, a0 + w - t, levels, levels + t, 0.0, depth, rgb)
    gap = levels[1] - levels[0] - t
    for lv in levels[:-1]:
        nb = 48
        bw = rng.uniform(0.018, 0.05, nb)
        fill = uniform(rng, 0.35, 1.0) * (w - 2 * t)
        start = a0 + t + uniform(rng, 0.0, (w - 2 * t) - fill)
        ends = start + np.cumsum(bw)
        keep = ends < start + fill
        if not keep.any():
            continue
        ends, bw = ends[keep], bw[keep]
        k = len(ends)
        bh = lv + t + gap * rng.uniform(0.55, 0.92, k)
        bd = depth * rng.uniform(0.6, 0.95, k)
        books = colour(rng, "book", k)
        white = rng.uniform(size=k) < 0.15
        books[white] = colour(rng, "paper", int(white.sum())) if white.any() else books[white]
        wall.box(b, ends - bw, ends, lv + t, bh, 0.01, 0.01 + bd, books)
    return w, h


def _tall_cabinet(room, wall, rng, a0):
    w, depth, h = uniform(rng, 0.45, 1.0), uniform(rng, 0.4, 0.6), uniform(rng, 1.6, 2.1)
    if not room.fits(wall, a0, a0 + w, depth + 0.04):
        return w, None
    rgb, b = _furniture_rgb(rng), room.batch
    wall.box(b, a0, a0 + w, 0.0, h, 0.0, depth, rgb)
    _fronts(wall, b, rng, a0 + 0.01, a0 + w - 0.01, 0.05, h - 0.03, depth, rgb, width=0.5)
    return w, h


def _sofa(room, wall, rng, a0):
    w, depth, h = uniform(rng, 1.5, 2.2), uniform(rng, 0.8, 0.95), uniform(rng, 0.72, 0.9)
    if not room.fits(wall, a0, a0 + w, depth):
        return w, None
    rgb, b = colour(rng, "fabric"), room.batch
    arm, seat = uniform(rng, 0.12, 0.22), uniform(rng, 0.4, 0.46)
    wall.box(b, a0 + 0.05, a0 + w - 0.05, 0.0, 0.08, 0.05, depth - 0.05, colour(rng, "black"))
    wall.box(b, a0, a0 + w, 0.08, seat - 0.1, 0.0, depth, rgb)  # base
    wall.box(b, a0, a0 + w, 0.08, h, 0.0, 0.22, rgb)  # back
    wall.box(b, [a0, a0 + w - arm], [a0 + arm, a0 + w], 0.08, seat + 0.2, 0.0, depth, rgb)
    n = integer(rng, 2, 4)
    e = np.linspace(a0 + arm, a0 + w - arm, n + 1)
    wall.box(
        b,
        e[:-1] + 0.005,
        e[1:] - 0.005,
        seat - 0.1,
        seat,
        0.22,
        depth - 0.01,
        rgb * uniform(rng, 1.0, 1.12),
    )
    k = integer(rng, 0, 4)
    if k:
        pa = np.sort(rng.uniform(a0 + arm + 0.25, a0 + w - arm - 0.25, k))
        ps = rng.uniform(0.35, 0.45, k)
        pillow = colour(rng, pick(rng, {"fabric": 1, "muted": 1, "white": 0.5}), k)
        wall.box(b, pa - ps / 2, pa + ps / 2, seat, seat + ps, 0.22, 0.34, pillow)
    return w, h


def _desk(room, wall, rng, a0):
    w, depth, h = uniform(rng, 1.0, 1.6), uniform(rng, 0.55, 0.75), uniform(rng, 0.72, 0.76)
    chair = rng.random() < 0.6 and room.fits(wall, a0, a0 + w, depth + 0.3, solid=False)
    if not room.fits(wall, a0, a0 + w, depth + (0.3 if chair else 0.0)):
        return w, None
    rgb, b = _furniture_rgb(rng), room.batch
    wall.box(b, a0, a0 + w, h - 0.03, h, 0.0, depth, rgb)
    la = np.array([a0 + 0.02, a0 + w - 0.06])
    wall.box(
        b,
        np.repeat(la, 2),
        np.repeat(la, 2) + 0.04,
        0.0,
        h - 0.03,
        np.tile([0.03, depth - 0.07], 2),
        np.tile([0.07, depth - 0.03], 2),
        rgb * 0.8,
    )
    if rng.random() < 0.6:
        sw, sh = uniform(rng, 0.5, 0.65), uniform(rng, 0.3, 0.38)
        m = a0 + uniform(rng, sw / 2 + 0.05, w - sw / 2 - 0.05)
        black = colour(rng, "black")
        wall.box(b, m - 0.03, m + 0.03, h, h + 0.12, 0.12, 0.14, black)
        wall.box(b, m - sw / 2, m + sw / 2, h + 0.1, h + 0.1 + sh, 0.14, 0.17, black)
    if chair:
        c = a0 + uniform(rng, 0.35, w - 0.35)
        col = colour(rng, pick(rng, {"black": 1, "fabric": 1, "wood": 1}))
        s0, s1 = depth - 0.25, depth + 0.25
        wall.box(b, c - 0.23, c + 0.23, 0.44, 0.5, s0, s1, col)
        wall.box(b, c - 0.22, c + 0.22, 0.5, 0.95, s1 - 0.05, s1, col)
        la = np.array([c - 0.21, c + 0.18])
        wall.box(
            b,
            np.repeat(la, 2),
            np.repeat(la, 2) + 0.03,
            0.0,
            0.44,
            np.tile([s0 + 0.02, s1 - 0.05], 2),
            np.tile([s0 + 0.05, s1 - 0.02], 2),
            colour(rng, "black"),
        )
    return w, h


def _door(room, wall, rng, a0):
    wd, hd, trim = uniform(rng, 0.78, 0.92), uniform(rng, 1.98, 2.1), uniform(rng, 0.05, 0.08)
    w = wd + 2 * trim
    if not room.fits(wall, a0, a0 + w, 0.08):
        return w, None
    b = room.batch
    leaf = colour(rng, pick(rng, {"white": 0.5, "wood": 0.3, "grey": 0.1, "muted": 0.1}))
    frame = colour(rng, "white") if rng.random() < 0.7 else leaf
    l0, l1 = a0 + trim, a0 + trim + wd
    wall.box(b, l0, l1, 0.0, hd, 0.0, 0.012, leaf)
    wall.box(b, [a0, l1], [l0, a0 + w], 0.0, hd, 0.0, 0.022, frame)  # jambs
    wall.box(b, a0, a0 + w, hd, hd + trim, 0.0, 0.022, frame)  # lintel
    if rng.random() < 0.6:  # raised panels
        wall.box(b, l0 + 0.1, l1 - 0.1, [0.12, 1.1], [0.95, hd - 0.12], 0.012, 0.018, leaf * 0.97)
    knob = l1 - 0.07 if rng.random() < 0.5 else l0 + 0.07
    metal = colour(rng, pick(rng, {"grey": 1, "black": 1}))
    wall.box(b, knob - 0.06, knob + 0.06, 0.98, 1.01, 0.045, 0.065, metal)
    wall.box(b, knob - 0.01, knob + 0.01, 0.97, 1.02, 0.012, 0.045, metal)
    wall.doors.append((a0, a0 + w))
    return w, hd + trim


def _plant(room, wall, rng, a0):
    spread = uniform(rng, 0.22, 0.45)
    if not room.fits(wall, a0, a0 + 2 * spread, 2 * spread + 0.04):
        return 2 * spread, None
    b = room.batch
    rp, hp, ht = uniform(rng, 0.12, 0.2), uniform(rng, 0.25, 0.5), uniform(rng, 0.7, 1.7)
    base = wall.at(a0 + spread, 0.0, spread + 0.02)
    pot = pick(rng, {"terracotta": 0.35, "white": 0.3, "grey": 0.2, "black": 0.15})
    batch_rgb = colour(rng, pot)
    b.cyl(base, min(rp, spread), hp, batch_rgb)
    b.cyl(base + UP * hp, 0.012, max(ht * 0.8 - hp, 0.05), colour(rng, "wood") * 0.5)
    k = integer(rng, 5, 10)
    r = rng.uniform(0.3, 0.6, k) * spread
    ang = rng.uniform(0, 2 * np.pi, k)
    off = (spread - r) * np.sqrt(rng.uniform(0, 1, k))
    hc = hp + r + (ht - hp - 2 * r).clip(0) * rng.uniform(0, 1, k)
    cen = base + UP * hc[:, None] + off[:, None] * np.stack([np.cos(ang), 0 * ang, np.sin(ang)], 1)
    radii = np.stack([r, r * rng.uniform(0.8, 1.3, k), r], 1)
    b.sph(cen, radii, colour(rng, "plant", k))
    return 2 * spread, float(hc.max() + radii[:, 1].max())


def _floor_lamp(room, wall, rng, a0):
    rs = uniform(rng, 0.15, 0.23)
    if not room.fits(wall, a0, a0 + 2 * rs, 2 * rs + 0.04):
        return 2 * rs, None
    b, hl = room.batch, uniform(rng, 1.35, 1.7)
    base = wall.at(a0 + rs, 0.0, rs + 0.02)
    metal = colour(rng, pick(rng, {"black": 1, "grey": 1}))
    b.cyl(base, uniform(rng, 0.11, 0.15), 0.025, metal)
    b.cyl(base, 0.012, hl - 0.1, metal)
    hs = uniform(rng, 0.22, 0.32)
    b.cyl(base + UP * (hl - hs), rs, hs, colour(rng, "shade"))
    return 2 * rs, hl


FLOOR_ITEMS = {
    "gap": (0.2, None),
    "sideboard": (0.2, _sideboard),
    "bookshelf": (0.15, _bookshelf),
    "tall_cabinet": (0.06, _tall_cabinet),
    "sofa": (0.08, _sofa),
    "desk": (0.08, _desk),
    "door": (0.06, _door),
    "plant": (0.11, _plant),
    "floor_lamp": (0.06, _floor_lamp),
}
FLOOR_SHARES = {k: v[0] for k, v in FLOOR_ITEMS.items()}


def _artwork(wall, b, rng, a0, a1, h0, h1, t, ground):
    """The picture inside a frame [a0,a1] x [h0,h1] (front at b = t): a landscape photo
    (sky over land, a horizon), an abstract print (a few blocks on ``ground``) or a plain
    print."""
    style = pick(rng, {"landscape": 0.4, "abstract": 0.45, "plain": 0.15})
    if style == "landscape":
        horizon = h0 + (h1 - h0) * uniform(rng, 0.35, 0.65)
        sky = hsv_to_linear(
            uniform(rng, 190, 225), uniform(rng, 0.05, 0.4), uniform(rng, 0.6, 0.92)
        )
        land = colour(rng, pick(rng, {"plant": 1.0, "wood": 0.6, "grey": 0.4}))
        wall.box(b, a0, a1, horizon, h1, 0.0, t, sky)
        wall.box(b, a0, a1, h0, horizon, 0.0, t, land)
        if rng.random() < 0.5:  # hills or a far shore
            hill = horizon + (h1 - horizon) * uniform(rng, 0.1, 0.35)
            wall.box(b, a0, a1, horizon, hill, 0.0, t + 0.001, sky * uniform(rng, 0.5, 0.8))
        return
    wall.box(b, a0, a1, h0, h1, 0.0, t, ground)
    k = integer(rng, 1, 4) if style == "abstract" else 0
    if k:
        u = rng.uniform(0, 1, (4, k))
        x0, x1 = a0 + (a1 - a0) * np.minimum(u[0], u[1]), a0 + (a1 - a0) * np.maximum(u[0], u[1])
        y0, y1 = h0 + (h1 - h0) * np.minimum(u[2], u[3]), h0 + (h1 - h0) * np.maximum(u[2], u[3])
        ok = (x1 - x0 > 0.02) & (y1 - y0 > 0.02)
        blocks = colour(rng, "art", k)
        if ok.any():
            wall.box(b, x0[ok], x1[ok], y0[ok], y1[ok], 0.0, t + 0.002, blocks[ok])


def picture(room, wall, rng):
    """A framed picture, a canvas or a poster on ``wall``, clear of furniture below and of
    other pictures; up to four tries."""
    for _ in range(4):
        w = uniform(rng, 0.25, 0.9)
        h = w * uniform(rng, 0.6, 1.4)
        a0 = uniform(rng, 0.05, max(wall.length - w - 0.05, 0.06))
        h0 = uniform(rng, 1.45, 1.7) - h / 2
        a1, h1 = a0 + w, h0 + h
        if h0 < 0.8 or not room.fits(wall, a0, a1, 0.04, solid=False):
            continue
        clear = all(
            h0 > top + 0.12 for f0, f1, top in wall.furniture if a0 < f1 + 0.05 and f0 < a1 + 0.05
        )
        clear &= all(
            not (a0 < g1 + 0.08 and g0 < a1 + 0.08 and h0 < k1 + 0.08 and k0 < h1 + 0.08)
            for g0, g1, k0, k1 in wall.hung
        )
        if not clear:
            continue
        wall.hung.append((a0, a1, h0, h1))
        b = room.batch
        style = pick(rng, {"framed": 0.6, "canvas": 0.25, "poster": 0.15})
        t = {"framed": uniform(rng, 0.015, 0.035), "canvas": 0.03, "poster": 0.004}[style]
        art = colour(rng, pick(rng, {"art": 0.6, "paper": 0.4}))
        if style == "framed":
            fam = pick(rng, {"black": 0.35, "wood": 0.3, "white": 0.25, "grey": 0.1})
            wall.box(b, a0, a1, h0, h1, 0.0, t, colour(rng, fam))
            inset = uniform(rng, 0.015, 0.04)
            if rng.random() < 0.5:  # a mat
                wall.box(
                    b,
                    a0 + inset,
                    a1 - inset,
                    h0 + inset,
                    h1 - inset,
                    0.0,
                    t + 0.002,
                    colour(rng, "paper"),
                )
                inset += uniform(rng, 0.03, 0.1) * min(w, h)
            a0, a1, h0, h1, t = a0 + inset, a1 - inset, h0 + inset, h1 - inset, t + 0.004
        _artwork(wall, b, rng, a0, a1, h0, h1, t, art)
        return
