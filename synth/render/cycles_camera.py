"""The Cycles camera: OpenCV intrinsics -> Blender camera, exposure and white balance.

Pure numpy (no bpy), so the mapping is testable on its own.

Intrinsics: Blender's perspective camera with ``sensor_fit = HORIZONTAL`` has a focal
length of ``lens / sensor_width * width`` pixels; its principal point sits at the image
centre moved by ``shift_x/shift_y`` (in units of the image width). OpenCV puts pixel
(u, v)'s centre at (u, v), Blender at (u + 0.5, v + 0.5) from the image corner, hence the
half-pixel terms. tests/render/test_cycles.py checks that Cycles' coverage equals the
label mask exactly, also with an off-centre principal point.

Exposure and white balance model a photographer's camera pointed at the face:
- ``metered_exposure``: half-way between a fixed exposure and a full incident-light
  reading at the face, so lighting still varies between samples but faces are neither
  blown out nor lost, and each skin keeps its own lightness;
- ``white_balance_gains``: a 70 % auto white balance towards the light falling on the
  face, applied to the emitters in scene-linear RGB (for a scene lit only by them this is
  the same as a von Kries balance in the camera), so a cold fill and a warm key give a
  natural mix instead of a blue or orange cast.
"""

from __future__ import annotations

import numpy as np

from synth.spec import CameraSpec, SceneSpec

# LightSpec.power_w is used as Blender watts times LIGHT_GAIN[kind]; the world's radiance
# is SceneSpec.ambient times AMBIENT_GAIN. A photographer's ratio: the key light a little
# stronger, the random (fill/practical) lights and the constant, direction-less ambient
# weaker than the spec's values, so faces get modelling and soft shadows instead of the
# flat look of a strong uniform environment; the exposure meter evens out the total.
LIGHT_GAIN = {"key": 1.3, "random": 0.8}
AMBIENT_GAIN = 0.55
# A room's ambient light is not direction-less: the subject faces the room behind the
# photographer. BOUNCE_SHARE of the ambient irradiance at the face comes from a large,
# soft light BOUNCE_BEHIND_M behind the camera (``bounce_light``), the rest from the
# uniform world. With all of it uniform (before 0.8.0) an open mouth was a black hole:
# the key comes from above, and the world reached the teeth only through the lips'
# opening.
BOUNCE_SHARE = 0.35
BOUNCE_BEHIND_M = 0.3
BOUNCE_RADIUS_M = 0.5
# Median irradiance at the face under the default config's lights (point lights as
# P / (4 pi d^2) * cos, world as pi * radiance): exposed at EXPOSURE_OFFSET_EV.
METER_E_REF = 3.8
METER_STRENGTH = 0.5
# The meter reads the light falling on the face, not the skin's own luminance: until 0.9.0
# it followed both (log2(E Y), half-way), so light skin was exposed ~1 EV down and dark skin
# ~0.5 EV up and nearly every face rendered a middle brown (light skin at L* 45-55, ITA
# "brown"; benchmarks/bench_skin_tone.py). A photographer meters the light and lets skin
# keep its lightness; the offset (-0.5 EV before) puts light skin at L* ~63, dark at ~43.
EXPOSURE_OFFSET_EV = -0.1
EXPOSURE_LIMIT_EV = 1.5
WHITE_BALANCE_STRENGTH = 0.7
REC709_Y = np.array([0.2126, 0.7152, 0.0722])


def blender_camera(cam: CameraSpec) -> dict:
    """Blender camera/render settings reproducing ``cam.K`` exactly (square pixels).

    clip_end: Cycles clips by ray length, the labels by planar z, so the clip distance is
    the ray length of the frustum's far corners: Cycles never drops a surface that the
    labels keep (everything synth.scene builds lies within far_m)."""
    K = np.asarray(cam.K, dtype=np.float64)
    fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
    if abs(fx - fy) > 1e-6 * fx:
        raise ValueError(f"the Cycles camera needs square pixels (fx == fy), got {fx}, {fy}")
    w, h = cam.width, cam.height
    corners = np.array([[0.0, 0.0], [w, 0.0], [0.0, h], [w, h]])
    rays = np.c_[(corners - [cx, cy]) / fx, np.ones(4)]
    return {
        "resolution": (w, h),
        "sensor_width": cam.sensor_mm,
        "lens": fx * cam.sensor_mm / w,
        "shift_x": -(cx + 0.5 - w / 2.0) / w,
        "shift_y": (cy + 0.5 - h / 2.0) / w,
        "clip_start": cam.near_m,
        "clip_end": cam.far_m * float(np.linalg.norm(rays, axis=1).max()),
    }


def focus_distance_m(landmarks_3d: np.ndarray) -> float:
    """Planar focus distance (m): the depth of the midpoint of the eyes (iBUG 68
    landmarks 36-47, camera frame), where a portrait lens is focused."""
    return float(np.asarray(landmarks_3d, np.float64)[36:48, 2].mean())


def face_light(spec: SceneSpec, face_m: np.ndarray) -> tuple[float, np.ndarray]:
    """Irradiance towards the camera at ``face_m`` (camera frame, m) and the linear RGB
    colour of that light (luminance-weighted mean of the emitters' colours)."""
    face = np.asarray(face_m, np.float64)
    to_cam = -face / np.linalg.norm(face)
    # The ambient: the uniform world plus the bounce light, which at the subject's
    # distance, facing the camera, makes up the same total (``bounce_light``).
    e_amb = np.pi * spec.ambient * AMBIENT_GAIN
    total, colour = e_amb, e_amb * np.ones(3)
    for light in spec.lights:
        d = np.asarray(light.position_m, np.float64) - face
        r = float(np.linalg.norm(d))
        e = (
            LIGHT_GAIN.get(light.kind, 1.0)
            * light.power_w
            * max(0.0, float(d @ to_cam) / r)
            / (4 * np.pi * r * r)
        )
        rgb = np.asarray(light.color_rgb, np.float64)
        total += e
        colour += e * rgb / max(float(rgb @ REC709_Y), 1e-6)
    return total, colour / max(total, 1e-9)


def metered_exposure(spec: SceneSpec, face_m: np.ndarray) -> float:
    """Exposure in EV: -METER_STRENGTH * log2(E / E_ref) clipped, plus the offset; E, the
    irradiance at the face, from ``face_light`` (an incident-light reading: the skin's
    albedo does not enter)."""
    e, _ = face_light(spec, face_m)
    ev = -METER_STRENGTH * np.log2(max(e, 1e-9) / METER_E_REF)
    return float(np.clip(ev, -EXPOSURE_LIMIT_EV, EXPOSURE_LIMIT_EV)) + EXPOSURE_OFFSET_EV


def white_balance_gains(spec: SceneSpec, face_m: np.ndarray) -> np.ndarray:
    """(3,) per-channel gains (luminance 1) that take the light at the face
    WHITE_BALANCE_STRENGTH of the way to neutral."""
    _, colour = face_light(spec, face_m)
    gains = np.power(np.maximum(colour, 1e-3), -WHITE_BALANCE_STRENGTH)
    return gains / float(gains @ REC709_Y)


def _ambient_rgb(spec: SceneSpec) -> np.ndarray:
    """The ambient light's colour: white tinted 10 % towards the background colour (the
    room bounces some of its colour back)."""
    return 0.9 * np.ones(3) + 0.1 * np.asarray(spec.background.color_rgb, np.float64)


def environment_radiance(spec: SceneSpec, gains: np.ndarray, exposure: float) -> np.ndarray:
    """(3,) linear radiance of the world seen by every ray but camera rays (the uniform
    part of the ambient light): (1 - BOUNCE_SHARE) x SceneSpec.ambient x AMBIENT_GAIN x
    exposure, in ``_ambient_rgb``, white-balanced."""
    scale = (1.0 - BOUNCE_SHARE) * spec.ambient * AMBIENT_GAIN * exposure
    return _ambient_rgb(spec) * np.asarray(gains, np.float64) * scale


def bounce_light(spec: SceneSpec) -> tuple[np.ndarray, float, np.ndarray]:
    """The directed part of the ambient light: (camera-frame position (m), power (Blender
    W at exposure 0), linear RGB before white balance) of a point light BOUNCE_BEHIND_M
    behind the camera whose irradiance at the subject's distance is BOUNCE_SHARE of the
    ambient's, pi x SceneSpec.ambient x AMBIENT_GAIN."""
    d = spec.camera.distance_m + BOUNCE_BEHIND_M
    e = BOUNCE_SHARE * np.pi * spec.ambient * AMBIENT_GAIN
    return np.array([0.0, 0.0, -BOUNCE_BEHIND_M]), float(e * 4 * np.pi * d * d), _ambient_rgb(spec)


def lit_radiance(
    spec: SceneSpec, points: np.ndarray, normals: np.ndarray, gains: np.ndarray, exposure: float
) -> np.ndarray:
    """(N,3) float32 radiance factor of a white Lambertian surface at camera-frame
    ``points`` with unit ``normals`` (flipped to face the camera) under the sample's
    emitters as CyclesScene sets them: the world (``environment_radiance``) plus the
    bounce light (``bounce_light``) and every point light, each as a point (E = watts x
    LIGHT_GAIN x exposure x cos / (4 pi r^2), colour x white-balance gains), divided by
    pi. Unshadowed. The renderer bakes it into the
    background's emission (the room is lit the same way, without tracing its light)."""
    p = np.asarray(points, np.float64)
    n = np.asarray(normals, np.float64).copy()
    n[np.einsum("ij,ij->i", n, -p) < 0] *= -1.0
    out = np.tile(environment_radiance(spec, gains, exposure), (len(p), 1))
    g = np.asarray(gains, np.float64)
    pos, power, rgb = bounce_light(spec)
    emitters = [(pos, power, rgb)] + [
        (light.position_m, LIGHT_GAIN.get(light.kind, 1.0) * light.power_w, light.color_rgb)
        for light in spec.lights
    ]
    for position, watts, colour in emitters:
        d = np.asarray(position, np.float64) - p
        r2 = np.einsum("ij,ij->i", d, d)
        cos = np.maximum(np.einsum("ij,ij->i", n, d) / np.sqrt(r2), 0.0)
        e = watts * exposure * cos / (4 * np.pi * r2)
        out += (e / np.pi)[:, None] * (np.asarray(colour, np.float64) * g)
    return out.astype(np.float32)
