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


def write_result(name: str, record: dict) -> Path:
    """Write ``record`` as benchmarks/results/<name>.json (indent 2) and echo it."""
    import json

    out = Path(__file__).resolve().parent / "results" / f"{name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))
    return out
