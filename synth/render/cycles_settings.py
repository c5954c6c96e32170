"""Cycles render settings and device selection (bpy, no scene content).

``configure_render``: sampling, adaptive sampling, OpenImageDenoise, light paths, tiles and
the view transform of a frame (the reasons for each value are in docs/CYCLES.md "Noise and
speed"); ``select_device``: CPU or the first GPU backend Blender finds.
"""

from __future__ import annotations

VIEW_TRANSFORM = "Filmic"
LOOK = "Medium High Contrast"
ADAPTIVE_THRESHOLD = 0.05
ADAPTIVE_MIN_SAMPLES = 7

GPU_BACKENDS = ("OPTIX", "CUDA", "HIP", "ONEAPI")


def select_device(bpy, scene, want: str) -> tuple[str, str]:
    """Configure Cycles for ``want`` ("cpu" | "gpu"); returns (backend, device names).

    "gpu" tries OPTIX, CUDA, HIP, oneAPI in that order through the Cycles add-on
    preferences and falls back to the CPU when none has a device.
    """
    if want not in ("cpu", "gpu"):
        raise ValueError(f"device must be 'cpu' or 'gpu', got {want!r}")
    prefs = bpy.context.preferences.addons["cycles"].preferences
    if want == "gpu":
        for backend in GPU_BACKENDS:
            try:
                prefs.compute_device_type = backend
            except TypeError:  # backend not compiled into this Blender
                continue
            prefs.refresh_devices()
            gpus = [d for d in prefs.devices if d.type == backend]
            if not gpus:
                continue
            for d in prefs.devices:
                d.use = d.type == backend
            scene.cycles.device = "GPU"
            return backend, ", ".join(d.name for d in gpus)
        prefs.compute_device_type = "NONE"
    scene.cycles.device = "CPU"
    cpus = [d.name for d in prefs.get_devices_for_type("CPU")] or ["cpu"]
    return "CPU", ", ".join(cpus)


def configure_render(scene, samples: int, threads: int | None) -> None:
    r, c = scene.render, scene.cycles
    r.engine = "CYCLES"
    r.use_persistent_data = True  # keep BVH of unchanged objects, shaders, textures
    r.resolution_percentage = 100
    r.use_compositing = False
    r.use_sequencer = False
    r.film_transparent = False
    r.image_settings.media_type = "IMAGE"
    r.image_settings.file_format = "TARGA_RAW"
    r.image_settings.color_mode = "RGB"
    r.use_file_extension = True
    if threads:
        r.threads_mode, r.threads = "FIXED", int(threads)
    c.samples = int(samples)
    c.use_adaptive_sampling = True
    c.adaptive_threshold = ADAPTIVE_THRESHOLD
    c.adaptive_min_samples = min(ADAPTIVE_MIN_SAMPLES, int(samples))
    c.use_denoising = True
    c.denoiser = "OPENIMAGEDENOISE"
    c.denoising_input_passes = "RGB_ALBEDO_NORMAL"
    # ACCURATE denoises the albedo and normal passes first: 3 OIDN runs instead of 1
    # (~5 s more per 640x480 frame on 2 cores); they are nearly noise-free here anyway.
    c.denoising_prefilter = "FAST"
    c.denoising_quality = "HIGH"
    c.seed = 0
    c.use_animated_seed = False
    # Light paths: a face lit by a few lights needs little indirect light.
    c.max_bounces = 4
    c.diffuse_bounces = 2
    c.glossy_bounces = 1
    c.transmission_bounces = 0
    c.volume_bounces = 0
    # The hair shell is feathered (transparent) where it leaves the skin: one pass
    # through it, plus one for a strand's shadow ray.
    c.transparent_max_bounces = 2
    c.caustics_reflective = False
    c.caustics_refractive = False
    c.sample_clamp_indirect = 5.0
    c.use_light_tree = False  # a handful of point lights: plain light sampling is faster
    scene.cycles_curves.shape = "RIBBONS"  # hair strands: sub-pixel at 640x480
    scene.cycles_curves.subdivisions = 2
    c.use_auto_tile = True
    c.tile_size = 1024
    scene.view_settings.view_transform = VIEW_TRANSFORM
    scene.view_settings.look = LOOK
    scene.view_settings.exposure = 0.0  # fixed: see CyclesScene.update
    scene.view_settings.use_white_balance = False  # done on the emitters instead
    scene.view_settings.gamma = 1.0
    scene.display_settings.display_device = "sRGB"
