"""What a real camera does to an image after the lens is focused: numpy only.

Applied by the Cycles renderer (option ``camera_fx``, default on) to its final 8-bit
display-referred RGB, so the frames read as photographs rather than clean renders:

- lateral chromatic aberration: red magnified and blue shrunk about the image centre by
  ``ca`` (fraction of the radius; ~0.3 px at the corners of a 640x480 frame);
- lens softness: a separable 3-tap blur ``[s, 1 - 2s, s]`` (a sharp but not perfect lens
  plus the sensor's anti-aliasing filter); off by default since 0.6.0: Cycles' denoised
  output is already softer than a photograph;
- image-processor sharpening: an unsharp mask ``x + sharpen * core(x - G(x))`` with a
  Gaussian G of ``sharpen_sigma_px`` and coring (detail within ``sharpen_threshold``
  of 0 is dropped, the rest shrunk by it, so render noise and the denoiser's speckle in
  defocused areas are not amplified), as cameras sharpen after demosaicing; without it
  the denoised frames look soft next to photographs. Applied before the sensor noise: a
  camera denoises before it sharpens, so its grain is not amplified;
- vignetting: gain ``1 - vignette * r^2``, r = distance from the centre over the half
  diagonal (natural cos^4-like fall-off of a wide-open lens, mild);
- sensor noise in linear light: Poisson-like shot noise of variance ``shot * x`` and
  Gaussian read noise of standard deviation ``read`` (x = linear intensity in [0, 1]),
  independent per pixel and channel, with a per-frame ISO factor drawn in
  ``iso_range`` (noise variance scale), so some frames are cleaner than others.

The display encoding is approximated as a 2.2 power law for the linear-light steps (the
Filmic view transform is close to it in the mid-tones). Everything random comes from
``numpy.random.default_rng((*key, STREAM))``: the same key gives the same image.
Labels are untouched (they never come from the RGB).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

STREAM = 0xCA3F  # separates this generator from every other use of (seed, index)
GAMMA = 2.2


@dataclass(frozen=True)
class CameraFx:
    """Strengths of each effect; all 0 means the identity."""

    vignette: float = 0.25
    softness: float = 0.0
    ca: float = 0.0008
    shot: float = 0.0004
    read: float = 0.0015
    iso_range: tuple[float, float] = (0.5, 2.0)
    sharpen: float = 0.6
    sharpen_sigma_px: float = 1.0
    sharpen_threshold: float = 0.012

    def as_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}

    @property
    def is_identity(self) -> bool:
        return not (
            self.vignette or self.softness or self.ca or self.shot or self.read or self.sharpen
        )


CAMERA_FX = CameraFx()
NO_CAMERA_FX = CameraFx(0.0, 0.0, 0.0, 0.0, 0.0, sharpen=0.0)


def _radius(h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixel offsets from the image centre (y, x) and r^2 over the squared half diagonal."""
    y = np.arange(h, dtype=np.float32)[:, None] - (h - 1) / 2.0
    x = np.arange(w, dtype=np.float32)[None, :] - (w - 1) / 2.0
    return y, x, (y * y + x * x) / np.float32((h * h + w * w) / 4.0)


def _scale_channel(c: np.ndarray, y: np.ndarray, x: np.ndarray, s: float) -> np.ndarray:
    """Channel ``c`` (H,W) magnified by ``1 + s`` about the centre, bilinear, edge-clamped."""
    h, w = c.shape
    sy = np.clip(y / (1.0 + s) + (h - 1) / 2.0, 0, h - 1)[:, 0]
    sx = np.clip(x / (1.0 + s) + (w - 1) / 2.0, 0, w - 1)[0]
    y0 = np.minimum(sy.astype(np.int64), h - 2)
    x0 = np.minimum(sx.astype(np.int64), w - 2)
    fy = (sy - y0)[:, None].astype(np.float32)
    fx = (sx - x0)[None, :].astype(np.float32)
    rows = c[y0] * (1 - fy) + c[y0 + 1] * fy
    return rows[:, x0] * (1 - fx) + rows[:, x0 + 1] * fx


def _blur3(img: np.ndarray, s: float) -> np.ndarray:
    """Separable ``[s, 1 - 2s, s]`` blur of (H,W,C), edges replicated."""
    p = np.pad(img, ((1, 1), (0, 0), (0, 0)), mode="edge")
    img = (1 - 2 * s) * p[1:-1] + s * (p[:-2] + p[2:])
    p = np.pad(img, ((0, 0), (1, 1), (0, 0)), mode="edge")
    return (1 - 2 * s) * p[:, 1:-1] + s * (p[:, :-2] + p[:, 2:])


def _gauss(img: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur of (H,W,C) (radius 3 sigma), edges replicated."""
    r = max(1, int(np.ceil(3.0 * sigma)))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2).astype(np.float32)
    k /= k.sum()
    p = np.pad(img, ((r, r), (0, 0), (0, 0)), mode="edge")
    img = sum(k[i] * p[i : i + img.shape[0]] for i in range(2 * r + 1))
    p = np.pad(img, ((0, 0), (r, r), (0, 0)), mode="edge")
    return sum(k[i] * p[:, i : i + img.shape[1]] for i in range(2 * r + 1))


def apply_camera_fx(rgb: np.ndarray, key: tuple[int, ...], fx: CameraFx = CAMERA_FX) -> np.ndarray:
    """Camera effects on ``rgb`` ((H,W,3) uint8 display-referred sRGB); returns a new
    (H,W,3) uint8 array. ``key`` (e.g. ``(spec.seed, spec.index)``) seeds the noise."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected (H,W,3) uint8, got {rgb.shape} {rgb.dtype}")
    if fx.is_identity:
        return rgb.copy()
    h, w, _ = rgb.shape
    img = rgb.astype(np.float32) / 255.0
    y, x, r2 = _radius(h, w)
    if fx.ca and h > 1 and w > 1:
        img[..., 0] = _scale_channel(img[..., 0], y, x, fx.ca)
        img[..., 2] = _scale_channel(img[..., 2], y, x, -fx.ca)
    if fx.softness:
        img = _blur3(img, fx.softness)
    if fx.sharpen:
        detail = img - _gauss(img, fx.sharpen_sigma_px)
        # Coring: detail below the threshold (render noise, the denoiser's speckle in
        # defocused areas) is not amplified.
        detail = np.sign(detail) * np.maximum(np.abs(detail) - fx.sharpen_threshold, 0.0)
        img = np.clip(img + fx.sharpen * detail, 0.0, 1.0)
    lin = np.power(img, GAMMA)
    if fx.vignette:
        lin *= (1.0 - fx.vignette * r2)[..., None]
    if fx.shot or fx.read:
        rng = np.random.default_rng((*(int(k) for k in key), STREAM))
        iso = float(rng.uniform(*fx.iso_range))
        sigma = np.sqrt(iso * (fx.shot * lin + fx.read**2))
        lin = lin + sigma * rng.standard_normal(lin.shape, dtype=np.float32)
    out = np.power(np.clip(lin, 0.0, 1.0), 1.0 / GAMMA) * 255.0
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
