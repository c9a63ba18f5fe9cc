"""Learning curves, SpinningUp's plotter (``spinup.utils.plot`` is this module):
``python -m spinup.run plot LOGDIR [LOGDIR ...] [--legend/-l L ...] [--xaxis/-x X]
[--value/-y V ...] [--count] [--smooth/-s S] [--select S ...] [--exclude E ...]
[--est mean|max|min] [--out FILE]``.

Each LOGDIR is a prefix, completed against the folder it is in (``data/bench_algo`` matches
``data/bench_algo1`` and ``data/bench_algo2``; a LOGDIR ending in ``/`` is that folder only).
Every run folder (one holding progress.txt) under the matches is read; the runs of one
experiment (same exp_name in config.json, i.e. different seeds) make one curve, the estimator
over them with +-1 std shaded, or with ``--count`` one curve per run. The default value
``Performance`` is AverageEpRet for on-policy runs and AverageTestEpRet for off-policy ones.

Without pandas or seaborn: a dataset is a dict of NumPy columns, with SpinningUp's extra
entries ``Performance``, ``Unit``, ``Condition1`` and ``Condition2``.
"""
import argparse
import itertools
import os
import os.path as osp

import numpy as np

from spinup.algos.common.checks import InputError
from spinup.utils import run_files
from spinup.utils.errors import output_file
from spinup.utils.serialization_utils import read_json

DIV_LINE_WIDTH = 50
ESTIMATORS = ("mean", "max", "min")


def read_progress(path):
    """progress.txt as {column: float array}, read and validated by run_files: a cell that is
    not a number, or an epoch missing or repeated, is a one-line error naming the line."""
    return run_files.progress_columns(osp.dirname(path) or ".")


def complete_logdirs(all_logdirs):
    """SpinningUp's prefix completion: a logdir ending in the path separator is that folder;
    any other names every folder beside it whose name starts with its last part."""
    logdirs = []
    for logdir in all_logdirs:
        if osp.isdir(logdir) and logdir.endswith(os.sep):
            logdirs.append(logdir)
            continue
        base, prefix = osp.split(logdir)
        found = sorted(osp.join(base, x) for x in
                       (os.listdir(base or ".") if osp.isdir(base or ".") else [])
                       if x.startswith(prefix) and osp.isdir(osp.join(base or ".", x)))
        if not found:
            raise InputError(f"{logdir!r} does not exist and is not the start of a folder name "
                             f"in {base or '.'!r}; expected a run folder, a folder of runs, or "
                             "a prefix of them")
        logdirs += found
    return logdirs


def performance_column(cols, config):
    """What ``Performance`` means for one run: the training return for an on-policy
    algorithm, the test return for an off-policy one (the run's config.json says which);
    for a run of no known algorithm, the test return when it has one."""
    from spinup.algos import registry
    key = None
    try:
        family = registry.family(config["algo"]) if "algo" in config else None
    except InputError:
        family = None
    if family is not None:
        key = "AverageEpRet" if family == "on_policy" else "AverageTestEpRet"
    if key not in cols:
        key = "AverageTestEpRet" if "AverageTestEpRet" in cols else "AverageEpRet"
    return key


def get_datasets(logdir, condition=None, counter=None):
    """The runs under ``logdir``, each a dict of progress.txt's columns (float arrays) plus
    ``Performance`` (see ``performance_column``), ``Unit`` (its index among the runs of its
    condition), ``Condition1`` (``condition``, else the run's exp_name) and ``Condition2``
    (Condition1 and the run's index among all runs read, to tell runs apart). ``counter``
    keeps those indices across calls (one per ``get_all_datasets``)."""
    counter = counter if counter is not None else {"runs": itertools.count(), "units": {}}
    datasets = []
    for root, dirs, files in os.walk(logdir):
        dirs.sort()
        if "progress.txt" not in files:
            continue
        cfg_path = osp.join(root, "config.json")
        config = read_json(cfg_path, "run config") if osp.exists(cfg_path) else {}
        cond1 = condition or config.get("exp_name") or osp.basename(osp.dirname(root)) or root
        cols = read_progress(osp.join(root, "progress.txt"))
        perf = performance_column(cols, config)
        if perf not in cols:
            raise InputError(f"{root}: progress.txt has neither AverageEpRet nor "
                             "AverageTestEpRet, so it has no Performance; choose a column "
                             "with --value: " + ", ".join(cols))
        unit = counter["units"].get(cond1, 0)
        counter["units"][cond1] = unit + 1
        datasets.append(dict(cols, Performance=cols[perf], Unit=unit, Condition1=cond1,
                             Condition2=f"{cond1}-{next(counter['runs'])}", LogDir=root))
    return datasets


def get_all_datasets(all_logdirs, legend=None, select=None, exclude=None):
    """The datasets of every run under ``all_logdirs`` after prefix completion, keeping the
    folders whose path holds every string of ``select`` and none of ``exclude``. ``legend``
    names each folder's curve: one name per folder left (print shows them)."""
    logdirs = complete_logdirs(all_logdirs)
    if select is not None:
        logdirs = [d for d in logdirs if all(x in d for x in select)]
    if exclude is not None:
        logdirs = [d for d in logdirs if not any(x in d for x in exclude)]
    print("Plotting from...\n" + "=" * DIV_LINE_WIDTH + "\n")
    for d in logdirs:
        print(d)
    print("\n" + "=" * DIV_LINE_WIDTH)
    if not logdirs:
        raise InputError("no folder left to plot after --select/--exclude")
    if legend and len(legend) != len(logdirs):
        raise InputError(f"--legend has {len(legend)} name(s) for {len(logdirs)} folder(s) "
                         f"({', '.join(logdirs)}); give one name per folder")
    counter = {"runs": itertools.count(), "units": {}}
    data = []
    for d, name in zip(logdirs, legend or [None] * len(logdirs)):
        found = get_datasets(d, name, counter)
        if not found:
            raise InputError(f"no progress.txt under {d!r}")
        data += found
    return data


def smooth_curve(y, k):
    """Moving average over a window of k points (1 = no smoothing), same length as y; a
    window wider than the data is the data's length."""
    k = min(k, len(y))
    if k <= 1:
        return y
    kernel = np.ones(k)
    return np.convolve(y, kernel, "same") / np.convolve(np.ones_like(y), kernel, "same")


def _column(datum, key):
    if key not in datum or isinstance(datum[key], (str, int)):
        cols = [k for k, v in datum.items() if isinstance(v, np.ndarray)]
        raise InputError(f"no column {key!r} in {datum.get('LogDir', 'the run')}/progress.txt; "
                         f"columns: {', '.join(cols)}")
    return np.asarray(datum[key], dtype=np.float64)


def plot_data(data, xaxis="Epoch", value="AverageEpRet", condition="Condition1", smooth=1,
              ax=None, estimator="mean", **kwargs):
    """Draw ``value`` against ``xaxis`` on ``ax`` (default: the current axes): one curve per
    ``condition`` (Condition1: an experiment's runs together; Condition2: each run), the
    ``estimator`` (mean, max, min, or a function of an array and ``axis``) over its runs
    with +-1 std shaded. ``smooth`` averages each run over a window of that many points."""
    import matplotlib.pyplot as plt
    ax = ax or plt.gca()
    est = getattr(np, "nan" + estimator) if isinstance(estimator, str) else estimator
    groups = {}
    for datum in data:
        groups.setdefault(datum[condition], []).append(datum)
    for name, group in groups.items():
        ys = [smooth_curve(_column(d, value), smooth) for d in group]
        n = min(len(y) for y in ys)
        x = _column(group[0], xaxis)[:n]
        ys = np.stack([y[:n] for y in ys])
        mid, std = est(ys, axis=0), np.nanstd(ys, 0)
        label = name if len(group) == 1 else f"{name} ({len(group)} runs)"
        line, = ax.plot(x, mid, label=label, **kwargs)
        ax.fill_between(x, mid - std, mid + std, color=line.get_color(), alpha=0.2)
    ax.set_xlabel(xaxis)
    ax.set_ylabel(value)
    ax.legend(loc="best", fontsize="small")
    ax.grid(alpha=0.3)
    if len(data) and np.nanmax(_column(data[0], xaxis)) > 5e3:
        ax.ticklabel_format(style="sci", axis="x", scilimits=(0, 0))


def make_plots(all_logdirs, legend=None, xaxis=None, values=None, count=False,
               font_scale=1.5, smooth=1, select=None, exclude=None, estimator="mean",
               out=None):
    """One figure per value in ``values`` (default ``Performance``) against ``xaxis``
    (default TotalEnvInteracts), for every run under ``all_logdirs`` (see
    ``get_all_datasets``); ``count`` draws each run apart. Shown in a window, or written to
    ``out`` (one file per value: ``<stem>_<value><ext>`` when several); without a display
    and without ``out``, written to plot.png. Returns the files written."""
    values = ["Performance"] if values is None else \
        (list(values) if isinstance(values, (list, tuple)) else [values])
    xaxis = xaxis or "TotalEnvInteracts"
    if not (callable(estimator) or estimator in ESTIMATORS):
        raise InputError(f"--est {estimator!r}: expected one of {', '.join(ESTIMATORS)}")
    if isinstance(smooth, bool) or not isinstance(smooth, int) or smooth < 1:
        raise InputError(f"--smooth {smooth!r}: expected an integer >= 1")
    data = get_all_datasets(all_logdirs, legend, select, exclude)
    if out is None and not os.environ.get("DISPLAY"):
        out = "plot.png"
        print("no display: saving to plot.png (choose the file with --out)")
    import matplotlib
    if out:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figs = []
    with plt.rc_context({"font.size": 8 * font_scale}):
        for value in values:
            fig, ax = plt.subplots(figsize=(7, 4.5))
            plot_data(data, xaxis, value, "Condition2" if count else "Condition1", smooth,
                      ax=ax, estimator=estimator)
            fig.tight_layout()
            figs.append(fig)
    if not out:
        plt.show()
        return []
    stem, ext = osp.splitext(out)
    paths = [out] if len(figs) == 1 else [f"{stem}_{v}{ext or '.png'}" for v in values]
    for fig, path in zip(figs, paths):
        with output_file(path, "--out"):
            fig.savefig(path, dpi=100)
        plt.close(fig)
        print(f"saved {path}")
    return paths


def main(argv=None):
    """The ``plot`` subcommand, with SpinningUp's flags and ``--out``."""
    p = argparse.ArgumentParser(prog="python -m spinup.run plot",
                                description="Learning curves of runs (see spinup/commands/"
                                "plot.py); LOGDIRs are completed as prefixes.")
    p.add_argument("logdir", nargs="+")
    p.add_argument("--legend", "-l", nargs="*", help="one curve name per folder matched")
    p.add_argument("--xaxis", "-x", default="TotalEnvInteracts")
    p.add_argument("--value", "-y", default=["Performance"], nargs="*",
                   help="columns to plot, one figure each (default Performance: AverageEpRet "
                   "for on-policy runs, AverageTestEpRet for off-policy ones)")
    p.add_argument("--count", action="store_true", help="one curve per run, not per "
                   "experiment")
    p.add_argument("--smooth", "-s", type=int, default=1)
    p.add_argument("--select", nargs="*", help="keep folders whose path holds all of these")
    p.add_argument("--exclude", nargs="*", help="drop folders whose path holds any of these")
    p.add_argument("--est", default="mean", choices=ESTIMATORS,
                   help="the curve over an experiment's runs (default mean)")
    p.add_argument("--out", "-o", default=None,
                   help="save to this image file instead of opening a window")
    args = p.parse_args(argv)
    make_plots(args.logdir, args.legend, args.xaxis, args.value or ["Performance"],
               args.count, smooth=args.smooth, select=args.select, exclude=args.exclude,
               estimator=args.est, out=args.out)
    return 0
