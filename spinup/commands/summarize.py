"""Rank the variants of a grid: ``python -m spinup.run summarize DIR [--metric COL] [--last K]``.

Runs of one variant are the run folders (each holding progress.txt) that share a parent folder,
``DIR/<variant>/<variant>_s<seed>/``. A variant's score is the mean over its seeds of each run's
mean of ``metric`` over its last K epochs; the table shows it as mean +- std over seeds, with
wall time (the last ``Time``) and env steps per second (last ``TotalEnvInteracts`` / last
``Time``), best first. The table is printed and written as DIR/summary.csv."""
import argparse
import csv
import math
import os
import os.path as osp

import numpy as np

from spinup.algos.common.checks import InputError, positive_int
from spinup.commands.plot import read_progress
from spinup.utils.errors import output_file

DEFAULT_METRICS = ("AverageTestEpRet", "AverageEpRet")
DEFAULT_LAST = 5
CSV_COLUMNS = ("rank", "variant", "metric", "mean", "std", "seeds", "epochs", "last_k",
               "wall_time_s", "env_steps_per_s", "folder")


def find_run_dirs(root):
    """Every folder under ``root`` (``root`` included) that holds a progress.txt."""
    if not osp.isdir(root):
        raise InputError(f"{root!r} is not a folder; expected a folder of runs, e.g. data/EXP")
    runs = sorted(d for d, _, files in os.walk(root) if "progress.txt" in files)
    if not runs:
        raise InputError(f"no runs under {root!r}: no folder there holds a progress.txt")
    return runs


def pick_metric(columns_per_run, metric=None):
    """``metric`` if every run logs it; by default the test return when every run has one,
    else the training return."""
    if metric is not None:
        lacking = [d for d, cols in columns_per_run.items() if metric not in cols]
        if lacking:
            cols = columns_per_run[lacking[0]]
            raise InputError(f"--metric {metric!r}: {len(lacking)} run(s) do not log it, e.g. "
                             f"{lacking[0]}, whose columns are {', '.join(cols)}")
        return metric
    for m in DEFAULT_METRICS:
        if all(m in cols for cols in columns_per_run.values()):
            return m
    raise InputError("the runs do not all log " + " or ".join(DEFAULT_METRICS) +
                     "; choose a column with --metric")


def _last(cols, key):
    vals = cols.get(key)
    return float(vals[-1]) if vals is not None and len(vals) else math.nan


def summarize_runs(run_dirs, metric=None, last=DEFAULT_LAST, root=None):
    """``(metric, rows)``: one row per variant (see ``CSV_COLUMNS``), best first. Runs that
    have not finished an epoch yet are left out."""
    last = positive_int("--last", last)
    progress = {d: read_progress(osp.join(d, "progress.txt")) for d in run_dirs}
    empty = [d for d, cols in progress.items() if not len(next(iter(cols.values()), []))]
    progress = {d: cols for d, cols in progress.items() if d not in empty}
    if not progress:
        files = [osp.join(d, "progress.txt") for d in empty]
        more = f" and {len(files) - 3} more" if len(files) > 3 else ""
        raise InputError(f"none of the runs has finished an epoch yet: no rows in "
                         f"{', '.join(files[:3])}{more}")
    metric = pick_metric(progress, metric)
    groups = {}
    for d, cols in progress.items():
        groups.setdefault(osp.dirname(osp.normpath(d)), []).append(cols)
    rows = []
    for folder, runs in groups.items():
        scores = [float(np.nanmean(c[metric][-last:])) for c in runs]
        times = [_last(c, "Time") for c in runs]
        steps = [_last(c, "TotalEnvInteracts") for c in runs]
        rows.append(dict(
            variant=_variant_name(folder, root), metric=metric, mean=float(np.mean(scores)),
            std=float(np.std(scores)), seeds=len(runs),
            epochs=min(len(c[metric]) for c in runs), last_k=last,
            wall_time_s=float(np.mean(times)),
            env_steps_per_s=float(np.mean([s / t if t > 0 else math.nan
                                           for s, t in zip(steps, times)])),
            folder=folder))
    rows.sort(key=lambda r: -r["mean"] if math.isfinite(r["mean"]) else math.inf)
    for i, r in enumerate(rows):
        r["rank"] = i + 1
    return metric, rows


def _variant_name(folder, root):
    if root is not None:
        rel = osp.relpath(folder, root)
        if rel != "." and not rel.startswith(".."):
            return rel
    return osp.basename(folder)


def _fmt(x, digits=1):
    return "-" if not math.isfinite(x) else f"{x:.{digits}f}"


def format_table(metric, rows):
    """The rows as an aligned text table."""
    head = ["rank", "variant", f"{metric} (mean +- std)", "seeds", "epochs", "wall time s",
            "env steps/s"]
    body = [[str(r["rank"]), r["variant"], f"{_fmt(r['mean'])} +- {_fmt(r['std'])}",
             str(r["seeds"]), str(r["epochs"]), _fmt(r["wall_time_s"]),
             _fmt(r["env_steps_per_s"], 0)] for r in rows]
    widths = [max(len(row[i]) for row in [head] + body) for i in range(len(head))]
    left = {1}  # names read best left-aligned, numbers right-aligned
    lines = ["  ".join(c.ljust(w) if i in left else c.rjust(w)
                       for i, (c, w) in enumerate(zip(row, widths))) for row in [head] + body]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def averaged(rows, last):
    """What each run's score averages: 'last 5 epochs', or fewer where the runs are shorter
    ('last 2-3 epochs')."""
    used = sorted({min(last, r["epochs"]) for r in rows})
    n = str(used[0]) if len(used) == 1 else f"{used[0]}-{used[-1]}"
    return f"last {n} epoch{'' if used == [1] else 's'}"


def write_csv(rows, path):
    """Write the rows to ``path`` with the columns of ``CSV_COLUMNS``."""
    with output_file(path, "--out"), open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
        w.writeheader()
        w.writerows(rows)


def summarize(runs, metric=None, last=DEFAULT_LAST, out=None, root=None):
    """Rank the runs (a folder to search, or a list of run folders), print the table and write
    it as CSV to ``out`` (default ``<folder>/summary.csv`` when given a folder). Returns the
    rows."""
    if isinstance(runs, (str, os.PathLike)):
        root = root or str(runs)
        out = out or osp.join(root, "summary.csv")
        runs = find_run_dirs(root)
    metric, rows = summarize_runs(runs, metric, last, root)
    print(f"\nVariants ranked by {metric}: mean +- std over seeds of each run's mean over its "
          f"{averaged(rows, last)}\n")
    print(format_table(metric, rows))
    if out:
        write_csv(rows, out)
        print(f"\nwritten to {out}", flush=True)
    return rows


def main(argv=None):
    """``summarize DIR [--metric COL] [--last K] [--out FILE]``."""
    p = argparse.ArgumentParser(prog="python -m spinup.run summarize",
                                description=__doc__.split("\n\n")[1])
    p.add_argument("logdir", help="a folder of runs, e.g. data/EXP or a grid's --data_dir")
    p.add_argument("--metric", "-m", default=None,
                   help="progress.txt column to rank by (default: AverageTestEpRet when every "
                        "run logs it, else AverageEpRet)")
    p.add_argument("--last", "-k", type=int, default=DEFAULT_LAST,
                   help=f"epochs at the end of each run to average (default {DEFAULT_LAST})")
    p.add_argument("--out", "-o", default=None, help="CSV file (default DIR/summary.csv)")
    args = p.parse_args(argv)
    positive_int("--last", args.last)
    summarize(args.logdir, args.metric, args.last, args.out)
    return 0
