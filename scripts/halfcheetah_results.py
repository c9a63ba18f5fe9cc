"""docs/results/halfcheetah_v4.csv and the learning-curve figures, made from the committed
run folders docs/results/runs/<algo>_<backend>_s<seed>/ (never typed by hand).

Usage: python scripts/halfcheetah_results.py
Return per run: TD3, average deterministic test return of the last epoch; VPG, average
training-episode return of the last epoch. Curves: mean +- std over the seeds present.
"""
import csv
import os
import os.path as osp
import re

import numpy as np

from spinup.utils import run_files

ROOT = osp.join(osp.dirname(osp.abspath(__file__)), "..", "docs", "results")
METRIC = {"td3": "AverageTestEpRet", "vpg": "AverageEpRet"}


def load_runs():
    """{(algo, backend): {seed: {column: array}}} of every committed run folder."""
    out = {}
    runs_dir = osp.join(ROOT, "runs")
    for name in sorted(os.listdir(runs_dir)):
        m = re.fullmatch(r"(td3|vpg)_(jax|pytorch)_s(\d+)", name)
        if not m:
            continue
        header, rows = run_files.read_progress(osp.join(runs_dir, name))
        cols = {h: np.array([float(r[i]) for r in rows]) for i, h in enumerate(header)}
        out.setdefault((m[1], m[2]), {})[int(m[3])] = cols
    return out


def write_csv(runs, path):
    """One row per run: algo, backend, seed, steps, return, wall_seconds."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["algo", "backend", "seed", "steps", "return", "wall_seconds"])
        for (algo, backend), seeds in sorted(runs.items()):
            for seed, c in sorted(seeds.items()):
                w.writerow([algo, backend, seed, int(c["TotalEnvInteracts"][-1]),
                            f"{c[METRIC[algo]][-1]:.1f}", f"{c['Time'][-1]:.0f}"])


def plot(runs, algo, path):
    """Both backends' curves of ``algo``, mean +- std over seeds (runs cut to the shortest)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for (a, backend), seeds in sorted(runs.items()):
        if a != algo:
            continue
        n = min(len(c[METRIC[algo]]) for c in seeds.values())
        y = np.stack([c[METRIC[algo]][:n] for c in seeds.values()])
        x = next(iter(seeds.values()))["TotalEnvInteracts"][:n]
        mean, std = y.mean(0), y.std(0)
        ax.plot(x, mean, label=f"{backend} ({len(seeds)} seed{'s' * (len(seeds) > 1)})")
        ax.fill_between(x, mean - std, mean + std, alpha=0.25)
    ax.set_xlabel("environment steps")
    ax.set_ylabel(METRIC[algo])
    ax.set_title(f"{algo.upper()} on HalfCheetah-v4")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


if __name__ == "__main__":
    runs = load_runs()
    write_csv(runs, osp.join(ROOT, "halfcheetah_v4.csv"))
    for algo in ("td3", "vpg"):
        if any(a == algo for a, _ in runs):
            plot(runs, algo, osp.join(ROOT, f"halfcheetah_{algo}.png"))
    print(open(osp.join(ROOT, "halfcheetah_v4.csv")).read())
