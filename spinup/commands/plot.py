"""Learning curves: ``python -m spinup.run plot DIR [DIR ...] [-y AverageTestEpRet] [--out F]``.

Every run folder (one holding progress.txt) under each DIR is read; runs of one experiment
(same exp_name in config.json, i.e. different seeds) are averaged, with +-1 std shaded."""
import argparse
import os
import os.path as osp

import numpy as np

from spinup.algos.common.checks import InputError
from spinup.utils import run_files
from spinup.utils.serialization_utils import read_json


def read_progress(path):
    """progress.txt as {column: float array} (read and validated by run_files); cells that
    are not numbers become NaN."""
    header, rows = run_files.read_progress(osp.dirname(path) or ".")
    cols = {h: np.full(len(rows), np.nan) for h in header}
    for i, row in enumerate(rows):
        for h, v in zip(header, row):
            try:
                cols[h][i] = float(v)
            except ValueError:
                pass
    return cols


def find_runs(logdir):
    """(exp_name, progress columns) of every run folder under logdir."""
    if not osp.exists(logdir):
        raise InputError(f"{logdir!r} does not exist; expected a run folder or a folder of runs")
    runs = []
    for root, _, files in sorted(os.walk(logdir)):
        if "progress.txt" not in files:
            continue
        exp_name = osp.basename(osp.dirname(root)) or root
        cfg = osp.join(root, "config.json")
        if osp.exists(cfg):
            exp_name = read_json(cfg, "run config").get("exp_name", exp_name)
        runs.append((exp_name, read_progress(osp.join(root, "progress.txt"))))
    if not runs:
        raise InputError(f"no progress.txt under {logdir!r}")
    return runs


def smooth(y, k):
    """Moving average over a window of k points (1 = no smoothing), same length as y."""
    if k <= 1:
        return y
    kernel = np.ones(k)
    return np.convolve(y, kernel, "same") / np.convolve(np.ones_like(y), kernel, "same")


def plot_runs(runs, xaxis="TotalEnvInteracts", values=("Performance",), smooth_k=1,
              out=None):
    """Plot a column against env steps for each run folder (mean +- std over seeds)."""
    import matplotlib
    if out:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    groups = {}
    for name, cols in runs:
        groups.setdefault(name, []).append(cols)
    figs = []
    for value in values:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for name, group in groups.items():
            key = _pick_value(value, group[0])
            n = min(len(c[key]) for c in group)
            x = group[0][xaxis][:n] if xaxis in group[0] else np.arange(n)
            ys = np.stack([smooth(c[key][:n], smooth_k) for c in group])
            mean, std = np.nanmean(ys, 0), np.nanstd(ys, 0)
            ax.plot(x, mean, label=f"{name} ({len(group)} seed{'s' * (len(group) > 1)})")
            ax.fill_between(x, mean - std, mean + std, alpha=0.2)
        ax.set_xlabel(xaxis)
        ax.set_ylabel(_pick_value(value, runs[0][1]))
        ax.legend(loc="best", fontsize=8)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        figs.append(fig)
    if out:
        stem, ext = osp.splitext(out)
        paths = [out] if len(figs) == 1 else [f"{stem}_{v}{ext or '.png'}" for v in values]
        for fig, path in zip(figs, paths):
            fig.savefig(path, dpi=100)
            print(f"saved {path}")
        return paths
    plt.show()
    return []


def _pick_value(value, cols):
    """'Performance' means the test return when there is one, else the training return."""
    if value == "Performance":
        for key in ("AverageTestEpRet", "AverageEpRet"):
            if key in cols:
                return key
    if value not in cols:
        raise InputError(f"no column {value!r} in progress.txt; columns: {', '.join(cols)}")
    return value


def main(argv=None):
    """``python -m spinup.run plot DIR [DIR ...] [-y COL] [--out FILE]``."""
    p = argparse.ArgumentParser(prog="python -m spinup.run plot")
    p.add_argument("logdir", nargs="+")
    p.add_argument("--xaxis", "-x", default="TotalEnvInteracts")
    p.add_argument("--value", "-y", default=["Performance"], nargs="*")
    p.add_argument("--smooth", "-s", type=int, default=1)
    p.add_argument("--out", "-o", default=None,
                   help="save to this image file instead of opening a window")
    args = p.parse_args(argv)
    if args.smooth < 1:
        raise InputError(f"--smooth {args.smooth}: expected an integer >= 1")
    runs = [r for d in args.logdir for r in find_runs(d)]
    out = args.out
    if out is None and not os.environ.get("DISPLAY"):
        out = "plot.png"
        print("no display: saving to plot.png (choose the file with --out)")
    plot_runs(runs, args.xaxis, args.value, args.smooth, out)
    return 0
