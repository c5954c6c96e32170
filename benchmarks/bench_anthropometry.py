"""Eye anthropometry of the identity pool against adult norms, by ``identity.local_mean``.

MakeHuman's base eyes are short and sit far apart: on the mean identity the palpebral
fissure (outer to inner eye corner, landmarks 36-39 / 42-45) is ~24 mm and the inner
corners (39-42) are ~40 mm apart, against ~29 and ~32 mm in adults. The sampler shifts
the mean of two eye targets (``identity.local_mean``, by default
synth.sampling.MAKEHUMAN_LOCAL_MEAN) to close the gap. This measures, on
the neutral face of every pool identity (3D landmark distances, head frame):

- en-en: inner corners (39-42); ex-ex: outer corners (36-45); fissure: (|36-39| +
  |42-45|) / 2; fissure height: the mean upper-to-lower lid gap (37-41, 38-40, 43-47,
  44-46); ipd: the eyeball centres (the pupils at a level gaze);
- each also divided by the ipd, so head size drops out of the comparison;
- the share of creased identities (assets_pipeline.folds, as bench_face_folds), since a
  shifted mean adds a fixed deformation to every face.

Adult norms (Farkas, Anthropometry of the Head and Face, 1994, North American adults, men /
women): en-en 33.3 / 31.8 mm, ex-ex 91.2 / 87.8 mm, so a fissure of (ex-ex - en-en) / 2
~ 29 / 28 mm; ipd ~ 64 / 62 mm (Dodgson 2004). Ratios to the ipd: en-en ~0.52, ex-ex ~1.42,
fissure ~0.45.

Writes benchmarks/results/anthropometry.json.
Run: .venv/bin/python benchmarks/bench_anthropometry.py [--n 100] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from machine import machine_info, write_result  # noqa: E402
from tqdm import tqdm  # noqa: E402

from assets_pipeline.folds import face_triangles, folded_triangles  # noqa: E402
from assets_pipeline.head_asset import HeadAsset  # noqa: E402
from assets_pipeline.makehuman import ensure_default_asset  # noqa: E402
from synth.config import load_config  # noqa: E402
from synth.sampling import local_means, sample_identity  # noqa: E402

# (men, women) adult means in mm; see the module docstring.
NORMS_MM = {"en_en": (33.3, 31.8), "ex_ex": (91.2, 87.8), "ipd": (64.0, 62.0)}
CREASED_EXCESS = 10  # as bench_face_folds: this many more folds than the phenotypes' own

VARIANTS = {
    "none (0.8.1)": {},
    "push2-out 0.8, scale 0.4": {"eye-push2-out": 0.8, "eye-scale-incr": 0.4},
    "push2-out 0.6, scale 0.6": {"eye-push2-out": 0.6, "eye-scale-incr": 0.6},
    "push2-out 1.0, scale 0.4": {"eye-push2-out": 1.0, "eye-scale-incr": 0.4},
}


def eye_measures(asset: HeadAsset, vertices: np.ndarray, joints: np.ndarray) -> dict:
    """Eye distances in mm (module docstring) from posed vertices/joints in metres."""
    lm = asset.landmarks(vertices).astype(np.float64) * 1000.0

    def d(i: int, k: int) -> float:
        return float(np.linalg.norm(lm[i] - lm[k]))

    eyes = [asset.joint_names.index("eye.L"), asset.joint_names.index("eye.R")]
    return {
        "en_en": d(39, 42),
        "ex_ex": d(36, 45),
        "fissure": (d(36, 39) + d(42, 45)) / 2,
        "fissure_height": (d(37, 41) + d(38, 40) + d(43, 47) + d(44, 46)) / 4,
        "ipd": float(np.linalg.norm(joints[eyes[0]] - joints[eyes[1]])) * 1000.0,
    }


def norms() -> dict:
    """The adult norms in mm and as ratios to the ipd (the mean of men and women)."""
    mean = {k: (m + w) / 2 for k, (m, w) in NORMS_MM.items()}
    mean["fissure"] = (mean["ex_ex"] - mean["en_en"]) / 2
    ratios = {f"{k}/ipd": v / mean["ipd"] for k, v in mean.items() if k != "ipd"}
    return {"mm": mean, "ratio": ratios}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="identities (the default pool is 100)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    asset = HeadAsset.load(ensure_default_asset())
    tris = face_triangles(asset)
    default_mean = local_means(asset.local_names, load_config().identity.local_mean)
    configs = {k: load_config(None, {"identity.local_mean": m}) for k, m in VARIANTS.items()}
    no_local = load_config(None, {"identity.local_sigma": 0.0, "identity.local_mean": {}})
    rows = {k: [] for k in VARIANTS}
    folds = {k: [] for k in VARIANTS}
    base_folds = []
    for i in tqdm(range(args.n), desc="identities"):
        ident0 = sample_identity(no_local, args.seed, i, asset.local_names)
        v0, _ = asset.evaluate(ident0.phenotypes, ident0.local_changes)
        base_folds.append(folded_triangles(asset, v0, tris))
        for k, cfg in configs.items():
            ident = sample_identity(cfg, args.seed, i, asset.local_names)
            v, j = asset.evaluate(ident.phenotypes, ident.local_changes)
            rows[k].append(eye_measures(asset, v, j))
            folds[k].append(folded_triangles(asset, v, tris))
    template = eye_measures(asset, *asset.evaluate())
    out = {}
    for k in VARIANTS:
        m = {key: np.array([r[key] for r in rows[k]]) for key in rows[k][0]}
        summary = {key: {"mean": float(x.mean()), "sd": float(x.std())} for key, x in m.items()}
        for key in ("en_en", "ex_ex", "fissure"):
            summary[f"{key}/ipd"] = float(np.mean(m[key] / m["ipd"]))
        excess = np.array(folds[k]) - np.array(base_folds)
        summary["creased_share"] = float(np.mean(excess > CREASED_EXCESS))
        summary["local_mean"] = VARIANTS[k]
        summary["is_default"] = bool(
            np.array_equal(local_means(asset.local_names, VARIANTS[k]), default_mean)
        )
        out[k] = summary
    record = {
        "machine": machine_info(),
        "identities": args.n,
        "seed": args.seed,
        "template_mm": template,
        "norms": norms(),
        "by_local_mean": out,
    }
    write_result("anthropometry", record)
    nm = norms()
    print(f"norms: en-en {nm['mm']['en_en']:.1f} mm, ex-ex {nm['mm']['ex_ex']:.1f}, fissure "
          f"{nm['mm']['fissure']:.1f}, ipd {nm['mm']['ipd']:.1f}; /ipd: en-en "
          f"{nm['ratio']['en_en/ipd']:.2f}, ex-ex {nm['ratio']['ex_ex/ipd']:.2f}, fissure "
          f"{nm['ratio']['fissure/ipd']:.2f}")  # fmt: skip
    for k, s in out.items():
        flag = " (default)" if s["is_default"] else ""
        print(f"{k}{flag}: en-en {s['en_en']['mean']:.1f} mm ({s['en_en/ipd']:.2f}), ex-ex "
              f"{s['ex_ex']['mean']:.1f} ({s['ex_ex/ipd']:.2f}), fissure "
              f"{s['fissure']['mean']:.1f} ({s['fissure/ipd']:.2f}) x "
              f"{s['fissure_height']['mean']:.1f} high, ipd {s['ipd']['mean']:.1f}; creased "
              f"{100 * s['creased_share']:.0f} %")  # fmt: skip


if __name__ == "__main__":
    main()
