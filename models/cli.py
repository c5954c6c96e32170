"""``models`` command line: train, eval, predict, export (and list architectures).

Thin by design (STYLE.md §4): each command parses its options into validated objects and
calls one public function (:func:`models.train.train`, :func:`models.evaluate.evaluate`,
:func:`models.predict.predict`, :func:`models.export.export_onnx`). Bad input exits with
status 2 and a one-line ``error: ...`` on stderr; internal failures exit 1.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError

from models.errors import BadInputError

T = TypeVar("T")

app = typer.Typer(
    name="models",
    help="Monocular facial depth models: train, evaluate, predict, export.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _guard(fn: Callable[[], T]) -> T:
    """Run ``fn``; bad input becomes one line on stderr and exit status 2."""
    try:
        return fn()
    except BadInputError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "config"
        typer.echo(f"error: {where}: {first['msg']}", err=True)
        raise typer.Exit(2) from None


THREADS_HELP = "CPU threads for torch; default one per core (fewer helps on busy machines)"


def _threads(n: int | None) -> None:
    from models.runtime import set_cpu_threads

    set_cpu_threads(n)


def _workers(n: int | None) -> int:
    from models.config import default_workers

    if n is not None and n < 0:
        raise BadInputError(f"--workers must be >= 0, got {n}")
    return default_workers() if n is None else n


@app.command()
def train(
    data: Annotated[Path, typer.Option(help="dataset directory (synth generate --out)")],
    arch: Annotated[str, typer.Option(help="architecture; `models archs` lists them")],
    out: Annotated[Path, typer.Option(help="run directory; rerun with it to resume")],
    epochs: int = 20,
    batch_size: int = 6,
    lr: float = 1e-3,
    resolution: Annotated[str | None, typer.Option(help="WxH; default: the dataset's")] = None,
    workers: Annotated[int | None, typer.Option(help="loader processes; default: cores/2")] = None,
    pretrained: Annotated[
        str | None, typer.Option(help="encoder weights: local file, timm tag or hf-hub: id")
    ] = None,
    max_depth: Annotated[float, typer.Option(help="metres; target = max_depth / depth")] = 5.0,
    min_depth: Annotated[float, typer.Option(help="metres; predictions clipped here")] = 0.05,
    l1_weight: float = 0.1,
    ssim_weight: float = 1.0,
    grad_weight: float = 1.0,
    normal_weight: float = 1.0,
    augment: Annotated[bool, typer.Option(help="flip + colour jitter")] = True,
    limit: Annotated[int | None, typer.Option(help="use at most N train and N val samples")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda")] = "auto",
    seed: int = 0,
    amp: Annotated[bool, typer.Option(help="mixed precision on CUDA")] = True,
    threads: Annotated[int | None, typer.Option(help=THREADS_HELP)] = None,
    quiet: bool = False,
) -> None:
    """Train (or resume) a depth network; writes RUN/{config.json,model.safetensors,...}."""

    def run():
        if not data.is_dir():  # before the heavy imports: bad input answers at once
            raise BadInputError(f"dataset directory not found: {data}")
        from models.config import TrainConfig, parse_resolution
        from models.data import AugmentConfig
        from models.losses import LossWeights
        from models.train import train as train_fn

        _threads(threads)
        size = parse_resolution(resolution) if resolution is not None else (None, None)
        cfg = TrainConfig(
            data=data,
            arch=arch,
            out=out,
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            width=size[0],
            height=size[1],
            workers=_workers(workers),
            pretrained=pretrained,
            max_depth_m=max_depth,
            min_depth_m=min_depth,
            loss=LossWeights(
                l1=l1_weight, ssim=ssim_weight, grad=grad_weight, normal=normal_weight
            ),
            augment=AugmentConfig() if augment else None,
            limit=limit,
            device=device,
            seed=seed,
            amp=amp,
        )
        return train_fn(cfg, progress=not quiet)

    result = _guard(run)
    if os.environ.get("RANK", "0") == "0":  # one line under torchrun too
        typer.echo(f"run: {result.run} ({result.epochs_done} epochs)")


@app.command("eval")
def eval_(
    data: Annotated[Path, typer.Option(help="dataset directory")],
    checkpoint: Annotated[Path, typer.Option(help="run directory or its .safetensors")],
    split: str = "test",
    out: Annotated[Path | None, typer.Option(help="JSON file; default RUN/eval_SPLIT.json")] = None,
    batch_size: int = 4,
    workers: int | None = None,
    limit: int | None = None,
    device: str = "auto",
    threads: Annotated[int | None, typer.Option(help=THREADS_HELP)] = None,
    quiet: bool = False,
) -> None:
    """Metrics on one split (whole frame and face region); prints a Markdown table."""

    def run():
        from models.evaluate import evaluate
        from models.metrics import markdown_rows

        _threads(threads)
        if batch_size < 1:
            raise BadInputError(f"--batch-size must be >= 1, got {batch_size}")
        run_dir = checkpoint if checkpoint.is_dir() else checkpoint.parent
        dest = out if out is not None else run_dir / f"eval_{split}.json"
        res = evaluate(
            data,
            checkpoint,
            split=split,
            out=dest,
            batch_size=batch_size,
            workers=_workers(workers),
            device=device,
            limit=limit,
            progress=not quiet,
        )
        return res, dest, markdown_rows

    res, dest, markdown_rows = _guard(run)
    typer.echo(markdown_rows(res["arch"], {"whole": res["whole"], "face": res["face"]}))
    typer.echo(f"\n{res['images']} {res['split']} images; metrics written to {dest}")


@app.command("predict")
def predict_(
    inputs: Annotated[list[Path], typer.Argument(help="images and/or directories of images")],
    checkpoint: Annotated[Path, typer.Option(help="run directory or its .safetensors")],
    out: Annotated[Path, typer.Option(help="output directory")],
    device: str = "auto",
    threads: Annotated[int | None, typer.Option(help=THREADS_HELP)] = None,
) -> None:
    """Depth EXR, coloured PNG and a side-by-side figure for each input image."""

    def run():
        from models.predict import predict

        _threads(threads)
        return predict(checkpoint, list(inputs), out, device=device)

    preds = _guard(run)
    typer.echo(f"{len(preds)} predictions written to {out}")


@app.command("export")
def export_(
    checkpoint: Annotated[Path, typer.Option(help="run directory or its .safetensors")],
    onnx: Annotated[Path, typer.Option(help="output .onnx file")],
    opset: int = 17,
) -> None:
    """ONNX graph: rgb [N,3,H,W] in [0,1] → depth_m [N,1,H,W] metres."""

    def run():
        from models.export import export_onnx

        return export_onnx(checkpoint, onnx, opset=opset)

    path = _guard(run)
    typer.echo(f"wrote {path}")


@app.command()
def archs(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the architectures ``--arch`` accepts."""
    from models.archs import ARCHS

    rows = [
        {"name": n, **{k: getattr(ARCHS.get(n), k) for k in ("family", "encoder")}} for n in ARCHS
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for n in ARCHS:
        typer.echo(f"{n:18s} {ARCHS.get(n).description}")


if __name__ == "__main__":  # pragma: no cover - ``python -m models.cli``
    app(prog_name="models")
