"""Does the AAE fill the prior better than the VAE? The packing figures paired by seed.

    python -m bench.experiments run packing --seeds 5 --jobs 1   # trains and records
    python -m bench.packing_confidence [--dataset mnist-10k]      # this: the answer

Reads the packing record (bench/results/packing--<dataset>.json, its "per_seed" rows) and,
for each prior and packing metric (lower is better for all of them), pairs the AAE's and the
VAE's values of the same seed: difference d = AAE - VAE, so d < 0 favours the AAE. It prints
the per-seed differences, their mean ± sample sd, a 95 % paired t-interval for the mean
difference and the sign count with its exact two-sided sign-test p-value, and writes them to
bench/results/confidence/packing--<dataset>.json (a folder of its own: the table builder
reads only the experiment records beside it).
"""

from __future__ import annotations

import json
import math

from bench.args import parser, run_script
from bench.experiments import DATASETS, RECORDS, ROOT, mean_sd

OUT = RECORDS / "confidence"
METRICS = ("prior_mmd", "sliced_wasserstein", "holes", "occupancy_tv")
#: Two-sided 95 % quantiles of Student's t, by degrees of freedom (no scipy here).
T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
         9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131,
         16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086}


def sign_test_p(wins: int, losses: int) -> float:
    """Exact two-sided sign-test p-value (ties dropped): P(a split at least this uneven)."""
    n = wins + losses
    if n == 0:
        return 1.0
    k = min(wins, losses)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def paired(aae: list[float], vae: list[float]) -> dict:
    """Per-seed differences AAE - VAE (n,) and what they say: mean, sample sd, 95 % t-interval
    (None for fewer than 2 seeds), AAE wins / losses (lower is better) and the sign-test p."""
    if len(aae) != len(vae) or not aae:
        raise ValueError(f"need the same seeds for both: {len(aae)} vs {len(vae)} values")
    diffs = [a - v for a, v in zip(aae, vae, strict=True)]
    n = len(diffs)
    mean, sd = mean_sd(diffs)
    half = T_975.get(n - 1, 1.96) * sd / math.sqrt(n) if n > 1 else None
    wins, losses = sum(d < 0 for d in diffs), sum(d > 0 for d in diffs)
    return {"diffs": diffs, "mean": mean, "sd": sd,
            "ci95": None if half is None else [mean - half, mean + half],
            "aae_better": wins, "vae_better": losses, "sign_p": sign_test_p(wins, losses)}


def verdict(stats: dict) -> str:
    """"AAE better" / "VAE better" when the 95 % interval excludes 0, else "no clear winner"."""
    ci = stats["ci95"]
    if ci is None or ci[0] <= 0 <= ci[1]:
        return "no clear winner"
    return "AAE better" if ci[1] < 0 else "VAE better"


def _row_figures(rows: list[dict], family: str, prior: str) -> dict:
    for row in rows:
        if row["setting"] == f"{family}, {prior} prior (2-D)":
            return row.get("figures", {})
    raise SystemExit(f"the packing record has no row for {family} with the {prior} prior")


def confidence(record: dict) -> dict:
    """{prior: {metric: paired(...) | verdict}} from a packing record's per-seed rows."""
    per_seed = record.get("per_seed") or {}
    seeds = sorted(per_seed, key=int)
    if not seeds:
        raise SystemExit("the packing record holds no per-seed rows: rerun it with --seeds N")
    out = {"seeds": [int(s) for s in seeds]}
    for prior in ("gaussian", "mixture"):
        aae = [_row_figures(per_seed[s], "aae", prior) for s in seeds]
        vae = [_row_figures(per_seed[s], "vae", prior) for s in seeds]
        out[prior] = {}
        for metric in METRICS:
            if all(metric in a for a in aae) and all(metric in v for v in vae):
                stats = paired([a[metric] for a in aae], [v[metric] for v in vae])
                stats["aae"] = [a[metric] for a in aae]
                stats["vae"] = [v[metric] for v in vae]
                stats["verdict"] = verdict(stats)
                out[prior][metric] = stats
    return out


def report(result: dict) -> list[str]:
    lines = [f"AAE - VAE over seeds {', '.join(map(str, result['seeds']))} "
             f"(lower is better: a negative difference favours the AAE)"]
    for prior in ("gaussian", "mixture"):
        for metric, s in result.get(prior, {}).items():
            ci = ("" if s["ci95"] is None else
                  f", 95 % CI [{s['ci95'][0]:+.4f}, {s['ci95'][1]:+.4f}]")
            lines.append(
                f"  {prior:<8} {metric:<18} AAE {_list(s['aae'])} | VAE {_list(s['vae'])} | "
                f"diff {s['mean']:+.4f} ± {s['sd']:.4f}{ci}; AAE lower on {s['aae_better']} of "
                f"{len(s['diffs'])} (sign test p = {s['sign_p']:.3f}): {s['verdict']}")
    return lines


def _list(values: list[float]) -> str:
    return ", ".join(f"{v:.3f}" for v in values)


def build_parser():
    p = parser("python -m bench.packing_confidence", __doc__, raw=True)
    p.add_argument("--dataset", choices=DATASETS, default="mnist-10k",
                   help="the dataset of the packing record (bench/results/)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    path = RECORDS / f"packing--{args.dataset}.json"
    if not path.is_file():
        raise SystemExit(f"no packing record at {path}: run bench.experiments first")
    result = confidence(json.loads(path.read_text()))
    result["source"] = str(path.relative_to(ROOT))
    print("\n".join(report(result)))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"packing--{args.dataset}.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    run_script(main)
