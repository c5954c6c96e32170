"""Folded face triangles (assets_pipeline.folds) over the identity pool, by local-change
spread: how much the sampled local changes crease the face beyond what the phenotypes
alone do. For the creased identities at the default spread it also asks whether one
target is to blame: the largest drop in folds from leaving out a single local change.
Writes benchmarks/results/face_folds.json.

Run: .venv/bin/python benchmarks/bench_face_folds.py [--n 100] [--seed 0] [--full-spread]
(``--full-spread``: every target at identity.local_sigma, i.e. without
synth.sampling.LOCAL_SPREAD -- 0.8.0's pool; writes face_folds_full_spread.json)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from machine import machine_info, write_result  # noqa: E402
from tqdm import tqdm  # noqa: E402

import synth.sampling as sampling  # noqa: E402
from assets_pipeline.folds import face_triangles, folded_triangles  # noqa: E402
from assets_pipeline.head_asset import HeadAsset  # noqa: E402
from assets_pipeline.makehuman import ensure_default_asset  # noqa: E402
from synth.config import load_config  # noqa: E402
from synth.sampling import sample_identity  # noqa: E402

SIGMAS = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3)
CREASED_EXCESS = 10  # an identity is "creased" with this many more folds than its phenotypes'


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="identities (the default pool is 100)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--full-spread", action="store_true",
                    help="ignore sampling.LOCAL_SPREAD (0.8.0's identities)")  # fmt: skip
    args = ap.parse_args()
    if args.full_spread:
        sampling.LOCAL_SPREAD = {}
    asset = HeadAsset.load(ensure_default_asset())
    tris = face_triangles(asset)
    configs = {s: load_config(None, {"identity": {"local_sigma": s}}) for s in SIGMAS}
    default_sigma = load_config().identity.local_sigma  # one of SIGMAS
    counts = {s: [] for s in SIGMAS}
    at_default = []  # the identities at the default spread, for _blame
    for i in tqdm(range(args.n), desc="identities"):
        for s, cfg in configs.items():
            ident = sample_identity(cfg, args.seed, i, asset.local_names)
            v, _ = asset.evaluate(ident.phenotypes, ident.local_changes)
            counts[s].append(folded_triangles(asset, v, tris))
            if s == default_sigma:
                at_default.append(ident)
    base = np.array(counts[0.0])
    blame = _blame(asset, tris, at_default, base, counts[default_sigma])
    rows = {}
    for s in SIGMAS:
        c = np.array(counts[s])
        excess = c - base
        rows[f"{s:g}"] = {
            "folded_mean": float(c.mean()),
            "folded_p90": float(np.percentile(c, 90)),
            "excess_mean": float(excess.mean()),
            "creased_share": float(np.mean(excess > CREASED_EXCESS)),
        }
    record = {
        "machine": machine_info(),
        "identities": args.n,
        "seed": args.seed,
        "local_spread": sampling.LOCAL_SPREAD,
        "face_triangles": int(len(tris)),
        "creased_excess": CREASED_EXCESS,
        "by_local_sigma": rows,
        "creased_at_default": blame,
    }
    write_result("face_folds_full_spread" if args.full_spread else "face_folds", record)
    for s, r in rows.items():
        print(f"local_sigma {s:>4}: folded mean {r['folded_mean']:5.1f}  p90 "
              f"{r['folded_p90']:5.1f}  excess {r['excess_mean']:5.1f}  creased "
              f"{100 * r['creased_share']:4.0f} %")  # fmt: skip
    for b in blame:
        print(
            f"identity {b['identity']:3d}: excess {b['excess']:3d}, the worst single target "
            f"{b['worst_target']} removes {b['worst_drop']} (of {b['local_changes']})"
        )


def _blame(asset, tris, identities, base, counts) -> list[dict]:
    """Leave-one-out over the local changes of each creased one of ``identities``
    (``counts``: their folded triangles; ``base``: their phenotypes' own)."""
    out = []
    for i in np.flatnonzero(np.array(counts) - base > CREASED_EXCESS):
        ident = identities[i]
        drops = {}
        for name in ident.local_changes:
            rest = {k: w for k, w in ident.local_changes.items() if k != name}
            v, _ = asset.evaluate(ident.phenotypes, rest)
            drops[name] = counts[i] - folded_triangles(asset, v, tris)
        worst = max(drops, key=drops.get)
        out.append({"identity": int(i), "excess": int(counts[i] - base[i]),
                    "local_changes": len(drops), "worst_target": worst,
                    "worst_drop": int(drops[worst])})  # fmt: skip
    return out


if __name__ == "__main__":
    main()
