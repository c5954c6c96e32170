"""``synth`` command line: thin wrappers over assets_pipeline and synth functions.

Exit status: 0 success, 2 bad input (one-line reason on stderr), 1 internal failure.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(
    help="facedepth synth: synthetic face RGB + exact metric depth datasets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
assets_app = typer.Typer(help="Build and export head assets.", no_args_is_help=True)
app.add_typer(assets_app, name="assets")
err = Console(stderr=True)
console = Console()


def user_errors(fn):
    """Turn the project's validation errors into one line on stderr and exit status 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from assets_pipeline.head_asset import AssetError
        from synth.card_stats import CardError
        from synth.config import ConfigError
        from synth.generate import GenerateError

        try:
            return fn(*args, **kwargs)
        except (AssetError, ConfigError, GenerateError, CardError) as exc:
            err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper


def default_asset_path() -> Path:
    from assets_pipeline.makehuman import default_asset_path as _p

    return _p()


def ensure_default_asset(path: Path | None) -> Path:
    """The asset to use: ``path`` if given (must exist), else the cached default, built on
    first use (and rebuilt when an older facedepth wrote it)."""
    from assets_pipeline.head_asset import AssetError

    if path is not None:
        if not path.is_file():
            raise AssetError(f"asset file not found: {path}")
        return path
    from assets_pipeline.makehuman import default_asset_current
    from assets_pipeline.makehuman import ensure_default_asset as ensure

    p = default_asset_path()
    if default_asset_current():
        return p
    with err.status("building the default MakeHuman head asset (once)") as st:
        ensure(progress=lambda m: st.update(m))
    err.print(f"built head asset -> {p}")
    return p


# ---------------------------------------------------------------- assets
@assets_app.command("build")
@user_errors
def assets_build(
    source: str = typer.Option("makehuman", help="makehuman (default, embedded), flame or fbx."),
    model: Path = typer.Option(
        None, help="Model file for --source flame (FLAME .pkl/.npz) or fbx (.fbx/.glb/.gltf)."
    ),
    out: Path = typer.Option(None, help="Output .npz (default: the cache, ~/.cache/facedepth/)."),
):
    """Build a HeadAsset (mesh, identity/expression bases, regions, landmarks) and cache it."""
    import time

    from assets_pipeline.head_asset import HeadAsset
    from assets_pipeline.sources import build_asset

    target = out or (default_asset_path() if source == "makehuman" else Path(f"{source}_head.npz"))
    t = time.perf_counter()
    with err.status(f"building {source} head asset") as st:
        asset = build_asset(source, model, progress=lambda m: st.update(m))
        asset.save(target)
    t_build = time.perf_counter() - t
    t = time.perf_counter()
    HeadAsset.load(target)
    console.print(
        f"{source} head asset: {asset.n_vertices} vertices, {len(asset.faces)} triangles, "
        f"{len(asset.expression_names)} face units, {len(asset.presets)} presets -> {target} "
        f"(built in {t_build:.1f} s, loads in {time.perf_counter() - t:.2f} s)"
    )


@assets_app.command("export")
@user_errors
def assets_export(
    out: Path = typer.Option(..., help="Output file (.fbx or .glb)."),
    expression: str = typer.Option("neutral", help="Preset applied to the base shape."),
    format: str = typer.Option(None, "--format", help="fbx or glb (default: from the extension)."),
    asset: Path = typer.Option(None, help="HeadAsset .npz (default: the cached MakeHuman asset)."),
):
    """Export the head with all shape keys (52 face units + presets) for Blender or any DCC."""
    from assets_pipeline.export import export_asset

    path = ensure_default_asset(asset)
    export_asset(path, out, expression=expression, fmt=format)
    console.print(f"wrote {out}")


# ---------------------------------------------------------------- generate
def _overrides(pairs: list[str]) -> dict:
    import yaml

    from synth.config import ConfigError

    res = {}
    for p in pairs or []:
        if "=" not in p:
            raise ConfigError(f"--set expects key=value, got {p!r}")
        k, v = p.split("=", 1)
        res[k.strip()] = yaml.safe_load(v)
    return res


def _resolve_config(config, resolution, identities, overrides, save_mesh=False, save_normals=False):
    from synth.config import load_config, parse_resolution

    ov = _overrides(overrides)
    if resolution:
        w, h = parse_resolution(resolution)
        ov["width"], ov["height"] = w, h
    if identities is not None:
        ov["identity.count"] = identities
    if save_mesh:
        ov["output.save_mesh"] = True
    if save_normals:
        ov["output.save_normals"] = True
    return load_config(config, ov)


def _renderer_options(
    fast: bool,
    samples: int | None,
    device: str,
    fstop: float | None = None,
    camera_fx: bool = True,
    image_dir: str | None = None,
    skin_map_dir: str | None = None,
) -> tuple[str, dict]:
    """(renderer name, renderer options) from the command line; ``image_dir`` and
    ``skin_map_dir`` are the config's background image and skin map directories, which
    only Cycles reads."""
    from synth.config import ConfigError

    if device not in ("cpu", "gpu"):
        raise ConfigError(f"--device must be cpu or gpu, got {device!r}")
    if fast:
        given = [
            name
            for name, is_set in (
                ("--samples", samples is not None),
                ("--fstop", fstop is not None),
                ("--no-camera-fx", not camera_fx),
                ("--device gpu", device != "cpu"),
            )
            if is_set
        ]
        if given:
            raise ConfigError(
                f"{', '.join(given)}: Cycles option(s), not used by --fast "
                "(the fast path picks EGL on a GPU machine by itself)"
            )
        return "fast", {}
    opts: dict = {"device": device}
    if samples is not None:
        if samples < 1:
            raise ConfigError(f"--samples must be >= 1, got {samples}")
        opts["samples"] = samples
    if fstop is not None:
        if fstop < 0:
            raise ConfigError(f"--fstop must be >= 0 (0: no depth of field), got {fstop}")
        opts["fstop"] = fstop
    if not camera_fx:
        opts["camera_fx"] = False
    if image_dir:
        opts["image_dir"] = image_dir
    if skin_map_dir:
        opts["skin_map_dir"] = skin_map_dir
    return "cycles", opts


_FSTOP_HELP = (
    "Cycles lens f-number: depth of field focused on the eyes (default 4; 0 = pinhole, "
    "all sharp). Only the RGB is defocused; labels stay exact."
)
_CAMERA_FX_HELP = (
    "Cycles: camera vignetting, sharpening, chromatic aberration and sensor noise on the "
    "RGB, seeded per sample (default on)."
)


@app.command()
@user_errors
def generate(
    n: int = typer.Option(..., "--n", help="Number of samples (ids 0..n-1)."),
    out_dir: Path = typer.Option(
        ..., "--out", help="Dataset directory (created; resumed if it holds the same run)."
    ),
    fast: bool = typer.Option(
        False,
        "--fast",
        help="Fast OpenGL path (OSMesa on CPU, EGL on a GPU) instead of Blender Cycles.",
    ),
    config: Path = typer.Option(None, help="YAML config (see synth/configs/default.yaml)."),
    seed: int = typer.Option(
        0, help="Dataset seed; sample i is a pure function of (config, seed, i)."
    ),
    workers: int = typer.Option(1, help="Worker processes, each with its own renderer."),
    executor: str = typer.Option("local", help="local (default) or ray."),
    address: str = typer.Option(
        None, help="Ray cluster address for --executor ray (default: local Ray)."
    ),
    shard: str = typer.Option(None, help="I/N: render only shard I of N (for batch systems)."),
    resolution: str = typer.Option(None, help="WxH, e.g. 640x480 (overrides the config)."),
    samples: int = typer.Option(
        None, help="Cycles samples per pixel (adaptive sampling upper bound)."
    ),
    device: str = typer.Option(
        "cpu", help="cpu or gpu (Cycles: CUDA/OptiX when Blender finds one)."
    ),
    fstop: float = typer.Option(None, "--fstop", help=_FSTOP_HELP),
    camera_fx: bool = typer.Option(True, "--camera-fx/--no-camera-fx", help=_CAMERA_FX_HELP),
    identities: int = typer.Option(
        None, help="Identity pool size K (identities reused across samples)."
    ),
    save_mesh: bool = typer.Option(
        False, "--save-mesh", help="Also write mesh/<id>.ply in the camera frame."
    ),
    save_normals: bool = typer.Option(False, "--save-normals", help="Also write normals/<id>.exr."),
    set_: list[str] = typer.Option(
        None, "--set", help="Config override key.sub=value (repeatable)."
    ),
    asset: Path = typer.Option(None, help="HeadAsset .npz (default: the cached MakeHuman asset)."),
):
    """Generate a dataset: RGB, planar depth EXR, semantic mask and labels per sample."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from synth.generate import GenerateError
    from synth.generate import generate as run

    cfg = _resolve_config(config, resolution, identities, set_, save_mesh, save_normals)
    renderer, ropts = _renderer_options(
        fast, samples, device, fstop, camera_fx, cfg.background.image_dir,
        cfg.identity.skin_map_dir,
    )  # fmt: skip
    indices = None
    if shard:
        from synth.shards import parse_shard, shard_indices

        i, k = parse_shard(shard)
        indices = shard_indices(n, i, k)
    ex_opts = {"address": address} if executor == "ray" else {}
    if address and executor != "ray":
        raise GenerateError("--address needs --executor ray")
    asset_path = ensure_default_asset(asset)
    total = n if indices is None else len(indices)
    with Progress(
        TextColumn("[bold]generate"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=err,
    ) as prog:
        task = prog.add_task("gen", total=total, rate="")

        def tick(k: int) -> None:
            prog.advance(task, k)
            t = prog.tasks[task]
            if t.elapsed:
                prog.update(task, rate=f"{t.completed / t.elapsed:.1f} samples/s")

        s = run(
            cfg,
            out_dir,
            n,
            seed,
            renderer=renderer,
            renderer_options=ropts,
            asset_path=asset_path,
            workers=workers,
            executor=executor,
            executor_options=ex_opts,
            indices=indices,
            on_progress=tick,
        )
    stages = ", ".join(
        f"{k} {1000 * v / max(s.written, 1):.1f} ms" for k, v in sorted(s.stages.items())
    )
    console.print(
        f"wrote {s.written} samples ({s.skipped} already present) to {out_dir} "
        f"in {s.seconds:.1f} s "
        f"= {s.rate:.1f} samples/s with {workers} worker(s); per sample: {stages}"
    )


@app.command()
@user_errors
def preview(
    fast: bool = typer.Option(
        False,
        "--fast",
        help="Fast OpenGL path (OSMesa on CPU, EGL on a GPU) instead of Blender Cycles.",
    ),
    n: int = typer.Option(16, "--n", help="Number of samples on the sheet."),
    config: Path = typer.Option(None, help="YAML config."),
    seed: int = typer.Option(0, help="Seed."),
    start: int = typer.Option(0, help="First sample index."),
    out_file: Path = typer.Option(Path("preview.png"), "--out", help="Contact sheet PNG."),
    resolution: str = typer.Option(None, help="WxH (overrides the config)."),
    samples: int = typer.Option(None, help="Cycles samples per pixel."),
    device: str = typer.Option("cpu", help="cpu or gpu."),
    fstop: float = typer.Option(None, "--fstop", help=_FSTOP_HELP),
    camera_fx: bool = typer.Option(True, "--camera-fx/--no-camera-fx", help=_CAMERA_FX_HELP),
    set_: list[str] = typer.Option(
        None, "--set", help="Config override key.sub=value (repeatable)."
    ),
    asset: Path = typer.Option(None, help="HeadAsset .npz (default: the cached MakeHuman asset)."),
    save_blend: Path = typer.Option(None, help="Cycles only: keep the first sample's .blend here."),
):
    """Render N samples to a contact sheet: RGB | depth | mask | landmarks."""
    from synth.preview import render_preview

    if n < 1:
        from synth.config import ConfigError

        raise ConfigError(f"--n must be >= 1, got {n}")
    cfg = _resolve_config(config, resolution, None, set_)
    renderer, ropts = _renderer_options(
        fast, samples, device, fstop, camera_fx, cfg.background.image_dir,
        cfg.identity.skin_map_dir,
    )  # fmt: skip
    if save_blend is not None:
        ropts["save_blend"] = str(save_blend)
    path = ensure_default_asset(asset)
    render_preview(cfg, path, renderer, ropts, seed, range(start, start + n), out_file)
    console.print(f"wrote {out_file}")


@app.command()
@user_errors
def merge(
    shards: list[Path] = typer.Argument(..., help="Shard directories written with --shard I/N."),
    out_dir: Path = typer.Option(..., "--out", help="Merged dataset directory."),
):
    """Merge shards into exactly the dataset one unsharded run writes."""
    from synth.merge import merge as run

    k = run(shards, out_dir)
    console.print(f"merged {len(shards)} shard(s), {k} samples -> {out_dir}")


@app.command("export")
@user_errors
def export_cmd(
    dataset: Path = typer.Argument(..., help="Dataset directory."),
    format: str = typer.Option(
        ..., "--format", help="webdataset (tar shards) or hf (load_from_disk)."
    ),
    out_dir: Path = typer.Option(..., "--out", help="Output directory."),
):
    """Export for streaming training: WebDataset tar shards or a Hugging Face dataset."""
    from synth.export import export

    res = export(dataset, format, out_dir)
    console.print(
        f"exported {dataset} as {format} -> {out_dir}"
        + (f" ({len(res)} shards)" if isinstance(res, list) else "")
    )


# ---------------------------------------------------------------- card
@app.command()
@user_errors
def card(
    dataset: Path = typer.Argument(..., help="Dataset directory written by synth generate."),
    out: Path = typer.Option(
        None, "--out", help="Card file (.md; default DIR/README.md); figures go to card/ beside it."
    ),
):
    """Write the dataset's data card: HF front matter, datasheet sections, figures."""
    from synth.card import CardValidationError, write_card

    try:
        path = write_card(dataset, out)
    except CardValidationError as exc:  # a bug in the card writer, not bad input
        err.print(f"internal error: the card fails validation: {exc}", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"wrote {path} (figures and stats.json in {path.parent / 'card'})")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
