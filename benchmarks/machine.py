"""Machine/device/version record written into every benchmark result."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path


def machine_info() -> dict:
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        import numpy

        info["numpy"] = numpy.__version__
    except ImportError:
        pass
    try:
        gpu = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=10,
        )  # fmt: skip
        info["gpu"] = gpu.stdout.strip() or None
    except (OSError, subprocess.TimeoutExpired):
        info["gpu"] = None
    return info


def write_result(target: str | Path, record: dict, indent: int = 2) -> Path:
    """Write ``record`` as JSON, atomically (a temp file, then a rename): ``target`` is a
    name (benchmarks/results/<name>.json; the record is echoed) or a path."""
    import json

    if isinstance(target, str):
        out = Path(__file__).resolve().parent / "results" / f"{target}.json"
        print(json.dumps(record, indent=indent))
    else:
        out = Path(target)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=indent) + "\n")
    tmp.replace(out)
    print(f"wrote {out}")
    return out
