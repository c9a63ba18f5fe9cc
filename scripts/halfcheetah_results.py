"""docs/results/halfcheetah_v4.csv and the learning-curve figures, made from the committed
run folders docs/results/runs/<algo>_<backend>_s<seed>/ (never typed by hand).

Usage: python scripts/halfcheetah_results.py
Return per run: DDPG, TD3, SAC, average deterministic test return of the last epoch (SAC: its
mean action); VPG, PPO, average training-episode return of the last epoch. Curves: mean +-
std over the seeds present, one figure per algorithm and one with all five
(halfcheetah_all.png: JAX solid, PyTorch dashed). The tables of docs/results.md and the short
one of README.md, between the ``<!-- tables: ... -->`` markers, are rewritten from the same
runs.
"""
import csv
import io
import os
import os.path as osp
import re

import numpy as np

from spinup.utils import run_files

ROOT = osp.join(osp.dirname(osp.abspath(__file__)), "..", "docs", "results")
RESULTS_MD = osp.join(ROOT, "..", "results.md")
README = osp.join(ROOT, "..", "..", "README.md")
ALGOS = ("vpg", "ppo", "ddpg", "td3", "sac")
ON_POLICY = ("vpg", "ppo")
METRIC = {a: "AverageEpRet" if a in ON_POLICY else "AverageTestEpRet" for a in ALGOS}
# The benchmark length of each algorithm (SpinningUp's HalfCheetah benchmark).
STEPS = {a: 3_000_000 if a in ON_POLICY else 1_000_000 for a in ALGOS}
# Published figures (../shared/REFERENCE.md) and the issues' targets (11: VPG, TD3; 22: PPO,
# DDPG, SAC), for the summary table.
PUBLISHED = {
    "td3": "TD3 paper 9567 +- 833; SpinningUp PyTorch ~9755; CleanRL torch 9583 +- 126, "
           "JAX 9346 +- 771; seed report JAX 5000 +- 300, torch 6000 +- 3500",
    "vpg": "SpinningUp ~630 at 3M; seed report -50 +- 50 (JAX), -50 +- 150 (torch) at 1M",
    "ppo": "SpinningUp ~3260 at 3M (~1730 at 1M)",
    "ddpg": "SpinningUp ~10120 at 1M; Tianshou 11719 +- 466 (max over 1M)",
    "sac": "SpinningUp ~11460 at 1M; Tianshou 12139 +- 1049 (max over 1M)",
}
TARGET = {"td3": 9000, "vpg": 500, "ppo": 2500, "ddpg": 8500, "sac": 10000}
# Curves: the on-policy training return moves a lot from epoch to epoch; their figures show a
# trailing mean over this many epochs (the tables never smooth).
SMOOTH = {a: 10 if a in ON_POLICY else 1 for a in ALGOS}


def smooth(y, window):
    """Trailing mean over ``window`` epochs (fewer at the start)."""
    c = np.cumsum(np.insert(np.asarray(y, float), 0, 0.0))
    n = np.minimum(np.arange(1, len(y) + 1), window)
    return (c[1:] - c[np.arange(1, len(y) + 1) - n]) / n
BEGIN, END = "<!-- tables: made by scripts/halfcheetah_results.py -->", "<!-- tables: end -->"


def load_runs():
    """{(algo, backend): {seed: {column: array}}} of every committed run folder."""
    out = {}
    runs_dir = osp.join(ROOT, "runs")
    for name in sorted(os.listdir(runs_dir)):
        m = re.fullmatch(r"(%s)_(jax|pytorch)_s(\d+)" % "|".join(ALGOS), name)
        if not m:
            continue
        header, rows = run_files.read_progress(osp.join(runs_dir, name))
        cols = {h: np.array([float(r[i]) for r in rows]) for i, h in enumerate(header)}
        out.setdefault((m[1], m[2]), {})[int(m[3])] = cols
    return out


def csv_text(runs):
    """One row per run: algo, backend, seed, steps, return, wall_seconds."""
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["algo", "backend", "seed", "steps", "return", "wall_seconds"])
    for (algo, backend), seeds in sorted(runs.items()):
        for seed, c in sorted(seeds.items()):
            w.writerow([algo, backend, seed, int(c["TotalEnvInteracts"][-1]),
                        f"{c[METRIC[algo]][-1]:.1f}", f"{c['Time'][-1]:.0f}"])
    return out.getvalue()


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
        y = np.stack([smooth(c[METRIC[algo]][:n], SMOOTH[algo]) for c in seeds.values()])
        x = next(iter(seeds.values()))["TotalEnvInteracts"][:n]
        mean, std = y.mean(0), y.std(0)
        ax.plot(x, mean, label=f"{backend} ({len(seeds)} seed{'s' * (len(seeds) > 1)})")
        ax.fill_between(x, mean - std, mean + std, alpha=0.25)
    ax.set_xlabel("environment steps")
    ax.set_ylabel(METRIC[algo] + (f", mean of {SMOOTH[algo]} epochs" if SMOOTH[algo] > 1
                                  else ""))
    ax.set_title(f"{algo.upper()} on HalfCheetah-v4")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def plot_all(runs, path):
    """Every algorithm's curve on one figure, as SpinningUp's benchmark page draws them: the
    mean over seeds with its +- std band, JAX solid, PyTorch dashed, one colour per
    algorithm; on-policy curves smoothed as in their own figures."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7.2, 4.5))
    colours = dict(zip(ALGOS, ("tab:gray", "tab:green", "tab:orange", "tab:blue", "tab:red")))
    for (algo, backend), seeds in sorted(runs.items(), key=lambda kv: ALGOS.index(kv[0][0])):
        n = min(len(c[METRIC[algo]]) for c in seeds.values())
        y = np.stack([smooth(c[METRIC[algo]][:n], SMOOTH[algo]) for c in seeds.values()])
        x = next(iter(seeds.values()))["TotalEnvInteracts"][:n]
        mean, std = y.mean(0), y.std(0)
        ax.plot(x, mean, color=colours[algo], linestyle="-" if backend == "jax" else "--",
                label=f"{algo.upper()} {backend} ({len(seeds)})")
        ax.fill_between(x, mean - std, mean + std, color=colours[algo], alpha=0.12)
    ax.set_xlabel("environment steps")
    ax.set_ylabel("return (off-policy: test; on-policy: training, 10-epoch mean)", fontsize=8)
    ax.set_title("HalfCheetah-v4: mean +- std over seeds (JAX solid, PyTorch dashed)",
                 fontsize=9)
    ax.legend(fontsize=7, ncol=2, title="algorithm backend (seeds)", title_fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def mean_std(x):
    """'mean +- std' of the seeds' returns; one seed has no spread to show."""
    if len(x) == 1:
        return f"{x[0]:.0f} (one seed)"
    return f"{x.mean():.0f} +- {x.std():.0f}"


def _groups(runs):
    """Per (algo, backend), sorted: algo, backend, the seeds' cell, the steps' cell and the
    seeds' final returns."""
    for (algo, backend), seeds in sorted(runs.items()):
        final = np.array([c[METRIC[algo]][-1] for c in seeds.values()])
        steps = {int(c["TotalEnvInteracts"][-1]) for c in seeds.values()}
        yield (algo, backend, seeds, ", ".join(map(str, sorted(seeds))),
               "/".join(f"{s / 1e6:g}M" for s in sorted(steps)), final)


def _row(cells):
    return "| " + " | ".join(str(c) for c in cells) + " |"


def summary_table(runs):
    """Per algorithm and backend: the seeds' final returns, their mean +- std, the target."""
    lines = [_row(["algo", "backend", "seeds", "steps", "return per seed (last epoch)",
                   "mean +- std", "mean of last-10-epoch means", "target", "met"]),
             _row(["---"] * 3 + ["---:"] * 5 + ["---"])]
    for algo, backend, seeds, seed_cell, steps_cell, final in _groups(runs):
        last10 = np.array([c[METRIC[algo]][-10:].mean() for c in seeds.values()])
        met = "yes" if final.mean() >= TARGET[algo] else "no"
        if len(seeds) < 3:
            met += f" (so far, {len(seeds)} of 3 seeds)"
        lines.append(_row([algo.upper(), backend, seed_cell, steps_cell,
                           ", ".join(f"{x:.0f}" for x in final), mean_std(final),
                           f"{last10.mean():.0f}", f">= {TARGET[algo]}", met]))
    return "\n".join(lines)


def runs_table(runs):
    """Per run: final and best returns, wall time, env steps per second."""
    lines = [_row(["run", "steps", "return, last epoch", "mean of last 10", "best epoch",
                   "wall time", "env steps/s (whole run)", "median epoch", "of which update"]),
             _row(["---"] + ["---:"] * 8)]
    for (algo, backend), seeds in sorted(runs.items()):
        for seed, c in sorted(seeds.items()):
            y, steps, wall = c[METRIC[algo]], c["TotalEnvInteracts"][-1], c["Time"][-1]
            lines.append(_row([f"{algo}_{backend}_s{seed}", f"{steps / 1e6:g}M", f"{y[-1]:.0f}",
                               f"{y[-10:].mean():.0f}", f"{y.max():.0f}",
                               f"{wall / 60:.0f} min", f"{steps / wall:.0f}",
                               f"{np.median(c['TimeEpoch']):.2f} s",
                               f"{np.median(c['TimeUpdate']):.2f} s"]))
    return "\n".join(lines)


# The README's short table: the published figure a user compares with first.
HEADLINE = {"td3": "9567 +- 833 (TD3 paper), ~9755 (SpinningUp)", "vpg": "~630 (SpinningUp)",
            "ppo": "~3260 (SpinningUp)", "ddpg": "~10120 (SpinningUp)",
            "sac": "~11460 (SpinningUp)"}


def readme_table(runs):
    """Per algorithm and backend: seeds, steps, mean +- std of the final returns, published."""
    lines = [_row(["algo", "backend", "seeds", "steps", "return, mean +- std over seeds",
                   "published"]), _row(["---"] * 3 + ["---:"] * 2 + ["---"])]
    for algo, backend, _, seed_cell, steps_cell, final in _groups(runs):
        lines.append(_row([algo.upper(), backend, seed_cell, steps_cell, mean_std(final),
                           HEADLINE[algo]]))
    return "\n".join(lines)


def split_at_markers(path):
    """(before, between, after) the markers of ``path``."""
    text = open(path).read()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{path}: markers {BEGIN!r} ... {END!r} not found")
    head, rest = text.split(BEGIN, 1)
    body, tail = rest.split(END, 1)
    return head, body, tail


def rewrite_between_markers(path, body):
    """Replace what lies between the markers of ``path`` with ``body`` (the rest is kept)."""
    head, _, tail = split_at_markers(path)
    with open(path, "w") as f:
        f.write(head + BEGIN + body + END + tail)


def readme_body(runs):
    """What goes between README.md's markers."""
    return "\n" + readme_table(runs) + "\n"


def results_md_body(runs):
    """docs/results.md's two tables, with the published figures they are read against."""
    return ("\n\nPer algorithm and backend (published figures, ../shared/REFERENCE.md: "
            + "; ".join(f"{a.upper()}: {p}" for a, p in PUBLISHED.items()) + "):\n\n"
            + summary_table(runs) + "\n\nPer run:\n\n" + runs_table(runs) + "\n\n")


if __name__ == "__main__":
    runs = load_runs()
    text = csv_text(runs)
    with open(osp.join(ROOT, "halfcheetah_v4.csv"), "w", newline="") as f:
        f.write(text)
    for algo in ALGOS:
        if any(a == algo for a, _ in runs):
            plot(runs, algo, osp.join(ROOT, f"halfcheetah_{algo}.png"))
    plot_all(runs, osp.join(ROOT, "halfcheetah_all.png"))
    rewrite_between_markers(RESULTS_MD, results_md_body(runs))
    rewrite_between_markers(README, readme_body(runs))
    print(text)
